"""EntailkitDocumentFilter: drop near-duplicate passages and flag contradicting ones (after the reranker)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Literal

from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from pydantic import ConfigDict, Field

from entailkit.batching import run_batched
from entailkit.tasks.dedup import filter_passages
from langchain_entailkit._documents import check_documents, copy_with_metadata
from langchain_entailkit._events import aemit, emit
from langchain_entailkit._scorers import resolve_scorer
from langchain_entailkit._serialisation import ModelIdSerializable

__all__ = ["FILTER_EVENT", "EntailkitDocumentFilter"]

FILTER_EVENT = "entailkit_filter"
"""Name of the custom callback event carrying every keep / drop / flag decision."""


@dataclasses.dataclass
class _ScorerTask:
    """The scorer as a task for ``run_batched`` (which runs it on a copy whose scorer is the batcher's)."""

    scorer: Any


class EntailkitDocumentFilter(BaseDocumentCompressor, ModelIdSerializable):
    """Drop documents a higher-ranked one entails; flag (or drop) documents a higher-ranked one contradicts.

    Documents are taken in the order given (best first: put it after ``EntailkitRerank`` in a
    ``DocumentCompressorPipeline``). Kept documents are copies; flagged ones carry
    ``metadata["entailkit_flag"] = "contradiction"``, ``contradicts`` (the other document's id, or its
    position in the input) and ``contradiction_score``.

    Serialisable (``dumpd`` / ``loads``) when built from ``model=``; built from ``scorer=`` it serialises as
    not_implemented.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    scorer: Any = Field(default=None, exclude=True)
    """An entailkit Scorer (NLI, GLiClass or embedding model); shared, never copied (never serialised)."""
    model: str | None = None
    """A model id or path, loaded once per process and shared, when no ``scorer`` is given."""
    duplicate_threshold: float = 0.9
    """The entailment (or cosine) at which a document duplicates a kept higher-ranked one."""
    contradiction_threshold: float = 0.5
    """The contradiction probability at which a document contradicts a kept higher-ranked one."""
    on_contradiction: Literal["flag", "drop", "keep"] = "flag"
    """What happens to a contradicting document: flagged in its metadata, dropped, or kept unmarked."""
    load_options: dict[str, Any] = Field(default_factory=dict)
    """Extra ``load_scorer`` options used with ``model`` (device, batch_size, ...)."""

    def __init__(self, **data: Any) -> None:
        """Load (or share) the scorer here, so errors stay entailkit's typed errors (pydantic wraps them).

        Args:
            **data: The fields above.

        Raises:
            InvalidInputError: Both or neither of ``scorer`` and ``model``.
            ModelLoadError: ``model`` cannot be loaded.
        """
        super().__init__(**data)
        self.scorer = resolve_scorer(self.scorer, self.model, None, self.load_options)

    def _filter_texts(self, task: _ScorerTask, texts: list[str]) -> Any:
        return filter_passages(
            task.scorer,
            texts,
            duplicate_threshold=self.duplicate_threshold,
            contradiction_threshold=self.contradiction_threshold,
            on_contradiction=self.on_contradiction,
        )

    def _filter(self, docs: list[Document], result: Any) -> tuple[list[Document], dict[str, Any]]:
        out: list[Document] = []
        for decision in result:
            if decision.action == "drop":
                continue
            doc = docs[decision.index]
            extra: dict[str, Any] = {}
            if decision.action == "flag" and decision.of is not None:
                other = docs[decision.of]
                extra = {
                    "entailkit_flag": "contradiction",
                    "contradicts": other.id if other.id is not None else decision.of,
                    "contradiction_score": decision.score,
                }
            out.append(copy_with_metadata(doc, extra))
        payload = {
            "num_documents": len(docs),
            "num_pairs": result.num_pairs,
            "decisions": [{**d.model_dump(mode="json"), "id": docs[d.index].id} for d in result.decisions],
        }
        return out, payload

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """Copies of the documents that stay, in the given order (``query`` is not used).

        Sends the ``entailkit_filter`` custom event (every decision) to ``callbacks``.

        Args:
            documents: The documents, best first (a list of ``Document``; never changed).
            query: Not used (the filter compares documents with each other).
            callbacks: LangChain callbacks that receive the event.

        Raises:
            InvalidInputError: ``documents`` is not a list of Document, the scorer is a relevance model, or
                a threshold or ``on_contradiction`` is out of range.
        """
        docs = check_documents(documents)
        result = self._filter_texts(_ScorerTask(self.scorer), [d.page_content for d in docs])
        out, payload = self._filter(docs, result)
        emit(callbacks, FILTER_EVENT, payload)
        return out

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """``compress_documents`` with the work in entailkit's batching thread (``entailkit.batching.run_batched``).

        The model never runs on the event loop, and concurrent calls on one scorer share model calls.

        Args:
            documents: The documents, best first.
            query: Not used.
            callbacks: LangChain callbacks that receive the ``entailkit_filter`` event.
        """
        docs = check_documents(documents)
        texts = [d.page_content for d in docs]
        if not texts:
            result = self._filter_texts(_ScorerTask(self.scorer), texts)  # checks the options, scores nothing
        else:
            result = await run_batched(_ScorerTask(self.scorer), lambda task: self._filter_texts(task, texts))
        out, payload = self._filter(docs, result)
        await aemit(callbacks, FILTER_EVENT, payload)
        return out
