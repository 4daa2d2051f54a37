"""EntailkitRerank: a LangChain document compressor that reranks with entailkit's Reranker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from pydantic import ConfigDict, Field, model_validator

from entailkit.errors import InvalidInputError
from entailkit.tasks.rerank import Reranker
from entailkit.tasks.specs import RerankSpec, fold_spec_options
from langchain_entailkit._documents import check_documents, copy_with_metadata
from langchain_entailkit._events import aemit, emit
from langchain_entailkit._scorers import resolve_scorer
from langchain_entailkit._serialisation import ModelIdSerializable

__all__ = ["RERANK_EVENT", "EntailkitRerank"]

RERANK_EVENT = "entailkit_rerank"
"""Name of the custom callback event carrying the query, scores and order of every rerank."""


class EntailkitRerank(BaseDocumentCompressor, ModelIdSerializable):
    """Rerank documents by NLI entailment (or relevance) of the query; return scored copies, best first.

    The rerank options are entailkit's own (``RerankSpec``: ``top_n``, ``threshold``, ``query_template``,
    ``normalization``, ``text_key``), given flat (``EntailkitRerank(model=..., top_n=3)``), as ``spec=``,
    or as a configured ``reranker=``. Each returned Document is a copy whose metadata gains
    ``relevance_score`` (in [0, 1]); a ``relevance_score`` already there (e.g. from the retriever) is kept
    as ``retrieval_score``.

    Serialisable (``dumpd`` / ``dumps``, then ``loads``) when built from ``model=`` with plain options; built
    from ``scorer=``, ``reranker=`` or with a ``calibrator`` object it serialises as not_implemented.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    scorer: Any = Field(default=None, exclude=True)
    """An entailkit Scorer (``load_scorer(...)``); shared, never copied (never serialised)."""
    model: str | None = None
    """A model id or path, loaded once per process and shared, when no ``scorer`` is given."""
    reranker: Reranker | None = Field(default=None, exclude=True)
    """A configured entailkit Reranker, used as it is (instead of scorer/model and the options)."""
    spec: RerankSpec = Field(default_factory=RerankSpec)
    """The Reranker's options (entailkit's defaults: all documents kept, no threshold)."""
    calibrator: Any = None
    """A calibrator for the Reranker's scores (e.g. from ``entailkit.fit_calibrator``), or None."""
    first_stage_key: str | None = None
    """Metadata key of each document's retriever score (e.g. a cosine from ``similarity_search_with_score``
    on an inner-product index), fused into a relevance model trained on top of that retriever
    (``Reranker.rerank(first_stage_scores=)``); every document must carry it."""
    load_options: dict[str, Any] = Field(default_factory=dict)
    """Extra ``load_scorer`` options used with ``model`` (device, batch_size, ...)."""

    @model_validator(mode="before")
    @classmethod
    def _task_options_into_spec(cls, data: Any) -> Any:
        """Flat Reranker options (``top_n=3``) become the spec's, so they are declared once, by the Reranker."""
        return fold_spec_options(data, RerankSpec)

    def __init__(self, **data: Any) -> None:
        """Load (or share) the scorer here, so errors stay entailkit's typed errors (pydantic wraps them).

        Args:
            **data: The fields above (``scorer`` or ``model``, or ``reranker``; ``spec``, ``calibrator``,
                ``first_stage_key``, ``load_options``) and, flat, any option of ``RerankSpec`` (``top_n``,
                ``threshold``, ``query_template``, ``normalization``, ``text_key``), merged over ``spec``.

        Raises:
            InvalidInputError: ``reranker`` is not a Reranker or is given with ``scorer``, ``model``,
                ``spec`` or ``calibrator``; both or neither of ``scorer`` and ``model``; or a bad option.
            ModelLoadError: ``model`` cannot be loaded.
        """
        data = fold_spec_options(data, RerankSpec)
        if data.get("reranker") is not None:
            given = data["reranker"]
            if not isinstance(given, Reranker):
                raise InvalidInputError(f"reranker must be an entailkit Reranker, got {type(given).__name__}.")
            if any(data.get(key) is not None for key in ("scorer", "model", "spec", "calibrator")):
                raise InvalidInputError("pass reranker= alone, or scorer=/model= with the rerank options.")
            data = {**data, "scorer": given.scorer, "spec": RerankSpec.of(given), "calibrator": given.calibrator}
        super().__init__(**data)
        self.scorer = resolve_scorer(self.scorer, self.model, None, self.load_options)
        self.reranker = self._build()  # validate the options now, not at the first query

    @property
    def lc_attributes(self) -> dict[str, Any]:
        """The spec as plain JSON (the constructor takes it back as a dict)."""
        return {"spec": self.spec.model_dump(mode="json", exclude_defaults=True)}

    @property
    def top_n(self) -> int | None:
        """How many documents are returned (None: all)."""
        return self.spec.options()["top_n"]  # type: ignore[no-any-return]

    @property
    def threshold(self) -> float | None:
        """Documents scoring below this are dropped (None: none are)."""
        return self.spec.options()["threshold"]  # type: ignore[no-any-return]

    def _build(self) -> Reranker:
        reranker: Reranker = self.spec.build(self.scorer, calibrator=self.calibrator)
        return reranker

    def _prepare(self, documents: Sequence[Document]) -> tuple[list[Document], list[Any] | None]:
        docs = check_documents(documents)
        return docs, self._first_stage(docs) if docs else None

    def _finish(self, query: str, result: Any) -> tuple[list[Document], dict[str, Any]]:
        """Scored copies and the event payload of a RerankResult (shared by the sync and async paths)."""
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
        """Scored copies of the best ``top_n`` documents (scoring at least ``threshold``), best first.

        Sends the ``entailkit_rerank`` custom event (query, hypothesis, every score and position) to
        ``callbacks``.

        Args:
            documents: The retrieved documents (a list of ``Document``; never changed).
            query: The query they are ranked against.
            callbacks: LangChain callbacks that receive the event.

        Returns:
            Copies with ``metadata["relevance_score"]`` (and ``retrieval_score`` when one was there).

        Raises:
            InvalidInputError: ``documents`` is not a list of Document, the query is blank, or a document
                lacks ``metadata[first_stage_key]`` (when set) or a usable score there.
        """
        docs, first_stage = self._prepare(documents)
        if not docs:
            emit(callbacks, RERANK_EVENT, {"query": query, "num_documents": 0, "results": []})
            return []
        assert self.reranker is not None
        out, payload = self._finish(query, self.reranker.rerank(query, docs, first_stage_scores=first_stage))
        emit(callbacks, RERANK_EVENT, payload)
        return out

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """``compress_documents`` through ``Reranker.arerank``: the model never runs on the event loop.

        Args:
            documents: The retrieved documents.
            query: The query they are ranked against.
            callbacks: LangChain callbacks that receive the ``entailkit_rerank`` event.
        """
        docs, first_stage = self._prepare(documents)
        if not docs:
            await aemit(callbacks, RERANK_EVENT, {"query": query, "num_documents": 0, "results": []})
            return []
        assert self.reranker is not None
        result = await self.reranker.arerank(query, docs, first_stage_scores=first_stage)
        out, payload = self._finish(query, result)
        await aemit(callbacks, RERANK_EVENT, payload)
        return out
