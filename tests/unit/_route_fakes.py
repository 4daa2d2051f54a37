"""A deterministic bag-of-words embedder for the Router's kNN signal (no torch)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from entailkit.types import ScorerInfo

DIM = 256


class WordEmbedder:
    """Hashed word counts, L2-normalised: texts sharing words are similar; an EmbeddingScorer stand-in."""

    def __init__(self, model: str = "fake-words") -> None:
        self.calls: list[list[str]] = []
        self._info = ScorerInfo(
            model=model, kind="embedding", head="cosine", native="pairs", max_length=512, device="cpu", dtype="float32"
        )

    @property
    def info(self) -> ScorerInfo:
        return self._info

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, zlib.crc32(word.encode()) % DIM] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
