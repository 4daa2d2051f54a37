"""EntailkitRerank: a LangChain document compressor that reranks with entailkit's Reranker."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from pydantic import ConfigDict, Field

from entailkit.errors import InvalidInputError
from entailkit.tasks.rerank import Reranker
from langchain_entailkit._documents import check_documents, copy_with_metadata
from langchain_entailkit._events import aemit, emit
from langchain_entailkit._scorers import resolve_scorer

RERANK_EVENT = "entailkit_rerank"
"""Name of the custom callback event carrying the query, scores and order of every rerank."""


class EntailkitRerank(BaseDocumentCompressor):
    """Rerank documents by NLI entailment (or relevance) of the query; return scored copies, best first.

    Each returned Document is a copy whose metadata gains ``relevance_score`` (in [0, 1]); a
    ``relevance_score`` already there (e.g. from the retriever) is kept as ``retrieval_score``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    scorer: Any = None
    """An entailkit Scorer (``load_scorer(...)``); shared, never copied."""
    model: str | None = None
    """A model id or path, loaded once per process and shared, when no ``scorer`` is given."""
    top_n: int | None = 3
    """How many documents to return (None: all)."""
    score_threshold: float | None = None
    """Drop documents scoring below this."""
    query_template: str | None = None
    """How the query becomes an NLI hypothesis (default: entailkit's ``"This text is about {}."``)."""
    calibrator: Any = None
    first_stage_key: str | None = None
    """Metadata key of each document's retriever score (e.g. a cosine from ``similarity_search_with_score``
    on an inner-product index), fused into a relevance model trained on top of that retriever
    (``Reranker(first_stage_scores=)``); every document must carry it."""
    load_options: dict[str, Any] = Field(default_factory=dict)
    """Extra ``load_scorer`` options used with ``model`` (device, batch_size, ...)."""

    def __init__(self, **data: Any) -> None:
        """Load (or share) the scorer here, so errors stay entailkit's typed errors (pydantic wraps them)."""
        super().__init__(**data)
        self.scorer = resolve_scorer(self.scorer, self.model, None, self.load_options)
        self.reranker()  # validate the options now, not at the first query

    def reranker(self) -> Reranker:
        """The entailkit Reranker these settings describe (cheap: the scorer is shared)."""
        return Reranker(
            self.scorer,
            query_template=self.query_template,
            top_n=self.top_n,
            threshold=self.score_threshold,
            calibrator=self.calibrator,
        )

    def _rerank(self, documents: Sequence[Document], query: str) -> tuple[list[Document], dict[str, Any]]:
        """The body shared by the sync and async paths: scored copies and the event payload."""
        docs = check_documents(documents)
        if not docs:
            return [], {"query": query, "num_documents": 0, "results": []}
        result = self.reranker().rerank(query, docs, first_stage_scores=self._first_stage(docs))
        out: list[Document] = []
        for item in result:
            original: Document = item.document
            extra: dict[str, Any] = {"relevance_score": item.score}
            if "relevance_score" in original.metadata and "retrieval_score" not in original.metadata:
                extra["retrieval_score"] = original.metadata["relevance_score"]
            out.append(copy_with_metadata(original, extra))
        payload = {
            "query": query,
            "hypothesis": result.hypothesis,
            "head": result.head,
            "num_documents": result.num_documents,
            "results": [
                {"index": item.index, "id": item.document.id, "score": item.score, "raw_score": item.raw_score}
                for item in result
            ],
        }
        return out, payload

    def _first_stage(self, docs: Sequence[Document]) -> list[Any] | None:
        """Each document's ``metadata[first_stage_key]`` (the Reranker checks they are numbers), or None."""
        key = self.first_stage_key
        if key is None:
            return None
        missing = [i for i, doc in enumerate(docs) if key not in doc.metadata]
        if missing:
            raise InvalidInputError(
                f"first_stage_key={key!r}: documents {missing[:5]} have no metadata[{key!r}]; put the retriever's "
                "score there (e.g. from similarity_search_with_score) or drop first_stage_key"
            )
        return [doc.metadata[key] for doc in docs]

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """Scored copies of the best ``top_n`` documents (above ``score_threshold``), best first."""
        out, payload = self._rerank(documents, query)
        emit(callbacks, RERANK_EVENT, payload)
        return out

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """``compress_documents`` with the model run in a worker thread, off the event loop."""
        out, payload = await asyncio.to_thread(self._rerank, documents, query)
        await aemit(callbacks, RERANK_EVENT, payload)
        return out
