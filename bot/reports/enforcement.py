"""The second net: names and addresses that mark an enforcement body.

The first protection is the maintainers' vetting signature (:mod:`bot.reports.vetting`):
an entry nobody vetted is never used. This module refuses, even among vetted
entries, any partner or consulate whose id, name or webhook address names
immigration, police, border, customs, interior or security services, in the
languages of the bot and of the destinations (Malay, Thai, Chinese).

Disguises are undone before matching:

- NFKC folds fullwidth and compatibility letters ("ＩＣＥ" is "ICE");
- format characters are dropped (a soft hyphen in "Immi\u00adgration");
- every letter is folded to a skeleton with the Unicode confusables table of the
  ``confusables`` package (a Greek omicron in "Pοlice" folds like a Latin "o"),
  the idea of Unicode TS #39's skeletons;
- a webhook host is IDNA-decoded and split into words ("rmp.gov.my", "xn--...").

A match refuses the entry with the reason; nothing here tries to be clever about
an entry that passes: vetting decides that.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from urllib.parse import unquote, urlsplit

import idna
from confusables import confusable_characters

# Latin-script words, as word prefixes ("deport" refuses "deportation"). Each names
# an institution that detains, deports or polices workers. Words that genuine NGOs
# use too ("borders" in "Doctors Without Borders", "army" in "Salvation Army") are
# only refused inside the phrases below.
LATIN_STEMS = (
    # English
    "immigration", "police", "policing", "constabulary", "customs", "interior", "deport",
    "enforcement", "gendarmerie", "naturali", "intelligence", "sheriff", "military",
    "coastguard",
    # Spanish, French
    "policía", "policia", "inmigración", "inmigracion", "extranjería", "extranjeria",
    "aduana", "deportación", "gendarmería", "intérieur", "douane", "sûreté",
    # Malay, Indonesian
    "imigresen", "imigrasi", "kepolisian", "kastam", "penguatkuasa", "deportasi",
    "brimob",
    # Tagalog
    "pulis", "imigrasyon", "adwana", "deportasyon",
    # Portuguese, Italian, German, Turkish, Swahili, Vietnamese (other corridors' words)
    "imigração", "imigracao", "polizia", "carabinieri", "questura", "polizei",
    "bundespolizei", "ausländerbehörde", "auslanderbehorde", "emniyet", "uhamiaji",
)
# Latin-script phrases and short words, matched as whole words ("ice" is not "justice").
LATIN_PHRASES = (
    "homeland security", "home affairs", "home office", "home ministry", "ministry of home",
    "coast guard", "general security", "public security", "state security",
    "national security", "security service", "security directorate", "residency affairs",
    "foreigners affairs", "foreigners department", "aliens department",
    "passports and", "passport department", "passports department",
    "bureau of investigation", "criminal investigation", "federal bureau",
    "border force", "border patrol", "border protection", "border police", "border guard",
    "border control", "border security", "border agency", "border management",
    "detention centre", "detention center", "detention facility", "detention camp",
    "guardia civil", "seguridad pública", "seguridad publica", "patrulla fronteriza",
    "control fronterizo", "centro de detención", "centro de detencion",
    "estación migratoria", "dirección general de migración", "direccion general de migracion",
    "instituto nacional de migración", "instituto nacional de migracion",
    "servicio nacional de migración", "ministerio del interior", "police aux frontières",
    "garde frontière", "garde frontières", "centre de rétention", "ministère de l intérieur",
    "dalam negeri", "bea cukai", "penegak hukum", "penegakan hukum", "satpol pp",
    "kawalan sempadan", "ikatan relawan rakyat", "jabatan sukarelawan", "bureau of immigration",
    "polis", "polisi", "dirección nacional de migraciones", "direccion nacional de migraciones",
    "dirección general de migraciones", "superintendencia nacional de migraciones",
    "migración colombia", "foreigners regional registration", "göç idaresi", "goc idaresi",
    "công an", "cong an", "xuất nhập cảnh", "xuat nhap canh", "federal authority for identity",
)
ACRONYMS = (
    "ice", "hsi", "cbp", "dhs", "uscis", "ero", "fbi", "ukvi", "ukba", "pdrm", "rmp", "kdn",
    "nbi", "cidg", "pnp", "gdrfa", "icp", "moi", "moha", "mha", "spf", "immd", "gdgs", "psd",
    "bgb", "polri", "jawazat", "jawazath", "interpol", "europol", "frontex", "frro", "fia",
    "npra",
)
# Other scripts, matched as substrings of the normalised text.
SCRIPT_TERMS = (
    # Arabic ("أمن العام" is in both "الأمن العام" and "للأمن العام")
    "شرطة", "جوازات", "وزارة الداخلية", "الأمن الداخلي", "الحدود", "الجمارك", "ترحيل",
    "إبعاد", "أمن العام", "أمن الدولة", "أمن الوطني", "مباحث", "شؤون الأجانب", "الإقامة",
    "إدارة الهجرة", "مديرية الهجرة", "دائرة الهجرة", "مصلحة الهجرة", "هيئة الهجرة",
    "الهجرة والجوازات", "المخابرات", "الاحتجاز", "هوية والجنسية", "شؤون الجنسية",
    # Urdu
    "پولیس", "امیگریشن", "ایف آئی اے",
    # Hindi, Nepali (Devanagari)
    "पुलिस", "प्रहरी", "आप्रवासन", "अप्रवासन", "आव्रजन", "अध्यागमन", "गृह मंत्रालय",
    "गृह मन्त्रालय", "सीमा सुरक्षा", "सीमा शुल्क", "भन्सार", "निर्वासन", "हिरासत", "प्रवर्तन",
    # Bengali
    "পুলিশ", "ইমিগ্রেশন", "অভিবাসন অধিদপ্তর", "অভিবাসন ও পাসপোর্ট", "স্বরাষ্ট্র",
    "সীমান্ত রক্ষী", "কাস্টমস", "শুল্ক", "গোয়েন্দা",
    # Amharic
    "ፖሊስ", "ኢሚግሬሽን", "ጉምሩክ",
    # Thai
    "ตำรวจ", "ตรวจคนเข้าเมือง", "ศุลกากร", "มหาดไทย",
    # Chinese
    "警察", "警務", "警务", "警署", "警方", "公安", "入境", "移民局", "移民署", "移民廳",
    "移民厅", "海關", "海关", "邊境", "边境", "邊防", "边防", "保安局", "國安", "国安", "遣返",
    "遣送", "拘留", "羈留", "羁留", "懲教", "惩教",
    # Japanese, Korean
    "入国管理", "出入国", "경찰", "출입국",
    # Russian, Khmer, Sinhala, Tamil
    "полиц", "мвд", "миграционн", "пограничн", "នគរបាល", "អន្តោប្រវេសន៍", "පොලිස්", "ආගමන",
    "காவல் துறை", "குடிவரவு",
)
# Arabic letters written with or without hamza, and final forms, searched alike.
_ARABIC_FOLDS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي"})


def normalise(text: str) -> str:
    """NFKC, without format characters (soft hyphens, zero-width joiners), casefolded,
    Arabic hamza and final forms folded."""
    folded = unicodedata.normalize("NFKC", text)
    folded = "".join(char for char in folded if unicodedata.category(char) != "Cf")
    return folded.casefold().translate(_ARABIC_FOLDS)


@cache
def _skeleton_char(char: str) -> str:
    """One prototype for every character that looks like the same ASCII letter or digit."""
    lookalikes = [c.lower() for c in confusable_characters(char) or [char]
                  if len(c) == 1 and c.isascii() and c.isalnum()]
    return min(lookalikes) if lookalikes else char


def skeleton(text: str) -> str:
    """The normalised words of ``text``, each letter folded to its prototype, joined by
    single spaces (so that "Pοlice" and "P0LICE" give the same as "police")."""
    words = re.findall(r"[^\W_]+", normalise(text))
    return " ".join("".join(_skeleton_char(char) for char in word) for word in words)


@cache
def _latin_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    patterns = [(stem, re.compile(rf"(?:^| ){re.escape(skeleton(stem))}")) for stem in
                LATIN_STEMS]
    patterns += [(phrase, re.compile(rf"(?:^| ){re.escape(skeleton(phrase))}(?: |$)"))
                 for phrase in LATIN_PHRASES + ACRONYMS]
    return tuple(patterns)


def enforcement_term(text: str) -> str | None:
    """The enforcement word found in ``text``, or None."""
    normalised = normalise(text)
    for term in SCRIPT_TERMS:
        if normalise(term) in normalised:
            return term
    skeletal = skeleton(text)
    for term, pattern in _latin_patterns():
        if pattern.search(skeletal):
            return term
    return None


class UnsafeUrl(ValueError):
    """A webhook address reports must not be sent to; the message says why."""


LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def webhook_host(url: str, allow_loopback_http: bool) -> str:
    """The decoded host of a webhook URL fit to receive reports, or :class:`UnsafeUrl`.

    https only (plain http only to this machine's loopback, for tests and a local demo,
    and only when ``allow_loopback_http``); no spaces or control characters; no user
    name or password in it; a host that IDNA can encode.
    """
    if any(char.isspace() or unicodedata.category(char) in ("Cc", "Cf") for char in url):
        raise UnsafeUrl("webhook_url has spaces or invisible characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        raise UnsafeUrl("webhook_url is not a valid URL") from exc
    host = parts.hostname or ""
    if not host:
        raise UnsafeUrl("webhook_url has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("webhook_url must not hold a user name or password")
    if parts.scheme == "http" and allow_loopback_http and host in LOOPBACK_HOSTS:
        return host
    if parts.scheme != "https":
        raise UnsafeUrl("webhook_url must use https")
    try:
        return idna.decode(idna.encode(host, uts46=True))
    except idna.IDNAError as exc:
        raise UnsafeUrl("webhook_url has a host name that is not valid") from exc


def url_words(url: str) -> str:
    """The host and path of a URL as words, for :func:`enforcement_term`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        host = idna.decode(host)
    except idna.IDNAError:
        pass  # an undecodable host is refused by webhook_host; still search its text
    return " ".join(re.split(r"[./_~\-]+", f"{host} {unquote(parts.path)}"))
