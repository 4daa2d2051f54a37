"""EntailkitRanker: a Haystack ranker that scores Documents with an entailkit Reranker (no LLM)."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict

from entailkit.errors import InvalidInputError
from entailkit.tasks.rerank import Reranker
from entailkit.tasks.specs import RerankSpec
from entailkit.types import Normalization, RerankResult
from haystack_integrations.common.entailkit import (
    LazyTask,
    LazyWarmUp,
    check_documents,
    check_probability,
    check_str_list,
    check_top_k,
    document_texts,
)

__all__ = ["EntailkitRanker"]


@component
class EntailkitRanker(LazyWarmUp):
    """Rerank Documents by how well each answers the query, on entailkit's [0, 1] score scale.

    NLI models judge "the passage entails ``query_template`` filled with the query"; 1-logit relevance
    models (MS MARCO, bge-reranker) see the raw query. Returns copies of the Documents, best first, with
    ``Document.score`` set; the inputs are never changed.

    Usage:
        ```python
        from haystack import Document
        from haystack_integrations.components.rankers.entailkit import EntailkitRanker

        ranker = EntailkitRanker(model="cross-encoder/ms-marco-MiniLM-L6-v2", top_k=2)
        docs = [Document(content="Paris is in France."), Document(content="Berlin is in Germany.")]
        print(ranker.run(query="city in France", documents=docs)["documents"][0].content)
        ```
    """

    def __init__(
        self,
        model: str | os.PathLike[str],
        *,
        top_k: int | None = 10,
        score_threshold: float | None = None,
        meta_fields_to_embed: list[str] | None = None,
        embedding_separator: str = "\n",
        query_template: str | None = None,
        normalization: Normalization = "softmax",
        kind: str | None = None,
        load_options: dict[str, Any] | None = None,
    ) -> None:
        """Check every option now; the model is loaded in ``warm_up`` (or on first run).

        Args:
            model: A local model directory or a hub id; loaded once per process and shared.
            top_k: Keep at most this many Documents (None: all).
            score_threshold: Drop Documents scoring below it, a number in [0, 1] (None: keep all).
            meta_fields_to_embed: Meta fields whose values are scored before the content, joined by
                ``embedding_separator`` (as Haystack's similarity rankers do).
            embedding_separator: What joins the meta values and the content.
            query_template: How a query becomes the NLI hypothesis, with one ``{}`` (None: entailkit's
                ``"{}"``, the query as it is; relevance models always get the raw query).
            normalization: ``"softmax"`` over all NLI classes or ``"entailment_vs_contradiction"``.
            kind: The kind the model is loaded as (None: read from the model's config).
            load_options: Extra ``entailkit.load_scorer`` options (``device``, ``dtype``, ``batch_size``, ...).

        Raises:
            InvalidInputError: A blank model id or an option of the wrong type or out of range.
        """
        self.top_k = check_top_k(top_k)
        self.score_threshold = check_probability(score_threshold, "score_threshold")
        self.meta_fields_to_embed = check_str_list(meta_fields_to_embed, "meta_fields_to_embed") or []
        if not isinstance(embedding_separator, str):
            raise InvalidInputError(f"embedding_separator must be a str, got {type(embedding_separator).__name__}.")
        self.embedding_separator = embedding_separator
        self.query_template = query_template
        self.normalization: Normalization = normalization
        spec = RerankSpec.parse({"query_template": query_template, "normalization": normalization})  # types checked
        self._lazy: LazyTask[Reranker] = LazyTask(
            model, spec.build, owner=type(self).__name__, kind=kind, load_options=load_options
        )
        self.model = self._lazy.model
        self.kind = self._lazy.kind
        self.load_options = load_options

    def to_dict(self) -> dict[str, Any]:
        """The component's init parameters: the model id and the options, never the loaded model."""
        return default_to_dict(
            self,
            model=self.model,
            top_k=self.top_k,
            score_threshold=self.score_threshold,
            meta_fields_to_embed=list(self.meta_fields_to_embed),
            embedding_separator=self.embedding_separator,
            query_template=self.query_template,
            normalization=self.normalization,
            kind=self.kind,
            load_options=self.load_options,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EntailkitRanker:
        """The component ``to_dict`` described (its model is loaded again at warm-up, shared)."""
        return default_from_dict(cls, data)

    @component.output_types(documents=list[Document])
    def run(
        self,
        query: str,
        documents: list[Document],
        top_k: int | None = None,
        score_threshold: float | None = None,
    ) -> dict[str, list[Document]]:
        """Rerank ``documents`` for ``query``.

        Args:
            query: The query (a non-blank str).
            documents: The candidates; those without text content are refused.
            top_k: Keep at most this many, for this call (None: the component's ``top_k``).
            score_threshold: Drop Documents below it, for this call (None: the component's).

        Returns:
            ``{"documents": [...]}``: copies, best first, each with ``score`` set; ``[]`` for no Documents.

        Raises:
            InvalidInputError: A query that is blank or not a str, a Document without text, or a bad override.
        """
        docs, texts, options = self._prepare(query, documents, top_k, score_threshold)
        if not docs:
            return {"documents": []}
        return {"documents": _scored(docs, self._lazy.get().rerank(query, texts, **options))}

    @component.output_types(documents=list[Document])
    async def run_async(
        self,
        query: str,
        documents: list[Document],
        top_k: int | None = None,
        score_threshold: float | None = None,
    ) -> dict[str, list[Document]]:
        """``run`` off the event loop: scored on entailkit's shared micro-batcher (``Reranker.arerank``).

        Concurrent calls, from this and other components on the same model, share model calls.
        """
        docs, texts, options = self._prepare(query, documents, top_k, score_threshold)
        if not docs:
            return {"documents": []}
        reranker = await self._lazy.aget()
        return {"documents": _scored(docs, await reranker.arerank(query, texts, **options))}

    def _prepare(
        self, query: Any, documents: Any, top_k: Any, score_threshold: Any
    ) -> tuple[list[Document], list[str], dict[str, Any]]:
        if not isinstance(query, str):
            raise InvalidInputError(f"query must be a str, got {type(query).__name__}.")
        docs = check_documents(documents)
        options = {
            "top_n": check_top_k(top_k) or self.top_k,
            "threshold": self.score_threshold
            if score_threshold is None
            else check_probability(score_threshold, "score_threshold"),
        }
        return docs, document_texts(docs, self.meta_fields_to_embed, self.embedding_separator), options


def _scored(documents: list[Document], result: RerankResult) -> list[Document]:
    """Copies of the kept Documents, in the result's order, carrying its scores."""
    return [dataclasses.replace(documents[item.index], score=item.score) for item in result.items]
