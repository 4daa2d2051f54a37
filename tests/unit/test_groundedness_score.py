"""GroundednessReport.score decides grounded; supported_fraction only counts verdicts (issue 22)."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest

from entailkit.tasks import GroundednessChecker
from entailkit.types import GroundednessReport
from fakes import FakeScorer

S1 = "Paris is the capital of France."
S3 = "The Seine flows through it."
ANSWER = f"{S1} {S3}"  # S1 at 0.92, S3 at 0.30: min 0.30, mean 0.61
CONTEXTS = [
    "The Seine is a river in the north of France.",
    "Paris is the capital and largest city of France, with about two million residents.",
]


def check(**options: Any) -> GroundednessReport:
    table = {("capital and largest city", S1): (0.92, 0.02), ("Seine is a river", S3): (0.30, 0.10)}
    return GroundednessChecker(FakeScorer(table, head="nli3", default=(0.05, 0.05)), **options).check(ANSWER, CONTEXTS)


@pytest.mark.parametrize(
    ("aggregate", "threshold", "score", "fraction", "grounded"),
    [
        ("min", 0.5, 0.30, 0.5, False),  # one of two supported, and the min is under the bar
        ("mean", 0.5, 0.61, 0.5, True),  # still one of two supported, yet the mean clears the bar
        ("mean", 0.7, 0.61, 0.5, False),
        ("min", 0.3, 0.30, 1.0, True),
        ("mean", 0.95, 0.61, 0.0, False),
    ],
)
def test_score_decides_grounded_not_the_supported_fraction(
    aggregate: str, threshold: float, score: float, fraction: float, grounded: bool
) -> None:
    report = check(aggregate=aggregate, threshold=threshold)
    assert report.aggregate == aggregate and report.threshold == threshold
    assert report.score == pytest.approx(score)
    assert report.score == (report.min_score if aggregate == "min" else report.mean_score)
    assert report.supported_fraction == fraction == len(report.supported) / len(report.sentences)
    assert not report.contradicted
    assert report.grounded is grounded is (report.score >= threshold)


def test_aggregate_score_is_a_deprecated_alias_of_score() -> None:
    report = check(aggregate="mean")
    with pytest.warns(DeprecationWarning, match=r"use report\.score") as caught:
        value = report.aggregate_score
    assert value == report.score and len(caught) == 1
    assert caught[0].filename == __file__  # the warning points at the caller
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert report.score == pytest.approx(0.61)  # reading the new name never warns
    with pytest.raises(ValueError, match="frozen"):  # read-only, like every field of the frozen report
        report.aggregate_score = 0.0  # type: ignore[misc]


def test_the_json_has_score_and_supported_fraction_and_no_aggregate_score() -> None:
    report = check(aggregate="mean")
    dumped = report.model_dump(mode="json")
    assert dumped["score"] == pytest.approx(0.61) and dumped["supported_fraction"] == 0.5
    assert "aggregate_score" not in dumped and "aggregate_score" not in GroundednessReport.model_fields
    properties = GroundednessReport.model_json_schema()["properties"]
    assert {"score", "supported_fraction"} <= properties.keys() and "aggregate_score" not in properties
    assert GroundednessReport.model_validate_json(json.dumps(dumped)) == report


def test_a_report_dumped_before_the_rename_is_read_with_the_new_names() -> None:
    report = check(aggregate="mean")
    legacy = report.model_dump(mode="json")
    legacy["aggregate_score"] = legacy["score"]  # the old shape: score was the fraction
    legacy["score"] = legacy.pop("supported_fraction")
    assert GroundednessReport.model_validate(legacy) == report
    both = {**report.model_dump(mode="json"), "aggregate_score": report.score}  # new shape plus the old key
    assert GroundednessReport.model_validate(both) == report
