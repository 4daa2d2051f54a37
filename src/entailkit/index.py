"""ExampleStore: labelled examples in a faiss inner-product index over normalised embeddings.

It finds the k labelled examples nearest to a text, which GLiClass retrieval-augmented classification
(``score_labels(..., examples=...)``, ``ZeroShotClassifier(example_store=...)``) puts next to the text.
Saved as a directory: ``index.faiss`` (the vectors) and ``examples.json`` (the examples and the id of the
embedding model that made the vectors, checked on load).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from pydantic import ValidationError

from entailkit._optional import require
from entailkit._validation import check_bool, check_example, check_finite, check_positive_int, check_text, check_texts
from entailkit.errors import InvalidInputError, ModelLoadError
from entailkit.types import ExampleHit, LabelledExample
from entailkit.types.examples import as_example

__all__ = ["FORMAT_VERSION", "INDEX_FILE", "META_FILE", "Embedder", "ExampleStore", "embedder_id"]

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
INDEX_FILE = "index.faiss"
META_FILE = "examples.json"


@runtime_checkable
class Embedder(Protocol):
    """Anything with ``embed(texts) -> (n, d) float32`` vectors, such as entailkit's EmbeddingScorer."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of ``texts``, one row per text (the store normalises them to unit length).

        Args:
            texts: The texts to embed.

        Returns:
            A ``(len(texts), d)`` float array.
        """
        ...


def embedder_id(embedder: Any) -> str:
    """The model id an embedder reports (``info.model``), else its class name.

    Args:
        embedder: Any embedder (an ``EmbeddingScorer`` reports its ``info.model``).
    """
    model = getattr(getattr(embedder, "info", None), "model", None)
    return str(model) if model else type(embedder).__name__


class ExampleStore:
    """Labelled examples searchable by meaning: ``add``, ``search``, ``save`` and ``load``."""

    def __init__(
        self,
        embedder: Embedder,
        examples: Iterable[LabelledExample | dict[str, Any]] | None = None,
        *,
        model_id: str | None = None,
    ) -> None:
        """Start a store, empty or with ``examples`` added.

        Args:
            embedder: The model that embeds example texts and queries: an ``EmbeddingScorer``
                (``load_scorer(model, kind="embedding")``) or anything with ``embed(texts)``.
            examples: Examples to add now (see ``add``).
            model_id: The embedding model's id saved with the store and checked by ``load`` (None: the
                embedder's ``info.model``, else its class name).

        Raises:
            InvalidInputError: ``embedder`` has no ``embed`` method, or as ``add``.
            MissingDependencyError: ``examples`` are given and faiss (the ``faiss`` extra) is not installed.
        """
        if not callable(getattr(embedder, "embed", None)):
            raise InvalidInputError(
                f"embedder must have an embed(texts) method (e.g. load_scorer(model, kind='embedding')), "
                f"got {type(embedder).__name__}."
            )
        self.embedder = embedder
        self.model_id = model_id or embedder_id(embedder)
        self._examples: list[LabelledExample] = []
        self._index: Any = None
        if examples is not None:
            self.add(examples)

    def __len__(self) -> int:
        return len(self._examples)

    def __repr__(self) -> str:
        return f"ExampleStore(model_id={self.model_id!r}, examples={len(self)})"

    @property
    def examples(self) -> tuple[LabelledExample, ...]:
        """The stored examples, in insertion order."""
        return tuple(self._examples)

    @property
    def dimension(self) -> int | None:
        """The vector size, or None before the first example."""
        return None if self._index is None else int(self._index.d)

    def add(self, examples: Iterable[LabelledExample | dict[str, Any]]) -> None:
        """Embed and index examples (LabelledExample or dicts with text, true_labels, all_labels).

        Args:
            examples: ``LabelledExample`` objects, hits holding one (``.example``), or dicts with ``text``,
                ``true_labels`` (or ``labels``) and optionally ``all_labels``; an empty list adds nothing.

        Raises:
            InvalidInputError: ``examples`` is a single example or not iterable, an example is malformed, or
                the embedder returns vectors of the wrong shape or size.
            MissingDependencyError: faiss (the ``faiss`` extra) is not installed.
        """
        if isinstance(examples, (str, dict, LabelledExample)) or not isinstance(examples, Iterable):
            raise InvalidInputError(f"examples must be a list of examples, got {type(examples).__name__}.")
        items = [as_example(x, f"examples[{i}]") for i, x in enumerate(examples)]
        if not items:
            return
        vectors = self._embed([e.text for e in items])
        if self._index is None:
            faiss = require("faiss", extra="faiss", package="faiss-cpu")
            self._index = faiss.IndexFlatIP(vectors.shape[1])
        self._index.add(vectors)
        self._examples.extend(items)

    def search(self, text: str, k: int = 4, *, min_similarity: float | None = None) -> list[ExampleHit]:
        """The ``k`` nearest examples to ``text``, most similar first, at or above ``min_similarity``.

        Args:
            text: The query text.
            k: How many examples to return at most (a positive int).
            min_similarity: Drop hits whose cosine similarity is below it (None: keep all ``k``).

        Returns:
            Up to ``k`` hits, each an example with its cosine similarity; empty for an empty store.

        Raises:
            InvalidInputError: ``text`` is not a str (use ``search_many`` for lists), or ``k`` or
                ``min_similarity`` is invalid.
        """
        if not isinstance(text, str):
            raise InvalidInputError(f"text must be a str, got {type(text).__name__}; use search_many for lists.")
        check_text(text, "text")
        return self.search_many([text], k, min_similarity=min_similarity)[0]

    def search_many(
        self, texts: Sequence[str], k: int = 4, *, min_similarity: float | None = None
    ) -> list[list[ExampleHit]]:
        """``search`` for each text, embedding all texts in one call.

        Args:
            texts: The query texts (a list of str).
            k: How many examples to return per text at most (a positive int).
            min_similarity: Drop hits whose cosine similarity is below it (None: keep all ``k``).

        Returns:
            One list of hits per text, most similar first.

        Raises:
            InvalidInputError: ``texts`` is not a list of str, or ``k`` or ``min_similarity`` is invalid.
        """
        text_list = check_texts(texts)
        check_positive_int(k, "k", allow_none=False)
        min_similarity = check_finite(min_similarity, "min_similarity", allow_none=True)
        if not text_list or self._index is None or not self._examples:
            return [[] for _ in text_list]
        queries = self._embed(text_list)
        similarities, indices = self._index.search(queries, min(k, len(self._examples)))
        out = []
        for sims, ids in zip(similarities, indices, strict=True):
            out.append(
                [
                    ExampleHit(example=self._examples[int(i)], similarity=float(s))
                    for s, i in zip(sims, ids, strict=True)
                    if i >= 0 and (min_similarity is None or s >= min_similarity)
                ]
            )
        return out

    def examples_for(
        self, texts: Sequence[str], k: int = 4, *, min_similarity: float | None = None
    ) -> list[list[LabelledExample]]:
        """Per text, its nearest examples: the ``examples=`` argument of ``score_labels``.

        Args:
            texts: The texts to classify.
            k: How many examples per text at most.
            min_similarity: Leave out examples less similar than this (None: keep all ``k``).

        Returns:
            One list of ``LabelledExample`` per text, most similar first.

        Raises:
            InvalidInputError: As ``search_many``.
        """
        return [[hit.example for hit in hits] for hits in self.search_many(texts, k, min_similarity=min_similarity)]

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the store to directory ``path`` (created if needed); returns it.

        Writes ``examples.json`` (the examples and the embedding model id) and, when the store is not empty,
        ``index.faiss`` (the vectors).

        Args:
            path: The directory (its store files are replaced).

        Returns:
            The directory, as a ``Path``.

        Raises:
            InvalidInputError: ``path`` exists and is not a directory.
            MissingDependencyError: The store holds vectors and faiss is not installed.
        """
        folder = Path(path)
        if folder.exists() and not folder.is_dir():
            raise InvalidInputError(f"{folder} exists and is not a directory; pick a directory for the store.")
        folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT_VERSION,
            "embedding_model": self.model_id,
            "dimension": self.dimension,
            "examples": [e.model_dump(mode="json") for e in self._examples],
        }
        if self._index is not None:
            faiss = require("faiss", extra="faiss", package="faiss-cpu")
            faiss.write_index(self._index, str(folder / INDEX_FILE))
        (folder / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, path: str | os.PathLike[str], embedder: Embedder, *, check_model: bool = True) -> ExampleStore:
        """Read a saved store; ``embedder`` must be the model that made its vectors (checked by id).

        Args:
            path: The directory ``save`` wrote.
            embedder: The embedding model the store was built with (it embeds the queries).
            check_model: Refuse an embedder whose model id differs from the saved one; False for the same
                model under another name.

        Returns:
            The store, with its examples and vectors.

        Raises:
            ModelLoadError: the directory holds no store, or ``examples.json`` / ``index.faiss`` is corrupt
                (not JSON, wrong shape or types, examples and vectors that do not match).
            InvalidInputError: the store was built with another embedding model (and ``check_model``), or
                ``check_model`` is not a bool.
            MissingDependencyError: The store holds examples and faiss is not installed.
        """
        check_bool(check_model, "check_model")
        folder = Path(path)
        meta_file = folder / META_FILE
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # ValueError: invalid JSON or not UTF-8
            raise ModelLoadError(f"{folder} is not a saved ExampleStore ({META_FILE}: {exc}).") from exc
        if not isinstance(meta, dict) or type(meta.get("format")) is not int or meta["format"] != FORMAT_VERSION:
            raise ModelLoadError(f"{meta_file} has an unknown format; expected format {FORMAT_VERSION}.")
        model_id, dimension, examples = _read_meta(meta, meta_file)
        store = cls(embedder, model_id=model_id or embedder_id(embedder))
        current = embedder_id(embedder)
        if check_model and store.model_id != current:
            raise InvalidInputError(
                f"the store at {folder} was built with embedding model {store.model_id!r} but the embedder is "
                f"{current!r}; its vectors would not be comparable. Load with the same model, or pass "
                "check_model=False if they are the same model under another name."
            )
        store._examples = examples
        if store._examples:
            faiss = require("faiss", extra="faiss", package="faiss-cpu")
            try:
                store._index = faiss.read_index(str(folder / INDEX_FILE))
            except RuntimeError as exc:
                raise ModelLoadError(f"cannot read {folder / INDEX_FILE}: {exc}") from exc
            if store._index.ntotal != len(store._examples):
                raise ModelLoadError(
                    f"{folder} is inconsistent: {store._index.ntotal} vectors for {len(store._examples)} examples."
                )
            if dimension is not None and store._index.d != dimension:
                raise ModelLoadError(
                    f"{folder} is inconsistent: {META_FILE} says {dimension}-dim vectors, "
                    f"{INDEX_FILE} holds {store._index.d}-dim ones."
                )
        logger.info("loaded ExampleStore from %s: %d examples (%s)", folder, len(store), store.model_id)
        return store

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings as C-contiguous float32 rows of unit length, checked against the index size."""
        vectors = np.ascontiguousarray(np.asarray(self.embedder.embed(list(texts)), dtype=np.float32))
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise InvalidInputError(
                f"embedder.embed returned shape {vectors.shape} for {len(texts)} texts; expected (n, d)."
            )
        if self._index is not None and vectors.shape[1] != self._index.d:
            raise InvalidInputError(
                f"embedder.embed returned {vectors.shape[1]}-dim vectors but the store holds "
                f"{self._index.d}-dim ones; use the embedding model the store was built with."
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def _read_meta(meta: dict[str, Any], meta_file: Path) -> tuple[str | None, int | None, list[LabelledExample]]:
    """(embedding model id, vector size, examples) of a parsed ``examples.json``; ModelLoadError if corrupt."""
    model_id = meta.get("embedding_model")
    if model_id is not None and not isinstance(model_id, str):
        raise ModelLoadError(f"{meta_file}: 'embedding_model' must be a str, got {type(model_id).__name__}.")
    dimension = meta.get("dimension")
    if dimension is not None and (type(dimension) is not int or dimension < 1):
        raise ModelLoadError(f"{meta_file}: 'dimension' must be a positive int or null, got {dimension!r}.")
    raw = meta.get("examples", [])
    if not isinstance(raw, list):
        raise ModelLoadError(f"{meta_file}: 'examples' must be a list, got {type(raw).__name__}.")
    examples: list[LabelledExample] = []
    for i, item in enumerate(raw):
        try:
            examples.append(check_example(LabelledExample.model_validate(item), f"examples[{i}]"))
        except (ValidationError, InvalidInputError) as exc:
            detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            raise ModelLoadError(
                f"{meta_file}: examples[{i}] is not a valid example ({detail}); the file is corrupt, "
                "rebuild the store and save it again."
            ) from exc
    return model_id, dimension, examples
