"""A tiny made-up NLU data set in Rasa's format, and a development set beside it."""

from __future__ import annotations

from pathlib import Path

import yaml

TRAINING = {
    "en": {
        "greet": ["hello", "hi there", "good morning", "hello friend", "hi", "good evening"],
        "report_abuse": ["my boss beats me", "i want to report abuse", "report my employer",
                         "employer hits me", "i was abused at work", "report the agency"],
        "check_report_status": ["status of my report", "what happened to my report",
                                "check my report", "any news on my report",
                                "report status please", "where is my report now"],
    },
    "es": {
        "greet": ["hola", "buenos dias", "hola amigo", "buenas tardes", "hola que tal",
                  "buenas noches"],
        "report_abuse": ["mi jefe me pega", "quiero denunciar abuso", "denunciar a mi patron",
                         "el patron me golpea", "sufro abuso en el trabajo",
                         "denunciar la agencia"],
        "check_report_status": ["estado de mi denuncia", "que paso con mi denuncia",
                                "revisar mi denuncia", "noticias de mi denuncia",
                                "estado de la denuncia por favor", "donde esta mi denuncia"],
    },
}

DEV = {
    "greet": {"en": ["hello there", "good morning friend"], "es": ["hola buenos dias"]},
    "report_abuse": {"en": ["i want to report my boss", "my employer beats me"],
                     "es": ["quiero denunciar a mi jefe"]},
    "check_report_status": {"en": ["news on my report"], "es": ["estado de mi denuncia ya"]},
}


def write_tiny_nlu(directory: Path) -> tuple[Path, Path]:
    """``directory/data`` (one file a language, ``metadata: {language: ...}`` on each
    intent block) and ``directory/dev.yml`` (``intent -> language -> texts``)."""
    data = directory / "data"
    data.mkdir()
    for language, intents in TRAINING.items():
        blocks = [{"intent": intent, "metadata": {"language": language},
                   "examples": "".join(f"- {text}\n" for text in texts)}
                  for intent, texts in intents.items()]
        (data / f"{language}.yml").write_text(
            yaml.safe_dump({"version": "3.1", "nlu": blocks}, allow_unicode=True),
            encoding="utf-8")
    dev = directory / "dev.yml"
    dev.write_text(yaml.safe_dump(DEV, allow_unicode=True), encoding="utf-8")
    return data, dev
