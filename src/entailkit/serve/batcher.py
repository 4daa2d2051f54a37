"""The server's micro-batcher, now in the core: :mod:`entailkit.batching.batcher` (kept importable here)."""

from __future__ import annotations

from entailkit.batching.batcher import MicroBatcher
from entailkit.batching.jobs import CancelToken, request_context, request_deadline
from entailkit.errors import BatcherClosed, Overloaded, RequestCancelled, RequestTimeout

__all__ = [
    "BatcherClosed",
    "CancelToken",
    "MicroBatcher",
    "Overloaded",
    "RequestCancelled",
    "RequestTimeout",
    "request_context",
    "request_deadline",
]
