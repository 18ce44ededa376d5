"""bot.evaluation: the per-language table and its confusions."""

from __future__ import annotations

from bot.evaluation import Report

ERRORS = [
    {"language": "ne", "text": "a", "expected": "report_abuse", "predicted": "ask_wages"},
    {"language": "ne", "text": "b", "expected": "report_abuse", "predicted": "ask_wages"},
    {"language": "en", "text": "c", "expected": "goodbye", "predicted": "ask_job_loss"},
]
REPORT = Report({"en": 0.9, "ne": 0.8}, 0.85, ERRORS, {"en": 10, "ne": 10}, asked=3,
                asked_right=2)


def test_confusions_are_counted_commonest_first_overall_and_per_language():
    assert REPORT.confusions() == [("report_abuse", "ask_wages", 2),
                                   ("goodbye", "ask_job_loss", 1)]
    assert REPORT.confusions("en") == [("goodbye", "ask_job_loss", 1)]
    assert REPORT.count("report_abuse", "ask_wages") == 2
    assert REPORT.count("report_abuse", "check_report_status") == 0


def test_the_table_shows_each_language_with_its_confusions():
    assert REPORT.table().splitlines() == [
        "language      n  accuracy  commonest confusions",
        "en           10     90.0%  goodbye->ask_job_loss (1)",
        "ne           10     80.0%  report_abuse->ask_wages (2)",
        "overall      20     85.0%",
        'asked "which do you mean?" on 3 messages (counted above as the first guess); '
        "the right intent was a choice in 2",
    ]
