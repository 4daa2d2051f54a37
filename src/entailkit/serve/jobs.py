"""The batcher's jobs and cancel tokens, now in the core: :mod:`entailkit.batching.jobs` (kept importable here)."""

from __future__ import annotations

from entailkit.batching.jobs import CancelToken, Job, check_alive, current_request, request_context, request_deadline
from entailkit.errors import RequestCancelled, RequestTimeout

__all__ = [
    "CancelToken",
    "Job",
    "RequestCancelled",
    "RequestTimeout",
    "check_alive",
    "current_request",
    "request_context",
    "request_deadline",
]
