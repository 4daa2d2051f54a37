"""The GroundednessChecker options both groundedness components take, checked and serialised alike."""

from __future__ import annotations

import os
from typing import Any

from entailkit.tasks.groundedness import GroundednessChecker
from entailkit.tasks.specs import CheckSpec
from entailkit.types import GroundednessAggregate, GroundednessReport
from haystack_integrations.common.entailkit import LazyTask, check_choice, check_probability

__all__ = ["CheckerOptions", "report_result"]


class CheckerOptions:
    """The model id and checker options of a groundedness component, and its lazily built checker."""

    def __init__(
        self,
        owner: str,
        model: str | os.PathLike[str],
        threshold: float,
        contradiction_threshold: float | None,
        aggregate: GroundednessAggregate,
        question_mode: str,
        kind: str | None,
        load_options: dict[str, Any] | None,
    ) -> None:
        """Check the options (typed errors); load nothing yet."""
        self.threshold = check_probability(threshold, "threshold", allow_none=False)
        self.contradiction_threshold = check_probability(contradiction_threshold, "contradiction_threshold")
        self.aggregate: GroundednessAggregate = check_choice(aggregate, "aggregate", ("min", "mean"))  # type: ignore[assignment]
        self.question_mode = check_choice(question_mode, "question_mode", ("claim", "prefix", "none"))
        spec = CheckSpec.parse(
            {
                "threshold": self.threshold,
                "contradiction_threshold": self.contradiction_threshold,
                "aggregate": self.aggregate,
                "question_mode": self.question_mode,
            }
        )
        self.lazy: LazyTask[GroundednessChecker] = LazyTask(
            model, spec.build, owner=owner, kind=kind, load_options=load_options
        )
        self.load_options = load_options

    def init_parameters(self) -> dict[str, Any]:
        """What ``to_dict`` writes for these options."""
        return {
            "model": self.lazy.model,
            "threshold": self.threshold,
            "contradiction_threshold": self.contradiction_threshold,
            "aggregate": self.aggregate,
            "question_mode": self.question_mode,
            "kind": self.lazy.kind,
            "load_options": self.load_options,
        }


def report_result(report: GroundednessReport) -> dict[str, Any]:
    """One answer's result in the shape of Haystack's FaithfulnessEvaluator, plus entailkit's verdicts.

    ``statement_scores`` are 1 (supported) or 0 as in FaithfulnessEvaluator and ``score`` is their mean
    (the report's ``supported_fraction``); ``aggregate_score`` is the report's ``score`` (the "min" or
    "mean" sentence score that decides ``grounded``); ``statement_support`` holds each sentence's support
    probability and ``report`` the full report.
    """
    sentences = report.sentences
    return {
        "statements": [s.text for s in sentences],
        "statement_scores": [int(s.verdict == "supported") for s in sentences],
        "statement_verdicts": [s.verdict for s in sentences],
        "statement_support": [s.score for s in sentences],
        # Haystack's FaithfulnessEvaluator: a result's score is the mean of its 0/1 statement_scores, i.e. the
        # fraction of supported statements; keep that meaning (supported_fraction, read by name) for "score",
        # and give the number that decides grounded (the report's score) its own key.
        "score": report.supported_fraction,
        "aggregate_score": report.score,
        "grounded": report.grounded,
        "report": report.model_dump(mode="json"),
    }
