"""EntailkitGroundednessEvaluator: FaithfulnessEvaluator's job, done by a small NLI model sentence by sentence."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from haystack import component, default_from_dict, default_to_dict

from entailkit.errors import InvalidInputError
from entailkit.types import GroundednessAggregate, GroundednessReport
from haystack_integrations.common.entailkit import LazyWarmUp
from haystack_integrations.components.evaluators.entailkit._checker import CheckerOptions, report_result

__all__ = ["EntailkitGroundednessEvaluator"]


@component
class EntailkitGroundednessEvaluator(LazyWarmUp):
    """Score how well each predicted answer is supported by its contexts, sentence by sentence.

    The outputs are those of Haystack's ``FaithfulnessEvaluator``: ``score`` (the mean over answers),
    ``individual_scores`` (per answer: the fraction of its sentences that are supported, the report's
    ``supported_fraction``) and ``results`` (per answer: ``statements``, ``statement_scores``, ``score``,
    and entailkit's verdicts, ``aggregate_score`` (the report's ``score``, which decides ``grounded``),
    ``grounded`` and report).
    A sentence is ``supported``, ``unsupported`` or ``contradicted`` (see entailkit's GroundednessChecker).

    Usage:
        ```python
        from haystack_integrations.components.evaluators.entailkit import EntailkitGroundednessEvaluator

        evaluator = EntailkitGroundednessEvaluator(model="MoritzLaurer/deberta-v3-base-zeroshot-v2.0")
        out = evaluator.run(
            predicted_answers=["Paris is the capital of France. It has 90 million people."],
            contexts=[["Paris is the capital and largest city of France."]],
        )
        print(out["individual_scores"], out["results"][0]["statement_verdicts"])
        ```
    """

    def __init__(
        self,
        model: str | os.PathLike[str],
        *,
        threshold: float = 0.5,
        contradiction_threshold: float | None = None,
        aggregate: GroundednessAggregate = "min",
        question_mode: str = "claim",
        kind: str | None = None,
        load_options: dict[str, Any] | None = None,
    ) -> None:
        """Check every option now; the model is loaded in ``warm_up`` (or on first run).

        Args:
            model: An NLI (2 or 3 labels) or GLiClass model directory or hub id; loaded once, shared.
            threshold: The support a sentence needs to be ``supported`` (and the report's ``score``, each
                result's ``aggregate_score``, needs for ``grounded``), in [0, 1].
            contradiction_threshold: The contradiction probability at which a sentence is ``contradicted``
                (None: ``threshold``).
            aggregate: ``"min"`` or ``"mean"`` of sentence scores, for each report's ``score`` (each
                result's ``aggregate_score``).
            question_mode: How the question shapes what is checked: ``"claim"`` (a short answer as the claim it
                makes for the question), ``"prefix"`` (the question before each sentence) or ``"none"``.
            kind: The kind the model is loaded as (None: read from the model's config).
            load_options: Extra ``entailkit.load_scorer`` options (``device``, ``dtype``, ...).

        Raises:
            InvalidInputError: A blank model id, or an option of the wrong type or out of range.
        """
        self._options = CheckerOptions(
            type(self).__name__,
            model,
            threshold,
            contradiction_threshold,
            aggregate,
            question_mode,
            kind,
            load_options,
        )
        self._lazy = self._options.lazy
        self.model = self._lazy.model

    def to_dict(self) -> dict[str, Any]:
        """The component's init parameters: the model id and the options, never the loaded model."""
        return default_to_dict(self, **self._options.init_parameters())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EntailkitGroundednessEvaluator:
        """The component ``to_dict`` described (its model is loaded again at warm-up, shared)."""
        return default_from_dict(cls, data)

    @component.output_types(score=float, individual_scores=list[float], results=list[dict[str, Any]])
    def run(
        self,
        predicted_answers: list[str],
        contexts: list[list[str]],
        questions: list[str] | None = None,
    ) -> dict[str, Any]:
        """Check every answer against its own contexts, all sentence pairs in shared batches.

        Args:
            predicted_answers: The answers to check.
            contexts: One list of context passages per answer.
            questions: One question per answer, or None (kept in each report; shapes short answers as ``question_mode`` says).

        Returns:
            ``score``, ``individual_scores`` and ``results`` (see the class); for no answers, ``0.0``,
            ``[]`` and ``[]``.

        Raises:
            InvalidInputError: The lists differ in length or hold something other than str.
        """
        items = _items(predicted_answers, contexts, questions)
        if not items:
            return _outputs([])
        return _outputs(self._options.lazy.get().check_many(items))

    @component.output_types(score=float, individual_scores=list[float], results=list[dict[str, Any]])
    async def run_async(
        self,
        predicted_answers: list[str],
        contexts: list[list[str]],
        questions: list[str] | None = None,
    ) -> dict[str, Any]:
        """``run`` off the event loop, on entailkit's shared micro-batcher (``GroundednessChecker.acheck_many``)."""
        items = _items(predicted_answers, contexts, questions)
        if not items:
            return _outputs([])
        checker = await self._options.lazy.aget()
        return _outputs(await checker.acheck_many(items))


def _items(answers: Any, contexts: Any, questions: Any) -> list[dict[str, Any]]:
    """``check_many`` items, after checking that the three lists line up."""
    for name, value in (("predicted_answers", answers), ("contexts", contexts), ("questions", questions)):
        if value is None and name == "questions":
            continue
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise InvalidInputError(f"{name} must be a list (one entry per answer), got {type(value).__name__}.")
    if len(contexts) != len(answers) or (questions is not None and len(questions) != len(answers)):
        got = f"{len(answers)} answers, {len(contexts)} context lists"
        got += "" if questions is None else f", {len(questions)} questions"
        raise InvalidInputError(f"predicted_answers, contexts and questions must be one entry per answer: got {got}.")
    asked = questions if questions is not None else [None] * len(answers)
    return [{"answer": a, "contexts": c, "question": q} for a, c, q in zip(answers, contexts, asked, strict=True)]


def _outputs(reports: list[GroundednessReport]) -> dict[str, Any]:
    # FaithfulnessEvaluator's individual scores are fractions of supported statements: supported_fraction,
    # not the report's score (the number that decides grounded, in each result's aggregate_score).
    individual = [r.supported_fraction for r in reports]
    return {
        "score": sum(individual) / len(individual) if individual else 0.0,
        "individual_scores": individual,
        "results": [report_result(r) for r in reports],
    }
