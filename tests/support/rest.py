"""Talking to a running bot over the REST channel, as a test does."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

# Fee questions written for these tests (not in data/ nor in the dev set).
FEE_QUESTIONS = {
    "en": "How much is the agency allowed to take from me for the job abroad?",
    "tl": "Magkano po ba talaga ang dapat singilin ng ahensya para makaalis ako?",
    "ne": "म्यानपावर कम्पनीले मसँग कति रकम लिन पाउँछ?",
    "id": "Berapa biaya yang boleh diminta PT dari saya untuk berangkat kerja?",
    "bn": "এজেন্সি আমার কাছ থেকে বিদেশ পাঠানোর জন্য কত টাকা নিতে পারে?",
    "am": "ኤጀንሲው ወደ ውጭ ለመላክ ከእኔ ምን ያህል ገንዘብ ሊወስድ ይችላል?",
    "ar": "كم يحق لمكتب الاستقدام أن يأخذ مني من رسوم؟",
    "es": "¿Cuánto me puede cobrar la agencia por conseguirme el trabajo?",
    "fr": "Combien l'agence de recrutement peut-elle me faire payer pour partir ?",
    "hi": "एजेंसी मुझसे विदेश भेजने के लिए कितनी फीस ले सकती है?",
}


def send(url: str, sender: str, message, raw: bytes | None = None) -> tuple[int, list[dict]]:
    body = raw if raw is not None else json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"[]")
    except urllib.error.HTTPError as error:
        return error.code, []


def texts(replies: list[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)
