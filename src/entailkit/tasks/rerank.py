"""Reranker: score (passage, query) pairs with any Scorer and sort documents by relevance.

NLI models see premise = passage and hypothesis = the query put into ``query_template`` (by default
the query itself); the score is the entailment probability. Relevance cross-encoders (1 logit) and
embedding scorers see the raw query.
Long passages are windowed by the scorer (max over windows); the winning window's span is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from entailkit._documents import document_text
from entailkit._validation import (
    check_bool,
    check_positive_int,
    check_probability,
    check_query,
    check_texts,
)
from entailkit.batching.aio import async_method
from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer
from entailkit.tasks._calibration_protocol import Calibrator, apply_calibrator, check_calibrator
from entailkit.tasks.first_stage import flat_first_stage_scores
from entailkit.tasks.templates import DEFAULT_QUERY_TEMPLATE, check_template_options, template_for
from entailkit.types import Normalization, PairScore, RerankItem, RerankResult

__all__ = ["DEFAULT_QUERY_TEMPLATE", "Reranker"]

logger = logging.getLogger(__name__)


class Reranker:
    """Sort documents by how well they match a query, on the [0, 1] scale of the scorer (or calibrator).

    ``documents`` may be strings, mappings with a ``"text"`` (or ``"page_content"``/``"content"``) key,
    or objects with a ``.page_content``/``.text``/``.content`` attribute (LangChain documents,
    LlamaIndex nodes, dataclasses). Each result item holds the original object, never a copy.
    """

    def __init__(
        self,
        scorer: Scorer,
        *,
        query_template: str | None = None,
        language: str | None = None,
        top_n: int | None = None,
        threshold: float | None = None,
        calibrator: Calibrator | None = None,
        normalization: Normalization = "softmax",
        text_key: str | None = None,
        show_progress: bool = False,
    ) -> None:
        """Check every option once, so a bad one fails here rather than on the first query.

        Args:
            scorer: Any ``Scorer`` (``load_scorer(...)``); one scorer can serve
                several tasks.
            query_template: How a query becomes the hypothesis, with one ``{}`` (e.g. ``"This text is about
                {}."`` for topic queries). None: ``DEFAULT_QUERY_TEMPLATE`` (``"{}"``, the query as it is) for
                NLI heads, the raw query for GLiClass and embedding scorers. Relevance models always get the
                raw query (a template given for one is ignored, with a warning). It wins over ``language``.
            language: ISO 639-1 code of the queries (``"de"``, ``"pt-BR"``), checked like every task's;
                its built-in query template (``entailkit.template_for("rerank", language)``) is the bare
                query in every language, so it changes no hypothesis; None: English.
            top_n: Keep at most this many items per query (None: all); ``rerank(top_n=)`` overrides it.
            threshold: Drop items whose (calibrated) score is below it, a number in [0, 1] (None: keep all);
                ``rerank(threshold=)`` overrides it.
            calibrator: Maps raw scores to calibrated probabilities (e.g. from ``fit_calibrator``); the
                threshold and the order then use the calibrated score.
            normalization: How NLI logits become the score: ``"softmax"`` over all classes, or
                ``"entailment_vs_contradiction"`` (neutral left out). Other heads ignore it.
            text_key: The mapping key or attribute holding a document's text, looked for before
                ``"page_content"``, ``"text"`` and ``"content"``.
            show_progress: Show a progress bar while scoring.

        Raises:
            InvalidInputError: ``scorer`` is not a Scorer, or an option is out of range or of the wrong type.
        """
        if not isinstance(scorer, Scorer):
            raise InvalidInputError(
                f"scorer must implement the entailkit Scorer protocol, got {type(scorer).__name__}; "
                "build one with entailkit.load_scorer(model)."
            )
        self.scorer = scorer
        self.query_template, self.language = check_template_options(
            query_template, language, "rerank", "query_template"
        )
        self.top_n = check_positive_int(top_n, "top_n")
        self.threshold = check_probability(threshold, "threshold")
        self.calibrator = check_calibrator(calibrator)
        if normalization not in ("softmax", "entailment_vs_contradiction"):
            raise InvalidInputError(
                f"normalization must be 'softmax' or 'entailment_vs_contradiction', got {normalization!r}."
            )
        self.normalization: Normalization = normalization
        if text_key is not None and (not isinstance(text_key, str) or not text_key):
            raise InvalidInputError(f"text_key must be a non-empty str or None, got {text_key!r}.")
        self.text_key = text_key
        self.show_progress = check_bool(show_progress, "show_progress")
        ignored = [
            name for name, value in (("query_template", query_template), ("language", language)) if value is not None
        ]
        if ignored and scorer.info.can("relevance"):
            logger.warning(
                "%s %s ignored: %s is a relevance model and is fed the raw query.",
                " and ".join(ignored),
                "is" if len(ignored) == 1 else "are",
                scorer.info.model,
            )

    def hypothesis_for(self, query: str) -> str:
        """The text the model scores each passage against: the templated query for models that read hypotheses.

        Args:
            query: The query as the caller gave it.

        Returns:
            ``query`` itself for relevance models (and for GLiClass and embedding scorers without a
            ``query_template``), else ``query_template`` (or the built-in template of ``language``,
            ``DEFAULT_QUERY_TEMPLATE`` for English) filled with it.
        """
        info = self.scorer.info
        if info.can("relevance"):
            return query
        if self.query_template is not None:
            return self.query_template.format(query)
        return template_for("rerank", self.language).format(query) if info.query_input == "hypothesis" else query

    def rerank(
        self,
        query: str,
        documents: Sequence[Any],
        *,
        top_n: int | None = None,
        threshold: float | None = None,
        first_stage_scores: Sequence[float] | None = None,
    ) -> RerankResult:
        """Score every document against ``query``; sort (stable), then filter by threshold, then cut to top_n.

        Args:
            query: The query (a non-blank str).
            documents: The candidates: strs, mappings with a text key, or objects with a text attribute
                (see the class docstring); each result item holds the caller's object itself.
            top_n: Keep at most this many items, for this call (None: the instance's ``top_n``).
            threshold: Drop items scoring below it, for this call (None: the instance's ``threshold``).
            first_stage_scores: One retriever score per document (e.g. its cosine), for relevance models
                trained on top of that retriever (``scorer.info.first_stage``): the score becomes their
                fused relevance. Refused by other scorers.

        Returns:
            The kept items, best first (ties keep input order), with ``num_documents`` counting them all.

        Raises:
            InvalidInputError: The query is blank or not a str, a document has no str text, an override is
                out of range, or ``first_stage_scores`` is not one finite number per document or is given to
                a model not trained on top of a retriever.
        """
        scores = None if first_stage_scores is None else [first_stage_scores]
        return self.rerank_many([query], [documents], top_n=top_n, threshold=threshold, first_stage_scores=scores)[0]

    def rerank_many(
        self,
        queries: Sequence[str],
        documents: Sequence[Sequence[Any]],
        *,
        top_n: int | None = None,
        threshold: float | None = None,
        first_stage_scores: Sequence[Sequence[float]] | None = None,
    ) -> list[RerankResult]:
        """Rerank one document list per query, all pairs in one batched scorer call.

        Args:
            queries: The queries (a list of str; for one query use ``rerank``).
            documents: One list of documents per query, in the same order as ``queries``.
            top_n: Keep at most this many items per query, for this call (None: the instance's ``top_n``).
            threshold: Drop items scoring below it, for this call (None: the instance's ``threshold``).
            first_stage_scores: One list per query, one retriever score per document (see ``rerank``).

        Returns:
            One result per query, in the order of ``queries``.

        Raises:
            InvalidInputError: ``queries`` is a single str or not a sequence, ``documents`` is not one list per
                query, or as in ``rerank``.
        """
        if isinstance(queries, str) or not isinstance(queries, Sequence):
            raise InvalidInputError(
                f"queries must be a list of str, got {type(queries).__name__}; for one, use rerank()."
            )
        if isinstance(documents, str) or not isinstance(documents, Sequence) or len(documents) != len(queries):
            got = len(documents) if isinstance(documents, Sequence) and not isinstance(documents, str) else None
            raise InvalidInputError(
                f"documents must be one list of documents per query: {len(queries)} queries, "
                f"got {got if got is not None else type(documents).__name__}."
            )
        n_top = check_positive_int(top_n, "top_n") or self.top_n
        cut = check_probability(threshold, "threshold")
        cut = self.threshold if cut is None else cut
        hypotheses = [self.hypothesis_for(_check_query(q, i, len(queries) > 1)) for i, q in enumerate(queries)]
        many = len(queries) > 1
        parsed = [
            _parse_documents(docs, self.text_key, f"documents[{q}]" if many else "documents")
            for q, docs in enumerate(documents)
        ]
        flat_first = flat_first_stage_scores(first_stage_scores, [len(d) for d in parsed], self.scorer.info)
        premises = [text for docs in parsed for text, _ in docs]
        claims = [hyp for hyp, docs in zip(hypotheses, parsed, strict=True) for _ in docs]
        scored: list[PairScore] = []
        if premises or flat_first is not None:
            # Passed only when given, so scorers written before first-stage fusion keep working.
            options: dict[str, Any] = {} if flat_first is None else {"first_stage_scores": flat_first}
            scored = list(
                self.scorer.score_pairs(
                    premises, claims, normalization=self.normalization, show_progress=self.show_progress, **options
                )
            )
        raw = [min(1.0, max(0.0, item.score)) for item in scored]
        final = apply_calibrator(self.calibrator, raw)
        results: list[RerankResult] = []
        offset = 0
        for query, hypothesis, original, docs in zip(queries, hypotheses, documents, parsed, strict=True):
            items = [
                RerankItem(
                    index=i,
                    score=final[offset + i],
                    raw_score=raw[offset + i],
                    text=text,
                    document=original[i],
                    metadata=metadata,
                    num_windows=scored[offset + i].num_windows,
                    pair=scored[offset + i],
                    first_stage_score=None if flat_first is None else float(flat_first[offset + i]),
                )
                for i, (text, metadata) in enumerate(docs)
            ]
            offset += len(docs)
            items.sort(key=lambda item: -item.score)  # stable: ties keep input order
            if cut is not None:
                items = [item for item in items if item.score >= cut]
            if n_top is not None:
                items = items[:n_top]
            results.append(
                RerankResult(
                    query=query,
                    hypothesis=hypothesis,
                    items=tuple(items),
                    num_documents=len(docs),
                    head=self.scorer.info.head,
                    calibrated=self.calibrator is not None,
                    threshold=cut,
                    top_n=n_top,
                )
            )
        return results

    arerank = async_method(rerank, items="documents")
    arerank_many = async_method(rerank_many, items="queries")


def _check_query(query: Any, index: int, many: bool) -> str:
    return check_query(query, f"queries[{index}]" if many else "query", purpose="rank the documents against")


def _parse_documents(documents: Any, text_key: str | None, name: str = "documents") -> list[tuple[str, Any]]:
    """(text, metadata) for each document, every text checked (``name[i]`` in errors); nothing is copied
    or changed."""
    if isinstance(documents, (str, bytes)) or not isinstance(documents, Sequence):
        raise InvalidInputError(
            f"{name} must be a list (of str, mappings or document objects), got {type(documents).__name__}"
            + ("; wrap a single document in a list." if isinstance(documents, str) else ".")
        )
    parsed = [document_text(doc, i, text_key) for i, doc in enumerate(documents)]
    check_texts([text for text, _ in parsed], name)
    return parsed
