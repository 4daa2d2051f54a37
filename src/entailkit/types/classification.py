"""Zero-shot classification results: the ranked labels of one text."""

from __future__ import annotations

from entailkit.types._base import _Frozen
from entailkit.types.examples import LabelledExample

__all__ = ["Classification"]


class Classification(_Frozen):
    """Zero-shot labels of one text, sorted by descending score (ties keep the given order)."""

    text: str
    labels: tuple[str, ...]
    scores: tuple[float, ...]
    predicted: tuple[str, ...]
    """Labels at or above the threshold (multi-label), or the top label (single-label, if above it)."""
    multi_label: bool
    threshold: float | None = None
    examples: tuple[LabelledExample, ...] = ()
    """The labelled examples the model saw for this text (given or retrieved)."""

    @property
    def top(self) -> str | None:
        """The best label, or None when there are no labels."""
        return self.labels[0] if self.labels else None

    @property
    def top_score(self) -> float | None:
        """The best label's score, or None when there are no labels."""
        return self.scores[0] if self.scores else None

    def as_dict(self) -> dict[str, float]:
        """Label -> score, best first."""
        return dict(zip(self.labels, self.scores, strict=True))
