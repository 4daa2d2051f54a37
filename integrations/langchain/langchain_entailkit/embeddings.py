"""EntailkitEmbeddings: LangChain Embeddings over entailkit's EmbeddingScorer (mean pooling, L2-normalised)."""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.embeddings import Embeddings

from entailkit.errors import InvalidInputError
from langchain_entailkit._scorers import resolve_scorer


class EntailkitEmbeddings(Embeddings):
    """Embed texts with an entailkit embedding scorer (e.g. all-MiniLM-L6-v2) for LangChain vector stores.

    Pass ``scorer=`` (``load_scorer(path, kind="embedding")``) or ``model=`` (loaded once and shared).
    """

    def __init__(self, scorer: Any = None, *, model: str | None = None, **load_options: Any) -> None:
        resolved = resolve_scorer(scorer, model, "embedding", load_options)
        if not callable(getattr(resolved, "embed", None)):
            raise InvalidInputError(
                f"EntailkitEmbeddings needs an embedding scorer (with embed()), got {type(resolved).__name__}; "
                "load one with entailkit.load_scorer(model, kind='embedding')."
            )
        self.scorer = resolved

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order."""
        return [[float(x) for x in row] for row in self.scorer.embed(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        if not isinstance(text, str):
            raise InvalidInputError(f"query must be a str, got {type(text).__name__}.")
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        return await asyncio.to_thread(self.embed_query, text)
