"""EntailkitEmbedding: a LlamaIndex embedding model over entailkit's EmbeddingScorer."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.postprocessor.entailkit._scorer import model_name, shared_scorer

from entailkit.errors import InvalidInputError

__all__ = ["EntailkitEmbedding"]


class EntailkitEmbedding(BaseEmbedding):
    """Mean-pooled, L2-normalised sentence embeddings from an entailkit EmbeddingScorer (or its path)."""

    _scorer: Any = PrivateAttr()

    def __init__(self, scorer: Any, *, embed_batch_size: int = 32, **kwargs: Any) -> None:
        """Take the embedding scorer, or load (once per process) the model named.

        Args:
            scorer: An entailkit embedding scorer, or a model id / path loaded as ``kind="embedding"``.
            embed_batch_size: Texts per ``embed`` call (LlamaIndex's batching).
            **kwargs: Other ``BaseEmbedding`` fields (``model_name`` defaults to the scorer's model).

        Raises:
            InvalidInputError: A scorer without ``embed``, or a ``scorer`` that is neither a Scorer nor a
                model id.
            ModelLoadError: A model id that cannot be loaded.
        """
        resolved = shared_scorer(scorer, kind="embedding" if isinstance(scorer, str) else None)
        if not callable(getattr(resolved, "embed", None)):
            raise InvalidInputError(
                f"EntailkitEmbedding needs an embedding scorer (with embed()), got {type(resolved).__name__}; "
                "load one with load_scorer(model, kind='embedding')."
            )
        kwargs.setdefault("model_name", model_name(resolved))
        super().__init__(embed_batch_size=embed_batch_size, **kwargs)
        self._scorer = resolved

    @classmethod
    def class_name(cls) -> str:
        return "EntailkitEmbedding"

    def _embed(self, texts: list[str]) -> list[Embedding]:
        return [[float(x) for x in row] for row in self._scorer.embed(texts)]

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._embed(texts)
