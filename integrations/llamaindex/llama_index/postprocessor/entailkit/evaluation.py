"""Faithfulness and relevancy evaluators for LlamaIndex, scored by entailkit (no LLM judge)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.evaluation.base import BaseEvaluator, EvaluationResult
from llama_index.core.prompts.mixin import PromptDictType
from llama_index.postprocessor.entailkit._scorer import shared_scorer

from entailkit.errors import InvalidInputError
from entailkit.tasks.groundedness import GroundednessChecker
from entailkit.tasks.rerank import Reranker
from entailkit.tasks.specs import CheckSpec
from entailkit.types import GroundednessReport, SentenceCheck


class EntailkitFaithfulnessEvaluator(BaseEvaluator):
    """Is every sentence of the response supported by the contexts? An entailkit GroundednessChecker.

    ``passing`` is the report's ``grounded``; ``score`` its aggregate ("min" or "mean") sentence score;
    ``feedback`` lists the unsupported and contradicted sentences with their best evidence.
    """

    def __init__(self, scorer: Any, *, calibrator: Any = None, **options: Any) -> None:
        """Build the checker from ``scorer`` (a Scorer or a model id, shared) and the checker's own options.

        Args:
            scorer: An entailkit Scorer, a model id / path (loaded once per process), or a configured
                GroundednessChecker (then no options).
            calibrator: A fitted calibrator for the sentence scores, or None.
            **options: GroundednessChecker options (``CheckSpec``: threshold, contradiction_threshold,
                aggregate, prefix_question).
        """
        if isinstance(scorer, GroundednessChecker):
            if options or calibrator is not None:
                raise InvalidInputError("a configured GroundednessChecker carries its options: pass it alone.")
            self.checker = scorer
        else:
            self.checker = CheckSpec(**options).build(shared_scorer(scorer), calibrator=calibrator)

    def _get_prompts(self) -> PromptDictType:
        return {}

    def _update_prompts(self, prompts: PromptDictType) -> None:
        pass

    def check(self, response: str, contexts: Sequence[str], query: str | None = None) -> GroundednessReport:
        """The full entailkit report behind an evaluation."""
        return self.checker.check(response, list(contexts), question=query)

    async def aevaluate(
        self,
        query: str | None = None,
        response: str | None = None,
        contexts: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> EvaluationResult:
        if response is None or contexts is None:
            raise ValueError("EntailkitFaithfulnessEvaluator needs both response and contexts.")
        report = self.check(response, contexts, query)
        return EvaluationResult(
            query=query,
            response=response,
            contexts=list(contexts),
            passing=report.grounded,
            score=report.aggregate_score,
            feedback=faithfulness_feedback(report),
        )


def faithfulness_feedback(report: GroundednessReport) -> str:
    """One line per unsupported or contradicted sentence, with its evidence and scores."""
    bad = [s for s in report.sentences if s.verdict != "supported"]
    head = (
        f"{len(report.sentences) - len(bad)}/{len(report.sentences)} sentences supported; "
        f"{report.aggregate} score {report.aggregate_score:.3f} (threshold {report.threshold:.2f})."
    )
    return "\n".join([head, *(_sentence_line(s) for s in bad)])


def _sentence_line(check: SentenceCheck) -> str:
    line = f"- {check.verdict.upper()} ({check.entailment:.3f} entailment): {check.text!r}"
    evidence = check.contradicting if check.verdict == "contradicted" else check.supporting
    if evidence is not None:
        extra = f", contradiction {evidence.contradiction:.3f}" if evidence.contradiction is not None else ""
        line += f"; best evidence [context {evidence.context_index}{extra}]: {evidence.text[:200]!r}"
    return line


class EntailkitRelevancyEvaluator(BaseEvaluator):
    """Does the response address the query? The entailkit Reranker scores the response (and each context)
    against the query; ``passing`` when the response's score reaches ``threshold``."""

    def __init__(
        self,
        scorer: Any,
        *,
        threshold: float = 0.5,
        query_template: str | None = None,
        calibrator: Any = None,
    ) -> None:
        self.threshold = threshold
        self.reranker = Reranker(
            shared_scorer(scorer), query_template=query_template, threshold=None, calibrator=calibrator
        )

    def _get_prompts(self) -> PromptDictType:
        return {}

    def _update_prompts(self, prompts: PromptDictType) -> None:
        pass

    async def aevaluate(
        self,
        query: str | None = None,
        response: str | None = None,
        contexts: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> EvaluationResult:
        if query is None or response is None:
            raise ValueError("EntailkitRelevancyEvaluator needs both query and response.")
        context_list = list(contexts or [])
        result = self.reranker.rerank(query, [response, *context_list])
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
