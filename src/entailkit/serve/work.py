"""The work estimates, now in the core: :mod:`entailkit.batching.work` (kept importable here)."""

from __future__ import annotations

from entailkit.batching.work import (
    CHARS_PER_TOKEN,
    SPECIAL_TOKENS,
    estimated_tokens,
    estimated_windows,
    label_pairs,
    pairs_of,
    texts_tokens,
)

__all__ = [
    "CHARS_PER_TOKEN",
    "SPECIAL_TOKENS",
    "estimated_tokens",
    "estimated_windows",
    "label_pairs",
    "pairs_of",
    "texts_tokens",
]
