"""bot.nlu.compare on a tiny made-up data set: the measures, the candidates, the table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.nlu.augment import Example
from bot.nlu.compare import (
    SoftVote,
    Tokeniser,
    brier_top,
    compare,
    expected_calibration_error,
    load_training_examples,
    measure_diet,
    score_predictions,
    table,
)
from tests.support.nlu_data import write_tiny_nlu


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_tiny_nlu(tmp_path_factory.mktemp("nlu"))


@pytest.fixture(scope="module")
def results(tiny: tuple[Path, Path]) -> dict:
    data, dev = tiny
    return compare(data, {"dev": dev}, folds=2, diet=False, log=lambda _line: None)


def test_training_examples_are_read_by_rasa_with_their_blocks_language(tiny):
    examples = load_training_examples(tiny[0])

    assert len(examples) == 36
    assert Example("hello", "greet", "en") in examples
    assert Example("mi jefe me pega", "report_abuse", "es") in examples


def test_the_tokeniser_is_rasas_whitespace_tokenizer():
    assert Tokeniser()(["Hello!! mero pasport, kafeel-le rakhyo?"]) == [
        "Hello mero pasport kafeel-le rakhyo"]


def test_calibration_error_and_brier_score_of_the_top_probability():
    confidence = np.array([0.9, 0.9, 0.6, 0.3])
    correct = np.array([True, False, True, False])

    # bins: 0.9 (two, half right), 0.6 (one, right), 0.3 (one, wrong)
    assert expected_calibration_error(confidence, correct) == pytest.approx(
        0.5 * 0.4 + 0.25 * 0.4 + 0.25 * 0.3)
    assert brier_top(confidence, correct) == pytest.approx(
        (0.01 + 0.81 + 0.16 + 0.09) / 4)


def test_scores_per_language_and_reports_taken_for_status_checks():
    examples = [Example("a", "report_abuse", "en"), Example("b", "report_abuse", "es"),
                Example("c", "greet", "es"), Example("d", "greet", "es")]

    scores = score_predictions(examples, ["report_abuse", "check_report_status", "greet",
                                          "report_abuse"], [1.0, 1.0, 1.0, 1.0])

    assert (scores.n, scores.overall, scores.by_language) == (4, 0.5, {"en": 1.0, "es": 0.3333})
    assert scores.abuse_as_status == 1
    assert (scores.ece, scores.brier) == (0.5, 0.5)


def test_soft_vote_averages_its_members_probabilities():
    class Fixed:
        classes_ = np.array(["greet", "thanks"])

        def __init__(self, row: list[float]) -> None:
            self.row = row

        def fit(self, texts, intents):
            return self

        def predict_proba(self, texts):
            return np.array([self.row] * len(texts))

    vote = SoftVote([Fixed([0.8, 0.2]), Fixed([0.2, 0.8]), Fixed([0.5, 0.5])])

    assert vote.predict_proba(["x"])[0].tolist() == pytest.approx([0.5, 0.5])
    assert list(vote.classes_) == ["greet", "thanks"]


def test_every_candidate_is_measured_in_order(results):
    assert [row["name"] for row in results["candidates"]] == [
        "a_tfidf_svm", "b_tfidf_logreg", "b_tfidf_svm_calibrated", "b_tfidf_svm_platt",
        "c_counts_logreg", "a_tfidf_svm+aug", "b_tfidf_logreg+aug", "d_ensemble"]
    assert (results["training_examples"], results["folds"]) == (36, 2)


def test_cross_validation_and_development_set_accuracy(results):
    rows = {row["name"]: row for row in results["candidates"]}

    assert {name: row["cv_accuracy"] for name, row in rows.items()} == {
        "a_tfidf_svm": 0.7777, "b_tfidf_logreg": 0.8333, "b_tfidf_svm_calibrated": 0.7778,
        "b_tfidf_svm_platt": 0.7222, "c_counts_logreg": 0.7778, "a_tfidf_svm+aug": 0.7777,
        "b_tfidf_logreg+aug": 0.7778, "d_ensemble": 0.8611}
    assert {name: row["cv_abuse_as_status"] for name, row in rows.items()} == {
        "a_tfidf_svm": 5, "b_tfidf_logreg": 3, "b_tfidf_svm_calibrated": 3,
        "b_tfidf_svm_platt": 6, "c_counts_logreg": 4, "a_tfidf_svm+aug": 5,
        "b_tfidf_logreg+aug": 4, "d_ensemble": 2}
    assert {name: row["sets"]["dev"]["by_language"] for name, row in rows.items()} == {
        name: {"en": 1.0, "es": 1.0} for name in rows}


def test_the_ensemble_is_of_the_two_best_candidates_with_probabilities(results):
    ensemble = results["candidates"][-1]

    assert ensemble["description"] == (
        "soft vote of b_tfidf_logreg and b_tfidf_svm_calibrated (the two best by CV with "
        "probabilities)")


def test_the_table_has_a_row_a_candidate_and_a_table_a_set(results):
    lines = table(results).splitlines()

    assert lines[0].split() == ["candidate", "CV", "dev", "min", "dev", "train", "s", "p95",
                                "ms", "ECE", "dev", "Brier", "dev", "abuse->status"]
    assert [line.split()[0] for line in lines[1:9]] == [
        row["name"] for row in results["candidates"]]
    assert lines[9] == "abuse->status: report_abuse read as check_report_status, CV/dev"
    assert lines[11:13] == ["accuracy by language on dev",
                            f"{'candidate':24}{'en':>7}{'es':>7}"]


def test_a_diet_that_trains_too_long_is_stopped_and_says_so(tiny):
    result = measure_diet(tiny[0], {}, timeout=1.0)

    assert (result.name, result.sets, result.note) == (
        "e_diet", {}, "stopped: training took more than 1 s")
