"""Rerank results: one scored document (the caller's object kept as it is) and the ranked list."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, field_serializer

from entailkit._documents import find_text
from entailkit.types._base import _Frozen
from entailkit.types.scores import HeadKind, PairScore

__all__ = ["RerankItem", "RerankResult"]


def _jsonable(value: Any) -> Any:
    """A JSON-friendly copy of a caller's document or metadata, for dumping only (the object is kept)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, BaseModel):
        try:
            return value.model_dump(mode="json")
        except Exception:  # a pydantic model holding unserialisable values
            return {key: _jsonable(val) for key, val in dict(value).items()}
    if isinstance(value, dict):
        return {str(key): _jsonable(val) for key, val in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    text = find_text(value)
    if text is not None:
        return {"text": text, "metadata": _jsonable(getattr(value, "metadata", None))}
    return str(value)


def _is_container(value: Any) -> bool:
    """True for the values ``_jsonable`` dumps field by field (models, mappings, sequences, dataclasses)."""
    return isinstance(value, (BaseModel, dict, list, tuple, set, frozenset)) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    )


class _FrozenAny(_Frozen):
    """A frozen model that may hold the caller's own objects (kept as they are, never copied)."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class RerankItem(_FrozenAny):
    """One reranked document: where it was in the input, its score and the caller's object itself.

    A passage too long for one pass was scored in windows: ``pair.window`` is the character span of the
    best window inside ``text`` (None when the passage fit), ``num_windows`` how many were scored.
    """

    index: int
    """Position of the document in the input list."""
    score: float
    """Relevance in [0, 1]: entailment (NLI) or relevance probability, calibrated if a calibrator is set."""
    raw_score: float
    """The model's score before calibration."""
    text: str
    """The text that was scored."""
    document: Any = None
    """The caller's document object itself (same identity, never mutated); a str input is the str."""
    metadata: Any = None
    """The document's metadata object as given (same identity), or None."""
    num_windows: int = 1
    """How many windows of the passage were scored (1 when it fit)."""
    pair: PairScore
    """Everything the model said about this (passage, query) pair: class probabilities, logits, and the
    best window (``pair.window``)."""
    first_stage_score: float | None = None
    """The retriever's score passed in ``first_stage_scores`` (fused into ``raw_score``), else None."""

    @field_serializer("document", "metadata", mode="wrap")
    def _dump_caller_object(self, value: Any, handler: SerializerFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except Exception:  # pydantic cannot dump it to JSON: plain containers field by field, else text + metadata
            if value is self.document and not _is_container(value):
                return {"text": self.text, "metadata": _jsonable(self.metadata)}
            return _jsonable(value)


class RerankResult(_Frozen):
    """Documents sorted by descending score (stable: ties keep input order), filtered and cut."""

    query: str
    hypothesis: str
    """What the model scored as the claim: the templated query for NLI heads, the raw query otherwise."""
    items: tuple[RerankItem, ...] = ()
    num_documents: int
    """How many documents came in (before ``threshold`` and ``top_n``)."""
    head: HeadKind
    calibrated: bool = False
    """Whether scores went through a calibrator."""
    threshold: float | None = None
    """The threshold in force for this call (None: none)."""
    top_n: int | None = None
    """The cut in force for this call (None: none)."""

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[RerankItem]:  # type: ignore[override]
        return iter(self.items)

    def __getitem__(self, index: int) -> RerankItem:
        return self.items[index]

    @property
    def documents(self) -> list[Any]:
        """The caller's document objects in ranked order."""
        return [item.document for item in self.items]

    @property
    def indices(self) -> list[int]:
        """Input positions in ranked order."""
        return [item.index for item in self.items]

    @property
    def scores(self) -> list[float]:
        """The ``score`` of every item in ranked order."""
        return [item.score for item in self.items]
