"""Faithfulness and relevancy evaluators for LlamaIndex, scored by entailkit (no LLM judge)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import llama_index.core.instrumentation as instrument
from llama_index.core.evaluation.base import BaseEvaluator, EvaluationResult
from llama_index.core.prompts.mixin import PromptDictType

from entailkit.adapters import (
    SerialisableMixin,
    dump_object,
    load_calibrator,
    model_name,
    recorded_kind,
    resolve_scorer,
)
from entailkit.errors import InvalidInputError
from entailkit.tasks.groundedness import GroundednessChecker
from entailkit.tasks.rerank import Reranker
from entailkit.tasks.sentences import split_sentences
from entailkit.tasks.specs import CheckSpec
from entailkit.types import GroundednessReport, RerankResult, SentenceCheck

__all__ = ["EntailkitFaithfulnessEvaluator", "EntailkitRelevancyEvaluator", "faithfulness_feedback"]

dispatcher = instrument.get_dispatcher(__name__)


class EntailkitFaithfulnessEvaluator(SerialisableMixin, BaseEvaluator):
    """Is every sentence of the response supported by the contexts? An entailkit GroundednessChecker.

    ``passing`` is the report's ``grounded``; ``score`` the report's ``score`` (its "min" or "mean"
    sentence score: the number that decides ``passing``, as LlamaIndex's own evaluators pair them);
    ``feedback`` lists the unsupported and contradicted sentences with their best evidence.
    ``aevaluate`` checks on entailkit's shared micro-batcher (``GroundednessChecker.acheck``), off the
    event loop, inside an instrumentation span. ``from_dict(to_dict())`` loads the same model again.
    """

    def __init__(
        self,
        scorer: Any = None,
        *,
        model: str | None = None,
        kind: str | None = None,
        calibrator: Any = None,
        splitter: Any = None,
        **options: Any,
    ) -> None:
        """Build the checker from ``scorer`` (a Scorer or a model id, shared) and the checker's own options.

        Args:
            scorer: An entailkit Scorer, a model id / path (loaded once per process), or a configured
                GroundednessChecker (then no options); None: load ``model``.
            model: The model id to load when ``scorer`` is None (what ``to_dict`` records).
            kind: The kind a model id is loaded as (None: read from the model's config).
            calibrator: A fitted calibrator for the sentence scores (or its ``to_dict`` form), or None.
            splitter: The checker's sentence splitter (None: entailkit's ``split_sentences``).
            **options: GroundednessChecker options (``CheckSpec``: threshold, contradiction_threshold,
                aggregate, question_mode).

        Raises:
            InvalidInputError: A checker given with options or a calibrator, a ``scorer`` that is neither a
                Scorer nor a model id, a scorer that cannot judge entailment, or a bad option.
            ModelLoadError: A model id that cannot be loaded.
        """
        if isinstance(scorer, GroundednessChecker):
            if options or calibrator is not None or splitter is not None:
                raise InvalidInputError("a configured GroundednessChecker carries its options: pass it alone.")
            self.checker = scorer
        else:
            resolved = resolve_scorer(scorer, model, kind, type(self).__name__)
            self.checker = CheckSpec(**options).build(
                resolved, calibrator=load_calibrator(calibrator), splitter=splitter
            )
        given = scorer if scorer is not None else model
        self.kind = recorded_kind(given, kind, self.checker.scorer)

    @classmethod
    def class_name(cls) -> str:
        return "EntailkitFaithfulnessEvaluator"

    def _config(self) -> dict[str, Any]:
        splitter = self.checker.splitter
        return {
            "model": model_name(self.checker.scorer),
            "kind": self.kind,
            **CheckSpec.of(self.checker).model_dump(mode="json"),
            "calibrator": dump_object(self.checker.calibrator),
            "splitter": None if splitter is split_sentences else dump_object(splitter),
        }

    def _get_prompts(self) -> PromptDictType:
        return {}

    def _update_prompts(self, prompts: PromptDictType) -> None:
        pass

    def check(self, response: str, contexts: Sequence[str], query: str | None = None) -> GroundednessReport:
        """The full entailkit report behind an evaluation.

        Args:
            response: The answer to check.
            contexts: The retrieved passages it should rest on.
            query: The question (kept in the report; shapes short answers as ``question_mode`` says).

        Raises:
            InvalidInputError: ``response`` or ``query`` is not a str, or a context is not a str.
        """
        return self.checker.check(response, list(contexts), question=query)

    async def acheck(self, response: str, contexts: Sequence[str], query: str | None = None) -> GroundednessReport:
        """``check`` on entailkit's shared micro-batcher, off the event loop (``GroundednessChecker.acheck``).

        Raises:
            InvalidInputError: As ``check``.
        """
        return await self.checker.acheck(response, list(contexts), question=query)

    @dispatcher.span
    async def aevaluate(
        self,
        query: str | None = None,
        response: str | None = None,
        contexts: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> EvaluationResult:
        """Check ``response`` against ``contexts`` (LlamaIndex's evaluator call).

        Args:
            query: The question, or None.
            response: The answer to check (required).
            contexts: The retrieved passages (required).
            **kwargs: Ignored.

        Returns:
            ``passing`` = the report's ``grounded``, ``score`` = the report's ``score`` (what decides
            ``grounded``), ``feedback`` = one line per failing sentence with its best evidence.

        Raises:
            ValueError: ``response`` or ``contexts`` is missing.
        """
        if response is None or contexts is None:
            raise ValueError("EntailkitFaithfulnessEvaluator needs both response and contexts.")
        report = await self.acheck(response, contexts, query)
        return EvaluationResult(
            query=query,
            response=response,
            contexts=list(contexts),
            passing=report.grounded,
            # LlamaIndex's score goes with passing: its FaithfulnessEvaluator gives 1.0 iff passing, and its
            # SemanticSimilarityEvaluator passes iff score >= threshold. So the number that decides grounded,
            # not supported_fraction (which, with aggregate="mean", need not agree with passing).
            score=report.score,
            feedback=faithfulness_feedback(report),
        )


def faithfulness_feedback(report: GroundednessReport) -> str:
    """One line per unsupported or contradicted sentence, with its evidence and scores.

    Args:
        report: The groundedness report (the first line sums it up).
    """
    bad = [s for s in report.sentences if s.verdict != "supported"]
    head = (
        f"{len(report.sentences) - len(bad)}/{len(report.sentences)} sentences supported; "
        f"{report.aggregate} score {report.score:.3f} (threshold {report.threshold:.2f})."
    )
    return "\n".join([head, *(_sentence_line(s) for s in bad)])


def _sentence_line(check: SentenceCheck) -> str:
    line = f"- {check.verdict.upper()} ({check.entailment:.3f} entailment): {check.text!r}"
    evidence = check.contradicting if check.verdict == "contradicted" else check.supporting
    if evidence is not None:
        extra = f", contradiction {evidence.contradiction:.3f}" if evidence.contradiction is not None else ""
        line += f"; best evidence [context {evidence.context_index}{extra}]: {evidence.text[:200]!r}"
    return line


class EntailkitRelevancyEvaluator(SerialisableMixin, BaseEvaluator):
    """Does the response address the query? The entailkit Reranker scores the response (and each context)
    against the query; ``passing`` when the response's score reaches ``threshold``.

    ``aevaluate`` scores on entailkit's shared micro-batcher (``Reranker.arerank``), off the event loop,
    inside an instrumentation span. ``from_dict(to_dict())`` loads the same model again.
    """

    def __init__(
        self,
        scorer: Any = None,
        *,
        model: str | None = None,
        kind: str | None = None,
        threshold: float = 0.5,
        query_template: str | None = None,
        calibrator: Any = None,
    ) -> None:
        """Build the Reranker that scores the response against the query.

        Args:
            scorer: An entailkit Scorer, or a model id / path (loaded once per process); None: load ``model``.
            model: The model id to load when ``scorer`` is None (what ``to_dict`` records).
            kind: The kind a model id is loaded as (None: read from the model's config).
            threshold: The score the response needs to pass (not range-checked).
            query_template: The Reranker's ``query_template`` (None: its default for the head).
            calibrator: A fitted calibrator for the scores (or its ``to_dict`` form), or None.

        Raises:
            InvalidInputError: ``scorer`` is neither a Scorer nor a model id, or a bad template or calibrator.
            ModelLoadError: A model id that cannot be loaded.
        """
        self.threshold = threshold
        resolved = resolve_scorer(scorer, model, kind, type(self).__name__)
        self.reranker = Reranker(
            resolved, query_template=query_template, threshold=None, calibrator=load_calibrator(calibrator)
        )
        self.kind = recorded_kind(scorer if scorer is not None else model, kind, resolved)
        self._query_template = query_template

    @classmethod
    def class_name(cls) -> str:
        return "EntailkitRelevancyEvaluator"

    def _config(self) -> dict[str, Any]:
        return {
            "model": model_name(self.reranker.scorer),
            "kind": self.kind,
            "threshold": self.threshold,
            "query_template": self._query_template,
            "calibrator": dump_object(self.reranker.calibrator),
        }

    def _get_prompts(self) -> PromptDictType:
        return {}

    def _update_prompts(self, prompts: PromptDictType) -> None:
        pass

    @dispatcher.span
    async def aevaluate(
        self,
        query: str | None = None,
        response: str | None = None,
        contexts: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> EvaluationResult:
        """Score the response (and each context, for the feedback) against the query.

        Args:
            query: The question (required).
            response: The answer (required).
            contexts: The retrieved passages, scored for the feedback only.
            **kwargs: Ignored.

        Returns:
            ``passing`` when the response's score reaches ``threshold``; ``score`` that score.

        Raises:
            ValueError: ``query`` or ``response`` is missing (an ``InvalidInputError`` for a blank query).
        """
        if query is None or response is None:
            raise ValueError("EntailkitRelevancyEvaluator needs both query and response.")
        context_list = list(contexts or [])
        result: RerankResult = await self.reranker.arerank(query, [response, *context_list])
        by_index = {item.index: item.score for item in result.items}
        score = by_index[0]
        lines = [f"response relevance {score:.3f} (threshold {self.threshold:.2f})."]
        lines += [f"- context {i}: {by_index[i + 1]:.3f}" for i in range(len(context_list))]
        return EvaluationResult(
            query=query,
            response=response,
            contexts=context_list,
            passing=score >= self.threshold,
            score=score,
            feedback="\n".join(lines),
        )
