"""Which intent classifier to use, chosen by measurement (``python -m bot nlu-compare``).

Every candidate sees the same tokens: our training examples (``data/nlu``, read with
Rasa's own reader) and the development sets, split by Rasa's ``WhitespaceTokenizer``
and joined with spaces. The candidates:

- ``a_tfidf_svm``: word 1-2 and char_wb 2-4 TF-IDF, linear SVM;
- ``b_tfidf_logreg``: the same features, logistic regression (saga, C=10);
- ``b_tfidf_svm_calibrated``: the same features, three SVMs each calibrated (sigmoid) on
  the third of the data it was not trained on, their probabilities averaged;
- ``b_tfidf_svm_platt``: one SVM trained on all the data, its sigmoid fitted on 3-fold
  margins (the SVM's cost at prediction time, with probabilities);
- ``c_counts_logreg``: the features of config.yml (word counts, char_wb 2-4 counts) and
  its classifier (Rasa's LogisticRegressionClassifier is sklearn's, lbfgs, balanced
  classes): an sklearn stand-in for today's pipeline, not the Rasa model itself;
- ``a_tfidf_svm+aug``, ``b_tfidf_logreg+aug``: a and b trained on augmented examples
  (:mod:`bot.nlu.augment`; in cross-validation only the training folds are augmented);
- ``d_ensemble``: the average of the probabilities of the two best unaugmented candidates
  with probabilities, by cross-validation accuracy;
- ``e_diet`` (optional): a small DIET trained once by ``rasa train nlu`` in a temporary
  directory, measured on the development sets only (no cross-validation: too slow).

For each: stratified k-fold accuracy on our data, accuracy per language on each
development set, training time on all our data, p95 latency of one message
(tokenising included; weights in Fortran order, as bot.nlu.tfidf_svm
loads them), the expected calibration error (10 equal bins) and Brier score
of the top probability, and how often ``report_abuse`` comes out as
``check_report_status``. The linear SVM has no probabilities: its "probabilities" are
the softmax of its margins, which is what a Fallback threshold would have to read.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import yaml
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import (
    CountVectorizer,
    TfidfVectorizer,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline, make_union
from sklearn.svm import LinearSVC

from bot.evaluation import load_dataset
from bot.nlu.augment import Example, augment

SEED = 7
ABUSE, STATUS = "report_abuse", "check_report_status"
WORD_PATTERN = r"(?u)\b\w+\b"  # Rasa's CountVectorsFeaturizer's, for words
DIET_TIMEOUT = 360.0


class Classifier(Protocol):
    classes_: np.ndarray

    def fit(self, texts: Sequence[str], intents: np.ndarray) -> Any: ...


@dataclass(frozen=True)
class Candidate:
    name: str
    description: str
    build: Callable[[], Classifier]
    augmented: bool = False


def candidates() -> list[Candidate]:
    """The sklearn candidates, in the order they are measured (before the ensemble)."""
    return [
        Candidate("a_tfidf_svm", "word 1-2 + char_wb 2-4 TF-IDF, LinearSVC", _tfidf_svm),
        Candidate("b_tfidf_logreg", "same TF-IDF, LogisticRegression (saga, C=10)",
                  _tfidf_logreg),
        Candidate("b_tfidf_svm_calibrated", "same TF-IDF, CalibratedClassifierCV(LinearSVC): "
                  "the average of 3 calibrated SVMs", _tfidf_svm_calibrated),
        Candidate("b_tfidf_svm_platt", "same TF-IDF, one LinearSVC on all data, sigmoid fitted "
                  "on 3-fold margins", _tfidf_svm_platt),
        Candidate("c_counts_logreg", "config.yml's features and classifier, in sklearn "
                  "(stand-in for the Rasa pipeline)", _counts_logreg),
        Candidate("a_tfidf_svm+aug", "a, trained on augmented examples", _tfidf_svm,
                  augmented=True),
        Candidate("b_tfidf_logreg+aug", "b, trained on augmented examples", _tfidf_logreg,
                  augmented=True),
    ]


def _tfidf() -> Any:
    return make_union(
        TfidfVectorizer(token_pattern=WORD_PATTERN, ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True),
        n_jobs=1)


def _counts() -> Any:
    return make_union(CountVectorizer(token_pattern=WORD_PATTERN),
                      CountVectorizer(analyzer="char_wb", ngram_range=(2, 4)), n_jobs=1)


def _tfidf_svm() -> Classifier:
    return make_pipeline(_tfidf(), LinearSVC(C=1.0, random_state=SEED))


def _tfidf_logreg() -> Classifier:
    # saga reaches lbfgs's accuracy here (same hard-set score) in a tenth of the time.
    return make_pipeline(_tfidf(), LogisticRegression(
        C=10.0, solver="saga", max_iter=30, tol=1e-3, class_weight="balanced",
        random_state=SEED, n_jobs=1))


def _tfidf_svm_calibrated() -> Classifier:
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=SEED)
    return make_pipeline(_tfidf(), CalibratedClassifierCV(
        LinearSVC(C=1.0, random_state=SEED), cv=folds, n_jobs=1))


def _tfidf_svm_platt() -> Classifier:
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=SEED)
    return make_pipeline(_tfidf(), CalibratedClassifierCV(
        LinearSVC(C=1.0, random_state=SEED), cv=folds, ensemble=False, n_jobs=1))


def _counts_logreg() -> Classifier:
    # As config.yml: max_iter 200, lbfgs, random_state 7; Rasa adds balanced classes.
    return make_pipeline(_counts(), LogisticRegression(
        solver="lbfgs", max_iter=200, tol=1e-4, class_weight="balanced", random_state=SEED,
        n_jobs=1))


class SoftVote:
    """The average of the probabilities of fitted classifiers trained on the same intents."""

    def __init__(self, members: Sequence[Classifier]) -> None:
        self.members = list(members)
        self.classes_ = members[0].classes_

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return np.mean([probabilities(member, texts) for member in self.members], axis=0)


def probabilities(model: Classifier | SoftVote, texts: Sequence[str]) -> np.ndarray:
    """Rows of probabilities over ``model.classes_``; softmax of the margins for an SVM."""
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(texts))
    margins = np.asarray(model.decision_function(texts))  # type: ignore[attr-defined]
    exp = np.exp(margins - margins.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


# --- data -----------------------------------------------------------------------------


def load_training_examples(data: Path) -> list[Example]:
    """Our examples, read by Rasa; the language is the intent block's ``metadata``."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for message in load_data(str(data)).intent_examples:
        metadata = (message.get("metadata") or {}).get("intent") or {}
        examples.append(Example(message.get("text"), message.get("intent"),
                                metadata.get("language", "none")))
    return examples


def load_eval_examples(path: Path) -> list[Example]:
    """A development set (``intent -> language -> texts``), read where it is."""
    return [Example(*triple) for triple in load_dataset(path)]


class Tokeniser:
    """Rasa's WhitespaceTokenizer, as in config.yml; tokens joined by single spaces."""

    def __init__(self) -> None:
        from rasa.nlu.tokenizers.whitespace_tokenizer import (
            WhitespaceTokenizer,
        )

        self._tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())

    def __call__(self, texts: Sequence[str]) -> list[str]:
        from rasa.shared.nlu.training_data.message import (
            Message,
        )

        messages = [Message(data={"text": text}) for text in texts]
        self._tokenizer.process(messages)
        return [" ".join(token.text for token in message.get("text_tokens"))
                for message in messages]


# --- measures -------------------------------------------------------------------------


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray,
                               bins: int = 10) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by size."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            error += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(error)


def brier_top(confidence: np.ndarray, correct: np.ndarray) -> float:
    """Mean squared gap between the top probability and whether the top intent was right."""
    return float(np.mean((confidence - correct.astype(float)) ** 2))


@dataclass
class SetScores:
    n: int
    overall: float
    by_language: dict[str, float]
    ece: float
    brier: float
    abuse_as_status: int


def score_predictions(examples: Sequence[Example], predicted: Sequence[str],
                      confidence: Sequence[float]) -> SetScores:
    truth = np.array([example.intent for example in examples])
    guessed = np.array(predicted)
    correct = truth == guessed
    languages = np.array([example.language for example in examples])
    by_language = {str(language): round(float(correct[languages == language].mean()), 4)
                   for language in sorted(set(languages))}
    top = np.asarray(confidence, dtype=float)
    return SetScores(
        n=len(examples), overall=round(float(correct.mean()), 4), by_language=by_language,
        ece=round(expected_calibration_error(top, correct), 4),
        brier=round(brier_top(top, correct), 4),
        abuse_as_status=int(np.sum((truth == ABUSE) & (guessed == STATUS))))


def p95_ms(seconds: Sequence[float]) -> float:
    return round(float(np.percentile(np.asarray(seconds) * 1000.0, 95)), 3)


@dataclass
class Result:
    name: str
    description: str
    cv_accuracy: float | None
    cv_folds: list[float]
    cv_abuse_as_status: int | None
    train_seconds: float
    latency_p95_ms: float
    sets: dict[str, SetScores] = field(default_factory=dict)
    note: str = ""


# --- the comparison -------------------------------------------------------------------


@dataclass
class _Fitted:
    """One sklearn candidate: its out-of-fold probabilities, and the model on all data."""

    candidate: Candidate
    fold_probabilities: list[np.ndarray]
    fold_classes: list[np.ndarray]
    model: Classifier
    train_seconds: float


def _fit(candidate: Candidate, examples: Sequence[Example], tokenise: Tokeniser
         ) -> tuple[Classifier, float]:
    if candidate.augmented:
        examples = augment(examples, SEED)
    model = candidate.build()
    start = time.perf_counter()
    model.fit(tokenise([example.text for example in examples]),
              np.array([example.intent for example in examples]))
    seconds = time.perf_counter() - start
    _lay_out_for_speed(model)
    return model, seconds


def _lay_out_for_speed(model: Any) -> None:
    """Fortran-ordered weights, as bot.nlu.tfidf_svm loads them: scoring one
    message then copies no weight matrix (the same numbers, the same predictions)."""
    final = model.steps[-1][1]
    linear = [calibrated.base_estimator for calibrated in
              getattr(final, "calibrated_classifiers_", [])] or [final]
    for estimator in linear:
        estimator.coef_ = np.asfortranarray(estimator.coef_)


def _cross_validate(candidate: Candidate, examples: Sequence[Example], tokenise: Tokeniser,
                    folds: Sequence[tuple[np.ndarray, np.ndarray]]) -> _Fitted:
    probabilities_by_fold, classes_by_fold = [], []
    for train, test in folds:
        model, _seconds = _fit(candidate, [examples[i] for i in train], tokenise)
        probabilities_by_fold.append(
            probabilities(model, tokenise([examples[i].text for i in test])))
        classes_by_fold.append(model.classes_)
    model, seconds = _fit(candidate, examples, tokenise)
    return _Fitted(candidate, probabilities_by_fold, classes_by_fold, model, seconds)


def _cv_scores(fitted_probabilities: list[np.ndarray], classes: list[np.ndarray],
               examples: Sequence[Example], folds: Sequence[tuple[np.ndarray, np.ndarray]]
               ) -> tuple[list[float], int]:
    accuracies, abuse_as_status = [], 0
    for probs, fold_classes, (_train, test) in zip(fitted_probabilities, classes, folds,
                                                   strict=True):
        truth = np.array([examples[i].intent for i in test])
        guessed = fold_classes[probs.argmax(axis=1)]
        accuracies.append(round(float(np.mean(truth == guessed)), 4))
        abuse_as_status += int(np.sum((truth == ABUSE) & (guessed == STATUS)))
    return accuracies, abuse_as_status


def _latencies(model: Classifier | SoftVote, texts: Sequence[str], tokenise: Tokeniser
               ) -> list[float]:
    seconds = []
    for text in texts:
        start = time.perf_counter()
        probabilities(model, tokenise([text]))
        seconds.append(time.perf_counter() - start)
    return seconds


def _result(name: str, description: str, model: Classifier | SoftVote, train_seconds: float,
            cv: tuple[list[float], int] | None, eval_sets: dict[str, list[Example]],
            tokenise: Tokeniser, note: str = "") -> Result:
    sets, seconds = {}, []
    for set_name, examples in eval_sets.items():
        texts = [example.text for example in examples]
        probs = probabilities(model, tokenise(texts))
        predicted = [str(intent) for intent in model.classes_[probs.argmax(axis=1)]]
        sets[set_name] = score_predictions(examples, predicted, probs.max(axis=1).tolist())
        seconds += _latencies(model, texts, tokenise)
    cv_folds, cv_abuse = cv if cv else ([], None)
    return Result(name, description,
                  round(float(np.mean(cv_folds)), 4) if cv_folds else None, cv_folds,
                  cv_abuse, round(train_seconds, 1), p95_ms(seconds), sets, note)


def compare(data: Path, eval_sets: dict[str, Path], folds: int = 5,
            diet: bool = True, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure every candidate; the JSON-ready results (``candidates`` in table order)."""
    examples = load_training_examples(data)
    evaluation = {name: load_eval_examples(path) for name, path in eval_sets.items()}
    tokenise = Tokeniser()
    intents = np.array([example.intent for example in examples])
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    split = list(splitter.split(np.zeros(len(intents)), intents))
    log(f"{len(examples)} training examples, {len(set(intents))} intents, {folds} folds")

    fitted: dict[str, _Fitted] = {}
    results: list[Result] = []
    for candidate in candidates():
        log(f"measuring {candidate.name}...")
        fitted[candidate.name] = fit = _cross_validate(candidate, examples, tokenise, split)
        cv = _cv_scores(fit.fold_probabilities, fit.fold_classes, examples, split)
        results.append(_result(candidate.name, candidate.description, fit.model,
                               fit.train_seconds, cv, evaluation, tokenise))

    with_probabilities = [result for result in results
                          if not fitted[result.name].candidate.augmented
                          and hasattr(fitted[result.name].model, "predict_proba")]
    best = sorted(with_probabilities, key=lambda r: -(r.cv_accuracy or 0.0))[:2]
    members = [fitted[result.name] for result in best]
    log(f"measuring d_ensemble of {members[0].candidate.name} and {members[1].candidate.name}")
    fold_probabilities = [np.mean(pair, axis=0) for pair in zip(
        members[0].fold_probabilities, members[1].fold_probabilities, strict=True)]
    cv = _cv_scores(fold_probabilities, members[0].fold_classes, examples, split)
    results.append(_result(
        "d_ensemble", f"soft vote of {members[0].candidate.name} and "
        f"{members[1].candidate.name} (the two best by CV with probabilities)",
        SoftVote([member.model for member in members]),
        sum(member.train_seconds for member in members), cv, evaluation, tokenise))

    if diet:
        log(f"training e_diet with `rasa train nlu` (stopped after {DIET_TIMEOUT:.0f} s)...")
        results.append(measure_diet(data, evaluation))
    return {"training_examples": len(examples), "folds": folds, "seed": SEED,
            "eval_sets": {name: str(path) for name, path in eval_sets.items()},
            "candidates": [asdict(result) for result in results]}


# --- DIET ------------------------------------------------------------------------------


DIET_CONFIG = {
    "recipe": "default.v1", "language": "xx", "assistant_id": "nlu-compare-diet",
    "pipeline": [
        {"name": "WhitespaceTokenizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 2,
         "max_ngram": 4},
        {"name": "DIETClassifier", "epochs": 50, "number_of_transformer_layers": 0,
         "entity_recognition": False, "random_seed": SEED},
    ],
    "policies": [],
}


def measure_diet(data: Path, evaluation: dict[str, list[Example]],
                 timeout: float = DIET_TIMEOUT) -> Result:
    """Train a small DIET once, outside models/, and measure it on the development sets.

    Its latency is the whole Rasa NLU graph's (tokeniser and featurisers included).
    """
    description = "DIETClassifier, no transformer layers, 50 epochs, same features"
    with tempfile.TemporaryDirectory(prefix="nlu-compare-diet-") as workdir:
        config = Path(workdir) / "config.yml"
        config.write_text(yaml.safe_dump(DIET_CONFIG), encoding="utf-8")
        command = [sys.executable, "-m", "rasa", "train", "nlu", "--config", str(config),
                   "--nlu", str(data), "--out", workdir, "--fixed-model-name", "diet",
                   "--quiet"]
        environment = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
        start = time.perf_counter()
        try:
            subprocess.run(command, check=True, timeout=timeout, env=environment,  # noqa: S603
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return Result("e_diet", description, None, [], None, round(timeout, 1), 0.0,
                          note=f"stopped: training took more than {timeout:.0f} s")
        except subprocess.CalledProcessError as failed:
            return Result("e_diet", description, None, [], None,
                          round(time.perf_counter() - start, 1), 0.0,
                          note=f"rasa train nlu failed (exit {failed.returncode})")
        train_seconds = time.perf_counter() - start
        return _measure_rasa_model(Path(workdir) / "diet.tar.gz", description, train_seconds,
                                   evaluation)


def _measure_rasa_model(model: Path, description: str, train_seconds: float,
                        evaluation: dict[str, list[Example]]) -> Result:
    from rasa.core.agent import Agent

    from bot.log_privacy import quiet_rasa_debug_events

    quiet_rasa_debug_events()  # else every parsed text is printed at DEBUG
    agent = Agent.load(str(model))

    async def parse_all(texts: list[str]) -> tuple[list[dict], list[float]]:
        parsed, seconds = [], []
        for text in texts:
            start = time.perf_counter()
            parsed.append(await agent.parse_message(text))
            seconds.append(time.perf_counter() - start)
        return parsed, seconds

    sets, all_seconds = {}, []
    for set_name, examples in evaluation.items():
        parsed, seconds = asyncio.run(parse_all([example.text for example in examples]))
        intents = [result.get("intent") or {} for result in parsed]
        sets[set_name] = score_predictions(
            examples, [str(intent.get("name")) for intent in intents],
            [float(intent.get("confidence") or 0.0) for intent in intents])
        all_seconds += seconds
    return Result("e_diet", description, None, [], None, round(train_seconds, 1),
                  p95_ms(all_seconds), sets, note="trained once, no cross-validation")


# --- output ----------------------------------------------------------------------------


def table(results: dict[str, Any]) -> str:
    """The summary (one row a candidate), then accuracy per language on each set."""
    rows = results["candidates"]
    set_names = list(results["eval_sets"])
    header = f"{'candidate':24}{'CV':>7}" + "".join(f"{name:>8}" for name in set_names) + \
        "".join(f"{'min ' + name:>10}" for name in set_names) + \
        f"{'train s':>9}{'p95 ms':>8}" + "".join(
            f"{'ECE ' + name:>10}{'Brier ' + name:>11}" for name in set_names) + \
        f"{'abuse->status':>15}"
    lines = [header]
    for row in rows:
        cv = f"{row['cv_accuracy']:.4f}" if row["cv_accuracy"] is not None else "-"
        line = f"{row['name']:24}{cv:>7}"
        sets = row["sets"]
        line += "".join(f"{sets[name]['overall']:>8.4f}" if name in sets else f"{'-':>8}"
                        for name in set_names)
        line += "".join(f"{min(sets[name]['by_language'].values()):>10.4f}"
                        if name in sets else f"{'-':>10}" for name in set_names)
        line += f"{row['train_seconds']:>9.1f}{row['latency_p95_ms']:>8.2f}"
        line += "".join(f"{sets[name]['ece']:>10.4f}{sets[name]['brier']:>11.4f}"
                        if name in sets else f"{'-':>10}{'-':>11}" for name in set_names)
        abuse = [str(row["cv_abuse_as_status"]) if row["cv_abuse_as_status"] is not None
                 else "-"] + [str(sets[name]["abuse_as_status"]) if name in sets else "-"
                              for name in set_names]
        line += f"{'/'.join(abuse):>15}"
        if row["note"]:
            line += f"  ({row['note']})"
        lines.append(line)
    lines.append("abuse->status: report_abuse read as check_report_status, "
                 f"CV/{'/'.join(set_names)}")
    for name in set_names:
        languages = sorted({language for row in rows if name in row["sets"]
                            for language in row["sets"][name]["by_language"]})
        lines += ["", f"accuracy by language on {name}",
                  f"{'candidate':24}" + "".join(f"{language:>7}" for language in languages)]
        for row in rows:
            if name in row["sets"]:
                by_language = row["sets"][name]["by_language"]
                lines.append(f"{row['name']:24}" + "".join(
                    f"{by_language[language]:>7.3f}" for language in languages))
    return "\n".join(lines)


def write(results: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
