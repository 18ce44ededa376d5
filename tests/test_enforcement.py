"""The second net: enforcement bodies refused however their name or address is spelt."""

from __future__ import annotations

import pytest

from bot.reports.enforcement import (
    UnsafeUrl,
    enforcement_term,
    normalise,
    skeleton,
    url_words,
    webhook_host,
)


@pytest.mark.parametrize(("text", "term"), [
    # The review's examples (issue 10, finding 2).
    ("ICE", "ice"),
    ("Homeland Security Investigations", "homeland security"),
    ("Jabatan Imigresen Malaysia", "imigresen"),
    ("Kawanihan ng Imigrasyon", "imigrasyon"),
    ("المديرية العامة للأمن العام", "أمن العام"),
    ("Royal Malaysia P\u03bflice", "police"),  # Greek omicron
    ("Immi\u00adgration Service", "immigration"),  # soft hyphen
    ("\uff29\uff23\uff25", "ice"),  # fullwidth ICE
    ("\u0406\u0421\u0415", "ice"),  # Cyrillic look-alikes
    ("P0L1CE", "police"),
    # More, in the bot's and the destinations' languages.
    ("Polis Diraja Malaysia", "polis"),
    ("Direktorat Jenderal Imigrasi", "imigrasi"),
    ("Philippine National Police", "police"),
    ("U.S. Customs and Border Protection", "customs"),
    ("General Directorate of Residency and Foreigners Affairs", "foreigners affairs"),
    ("Ministry of Home Affairs", "home affairs"),
    ("Dirección General de Migración", "dirección general de migración"),
    ("Gendarmerie nationale", "gendarmerie"),
    ("नेपाल प्रहरी", "प्रहरी"),
    ("अध्यागमन विभाग", "अध्यागमन"),
    ("बांग्लादेश पुलिस", "पुलिस"),
    ("বাংলাদেশ পুলিশ", "পুলিশ"),
    ("የኢትዮጵያ ፌዴራል ፖሊስ", "ፖሊስ"),
    ("الإدارة العامة للجوازات", "جوازات"),
    ("وزارة الداخلية", "وزارة الداخلية"),
    ("入境事務處", "入境"),
    ("香港警務處", "警務"),
    ("สำนักงานตรวจคนเข้าเมือง", "ตรวจคนเข้าเมือง"),
    ("Kementerian Dalam Negeri", "dalam negeri"),
    ("الهيئة الاتحادية للهوية والجنسية", "هوية والجنسية"),
    ("Jabatan Sukarelawan Malaysia (RELA)", "jabatan sukarelawan"),
    ("Polizia di Stato", "polizia"),
    ("Главное управление по вопросам миграции МВД", "мвд"),
    ("출입국·외국인정책본부", "출입국"),
    ("Cục Quản lý xuất nhập cảnh", "xuất nhập cảnh"),
])
def test_enforcement_names_are_found_through_disguises(text, term):
    assert enforcement_term(text) == term


@pytest.mark.parametrize("name", [
    "Migrant Forum in Asia", "Tenaganita", "KAFA (enough) Violence & Exploitation",
    "Justice Centre Hong Kong", "Blas F. Ople Policy Center", "Médecins Sans Frontières",
    "Sin Fronteras IAP", "Lawyers Without Borders", "The Salvation Army",
    "Humanitarian Organization for Migration Economics", "Transient Workers Count Too",
    "Pourakhi Nepal", "Pravasi Nepali Coordination Committee",
    "বাংলাদেশ অভিবাসী মহিলা শ্রমিক অ্যাসোসিয়েশন", "Serikat Buruh Migran Indonesia",
    "Migrant CARE", "Center for Migrant Advocacy", "Mission for Migrant Workers",
    "منظمة كفى عنف واستغلال", "تمكين للمساعدة القانونية وحقوق الإنسان",
    "Caritas Lebanon Migrants Center", "移民工人權益協會", "Asosasyon ng mga Kasambahay",
    "มูลนิธิเพื่อสิทธิมนุษยชนและการพัฒนา", "Red de Migración y Desarrollo",
    "Legal Aid Centre Kathmandu", "Office of the Ombudsman", "Polish Migrants Forum",
    "International Catholic Migration Commission", "Anti-Slavery International",
])
def test_genuine_organisations_pass(name):
    assert enforcement_term(name) is None


def test_normalising_undoes_compatibility_forms_format_characters_and_hamza():
    assert normalise("Ｉｍｍｉ\u00adgr\u200bation") == "immigration"
    assert normalise("الأمن") == normalise("الامن") == "الامن"
    assert skeleton("Royal  P\u03bflice!") == skeleton("royal police") == "r0ta1 p011c3"


@pytest.mark.parametrize(("url", "words", "term"), [
    ("https://ice.gov/tips", "ice gov tips", "ice"),
    ("https://www.rmp.gov.my/hook", "www rmp gov my hook", "rmp"),
    ("https://moi.gov.qa/api/reports", "moi gov qa api reports", "moi"),
    ("https://helpline.example.org/reports", "helpline example org reports", None),
])
def test_webhook_addresses_are_searched_as_words(url, words, term):
    assert url_words(url).split() == words.split()
    assert enforcement_term(url_words(url)) == term


@pytest.mark.parametrize(("url", "reason"), [
    ("http://localhost.attacker.example/x", "webhook_url must use https"),
    ("http://partner.example.org/x", "webhook_url must use https"),
    ("https://partner.example.org/a b", "webhook_url has spaces or invisible characters"),
    ("https://partner.example.org/\u200bx", "webhook_url has spaces or invisible characters"),
    ("https://user:secret@partner.example.org/", "webhook_url must not hold a user name or "
                                                 "password"),
    ("https://partner.example.org:port/", "webhook_url is not a valid URL"),
    ("https:///reports", "webhook_url has no host"),
    ("ftp://partner.example.org/", "webhook_url must use https"),
])
def test_unsafe_webhooks_are_refused_with_the_reason(url, reason):
    with pytest.raises(UnsafeUrl) as raised:
        webhook_host(url, allow_loopback_http=True)
    assert str(raised.value) == reason


def test_hosts_are_idna_decoded_and_loopback_http_is_only_for_tests():
    assert webhook_host("https://xn--80ak6aa92e.com/", False) == "аррӏе.com"
    assert webhook_host("http://127.0.0.1:9000/reports", True) == "127.0.0.1"
    with pytest.raises(UnsafeUrl, match="https"):
        webhook_host("http://127.0.0.1:9000/reports", False)
