"""EntailkitEmbeddings: LangChain Embeddings over entailkit's EmbeddingScorer (mean pooling, L2-normalised)."""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.embeddings import Embeddings
from pydantic import ConfigDict, Field

from entailkit.errors import InvalidInputError
from langchain_entailkit._scorers import resolve_scorer
from langchain_entailkit._serialisation import ModelIdSerializable

__all__ = ["EntailkitEmbeddings"]


class EntailkitEmbeddings(ModelIdSerializable, Embeddings):
    """Embed texts with an entailkit embedding scorer (e.g. all-MiniLM-L6-v2) for LangChain vector stores.

    Pass ``scorer=`` (``load_scorer(path, kind="embedding")``) or ``model=`` (loaded once and shared).
    Serialisable (``dumpd`` / ``loads``) when built from ``model=`` with plain load options; built from
    ``scorer=`` it serialises as not_implemented.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    scorer: Any = Field(default=None, exclude=True)
    """The embedding scorer (given, or loaded from ``model``); never serialised."""
    model: str | None = None
    """The model id or path the scorer was loaded from (the serialised source), or None."""
    load_options: dict[str, Any] = Field(default_factory=dict, exclude=True)
    """The ``load_scorer`` options given (serialised flat, as they are passed)."""

    def __init__(self, scorer: Any = None, *, model: str | None = None, **load_options: Any) -> None:
        """Take the scorer given, or load (once per process) the embedding model named.

        Args:
            scorer: An entailkit embedding scorer (``load_scorer(path, kind="embedding")``).
            model: A model id or local path, loaded with ``shared_scorer(model, "embedding")``; not together
                with ``scorer``.
            **load_options: Options of ``load_scorer`` used with ``model`` (``device``, ``batch_size``, ...).

        Raises:
            InvalidInputError: Both or neither of ``scorer`` and ``model``, or a scorer without ``embed``.
            ModelLoadError: ``model`` cannot be loaded.
        """
        resolved = resolve_scorer(scorer, model, "embedding", load_options)
        if not callable(getattr(resolved, "embed", None)):
            raise InvalidInputError(
                f"EntailkitEmbeddings needs an embedding scorer (with embed()), got {type(resolved).__name__}; "
                "load one with entailkit.load_scorer(model, kind='embedding')."
            )
        super().__init__(scorer=resolved, model=model, load_options=dict(load_options))

    @property
    def lc_attributes(self) -> dict[str, Any]:
        """The load options, flat (as the constructor takes them)."""
        return dict(self.load_options)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order.

        Args:
            texts: The texts to embed.

        Returns:
            Unit-length vectors as lists of floats.

        Raises:
            InvalidInputError: ``texts`` is not a list of str.
        """
        return [[float(x) for x in row] for row in self.scorer.embed(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        """The vector of one query (embedded as a document is: the model has no query prefix).

        Args:
            text: The query.

        Raises:
            InvalidInputError: ``text`` is not a str.
        """
        if not isinstance(text, str):
            raise InvalidInputError(f"query must be a str, got {type(text).__name__}.")
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """``embed_documents`` in a worker thread (``asyncio.to_thread``): the model never runs on the event loop.

        Args:
            texts: The texts to embed.
        """
        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        """``embed_query`` in a worker thread (``asyncio.to_thread``): the model never runs on the event loop.

        Args:
            text: The query.
        """
        return await asyncio.to_thread(self.embed_query, text)
