"""The batching Scorer, now in the core: :mod:`entailkit.batching.scoring` (kept importable here)."""

from __future__ import annotations

from entailkit.batching.scoring import BatchingScorer

__all__ = ["BatchingScorer"]
