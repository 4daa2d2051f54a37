"""Fault injection for the Ray tests: a real scorer whose first scoring call of the whole job fails.

A marker file makes the failure happen once across all actors and retries (they are separate processes).
Shipped to the workers by value (the tests directory is not importable there).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any


class FailOnceScorer:
    """Delegates to a real Scorer; the first ``score_pairs`` call (job-wide) raises RuntimeError."""

    def __init__(self, inner: Any, marker: str) -> None:
        self._inner = inner
        self._marker = marker

    @property
    def info(self) -> Any:
        return self._inner.info

    @property
    def native(self) -> Any:
        return self._inner.native

    def score_pairs(self, premises: Sequence[str], hypotheses: Sequence[str], **kwargs: Any) -> Any:
        try:
            fd = os.open(self._marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return self._inner.score_pairs(premises, hypotheses, **kwargs)
        os.close(fd)
        raise RuntimeError("injected transient failure (e.g. a CUDA out-of-memory)")

    def score_labels(self, texts: Sequence[str], labels: Any, **kwargs: Any) -> Any:
        return self._inner.score_labels(texts, labels, **kwargs)

    def window_spans(self, text: str, hypothesis: str = "") -> Any:
        return self._inner.window_spans(text, hypothesis)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return list(self._inner.count_tokens(texts))


class FailOnceFactory:
    """A picklable zero-argument factory: loads ``model`` and wraps it in FailOnceScorer."""

    def __init__(self, model: str, marker: str) -> None:
        self.model = model
        self.marker = marker

    def __call__(self) -> Any:
        from entailkit.scorers.loading import load_scorer

        return FailOnceScorer(load_scorer(self.model, device="cpu"), self.marker)
