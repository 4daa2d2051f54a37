"""EntailkitEmbedding: a LlamaIndex embedding model over entailkit's EmbeddingScorer."""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.bridge.pydantic import PrivateAttr

from entailkit.adapters import model_name, resolve_scorer
from entailkit.errors import InvalidInputError

__all__ = ["EntailkitEmbedding"]

_frozen = threading.Event()
_scorer_locks: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def _lock_for(scorer: Any) -> threading.Lock:
    """One lock per scorer: LlamaIndex gathers every batch at once, and concurrent torch calls in threads
    would oversubscribe the CPU and starve the event loop; the waiting threads sleep on the lock."""
    with _locks_guard:
        lock = _scorer_locks.get(scorer)
        if lock is None:
            lock = _scorer_locks[scorer] = threading.Lock()
        return lock


def _freeze_gc_once() -> None:
    """Before the first async embedding, take the loaded model out of the cyclic GC's sight, as the batcher does.

    A full collection in the embedding thread would traverse torch's and the model's objects with the GIL
    held and stall the event loop (docs/async.md); ``configure_batching(freeze_gc=False)`` turns it off.
    """
    if _frozen.is_set():
        return
    from entailkit.batching import batching_options
    from entailkit.batching.shared import freeze_loaded_objects

    if batching_options().freeze_gc:
        freeze_loaded_objects()
    _frozen.set()


class EntailkitEmbedding(BaseEmbedding):
    """Mean-pooled, L2-normalised sentence embeddings from an entailkit EmbeddingScorer (or its path).

    The async methods embed each batch of ``embed_batch_size`` texts in one model call in a worker thread,
    off the event loop (``VectorStoreIndex(use_async=True)``, ``aget_text_embedding_batch``).
    ``model_name`` is the model's path or hub id: ``from_dict(to_dict())`` loads it again.
    """

    _scorer: Any = PrivateAttr()

    def __init__(self, scorer: Any = None, *, embed_batch_size: int = 32, **kwargs: Any) -> None:
        """Take the embedding scorer, or load (once per process) the model named.

        Args:
            scorer: An entailkit embedding scorer, or a model id / path loaded as ``kind="embedding"``;
                None: load ``model_name`` (what ``to_dict`` records).
            embed_batch_size: Texts per ``embed`` call (LlamaIndex's batching, sync and async).
            **kwargs: Other ``BaseEmbedding`` fields; ``model_name`` is set to the scorer's model id.

        Raises:
            InvalidInputError: A scorer without ``embed``, or a ``scorer`` that is neither a Scorer nor a
                model id.
            ModelLoadError: A model id that cannot be loaded.
        """
        model = kwargs.get("model_name") if scorer is None else None
        resolved = resolve_scorer(scorer, model, "embedding", "EntailkitEmbedding")
        if not callable(getattr(resolved, "embed", None)):
            raise InvalidInputError(
                f"EntailkitEmbedding needs an embedding scorer (with embed()), got {type(resolved).__name__}; "
                "load one with load_scorer(model, kind='embedding')."
            )
        kwargs["model_name"] = model_name(resolved)
        super().__init__(embed_batch_size=embed_batch_size, **kwargs)
        self._scorer = resolved

    @classmethod
    def class_name(cls) -> str:
        return "EntailkitEmbedding"

    def _embed(self, texts: list[str]) -> list[Embedding]:
        rows: list[Embedding] = np.asarray(self._scorer.embed(texts), dtype=np.float64).tolist()
        return rows

    def _embed_in_turn(self, texts: list[str]) -> list[Embedding]:
        with _lock_for(self._scorer):
            return self._embed(texts)

    async def _aembed(self, texts: list[str]) -> list[Embedding]:
        _freeze_gc_once()
        return await asyncio.to_thread(self._embed_in_turn, texts)

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return (await self._aembed([query]))[0]

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._embed([text])[0]

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await self._aembed([text]))[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._embed(texts)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return await self._aembed(list(texts)) if texts else []
