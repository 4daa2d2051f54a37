"""The batcher's metrics hook: what it reports, and an in-process counter that implements it.

The batcher knows no metrics library: it calls ``model_call`` after each merged model call and ``drop``
for work never scored. The server passes its ``ServerMetrics`` (Prometheus); the in-process batchers of
the async tasks count with :class:`BatchStats`, which tests and benchmarks read.
"""

from __future__ import annotations

import threading
from typing import Protocol

__all__ = ["BatchMetrics", "BatchStats"]


class BatchMetrics(Protocol):
    """Where a :class:`~entailkit.batching.batcher.MicroBatcher` reports its model calls and dropped work."""

    def model_call(self, *, seconds: float, requests: int, pairs: int, tokens: int, kind: str) -> None:
        """Count one merged model call of ``requests`` scorer calls, ``pairs`` pairs and ``tokens`` tokens."""

    def drop(self, reason: str, pairs: int) -> None:
        """Count ``pairs`` pairs never scored (``timeout``, ``cancelled``, ``shutdown`` or ``failed``)."""


class BatchStats:
    """Running totals of one batcher's model calls and dropped pairs (thread-safe)."""

    def __init__(self) -> None:
        """Start every total at zero."""
        self._lock = threading.Lock()
        self.calls = 0
        """Merged model calls made."""
        self.requests = 0
        """Scorer calls (jobs' pieces) they served: ``requests > calls`` means calls were merged."""
        self.pairs = 0
        self.tokens = 0
        self.seconds = 0.0
        self.dropped: dict[str, int] = {}
        """Pairs never scored, by reason."""

    def model_call(self, *, seconds: float, requests: int, pairs: int, tokens: int, kind: str) -> None:
        """Add one merged model call to the totals.

        Args:
            seconds: How long it took.
            requests: Scorer calls merged into it.
            pairs: Pairs (text-label pairs) in it.
            tokens: Estimated tokens of its texts.
            kind: ``pairs`` or ``labels`` (not kept apart).
        """
        with self._lock:
            self.calls += 1
            self.requests += requests
            self.pairs += pairs
            self.tokens += tokens
            self.seconds += seconds

    def drop(self, reason: str, pairs: int) -> None:
        """Add ``pairs`` dropped pairs under ``reason``.

        Args:
            reason: ``timeout``, ``cancelled``, ``shutdown`` or ``failed``.
            pairs: How many.
        """
        with self._lock:
            self.dropped[reason] = self.dropped.get(reason, 0) + pairs

    def __repr__(self) -> str:
        return f"BatchStats(calls={self.calls}, requests={self.requests}, pairs={self.pairs}, dropped={self.dropped})"
