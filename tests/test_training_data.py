"""The training data stays apart from the development set it is measured on."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from bot.evaluation import load_dataset
from tests.conftest import ROOT

EVAL = ROOT.parent / "shared" / "eval"
DEV_SETS = (EVAL / "dev_nlu.yml", EVAL / "dev_nlu_hard.yml")
FACT_SET = EVAL / "dev_facts.yml"


def _normalised(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", " ", text).strip()


def _training_examples() -> list[tuple[Path, str]]:
    examples = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            examples += [(path, line[2:]) for line in block.get("examples", "").splitlines()
                         if line.startswith("- ")]
    return examples


def _development_texts() -> set[str]:
    texts = {_normalised(text) for dev_set in DEV_SETS if dev_set.exists()
             for text, _intent, _language in load_dataset(dev_set)}
    if FACT_SET.exists():
        texts |= {_normalised(item["text"])
                  for item in yaml.safe_load(FACT_SET.read_text(encoding="utf-8"))}
    return texts


def test_no_development_utterance_is_in_the_training_data():
    if not any(dev_set.exists() for dev_set in DEV_SETS):
        pytest.skip(f"no development sets in {EVAL}")
    development = _development_texts()
    copied = [f"{path.name}: {text}" for path, text in _training_examples()
              if _normalised(text) in development]
    assert not copied, "development lines in data/nlu:\n" + "\n".join(copied)
