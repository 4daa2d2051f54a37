"""Dynamic micro-batching shared by the HTTP server and the tasks' async methods.

One worker thread per batcher owns the model and merges the scorer calls of concurrent requests (or
coroutines) into bounded, cancellable model calls: :class:`MicroBatcher` (:mod:`.batcher`), the jobs
and cancel tokens (:mod:`.jobs`), the work estimates (:mod:`.work`), the Scorer view
:class:`BatchingScorer` (:mod:`.scoring`), the metrics hook (:mod:`.hooks`), one shared batcher per
scorer (:mod:`.shared`) and the async task methods (:mod:`.aio`). No web framework or metrics library.
"""

from __future__ import annotations

from entailkit.batching.aio import async_method, run_batched
from entailkit.batching.batcher import MicroBatcher
from entailkit.batching.hooks import BatchMetrics, BatchStats
from entailkit.batching.jobs import CancelToken, request_context
from entailkit.batching.scoring import BatchingScorer
from entailkit.batching.shared import (
    BatchingOptions,
    batching_options,
    batching_scorer,
    close_shared_batchers,
    configure_batching,
    shared_batcher,
)

__all__ = [
    "BatchMetrics",
    "BatchStats",
    "BatchingOptions",
    "BatchingScorer",
    "CancelToken",
    "MicroBatcher",
    "async_method",
    "batching_options",
    "batching_scorer",
    "close_shared_batchers",
    "configure_batching",
    "request_context",
    "run_batched",
    "shared_batcher",
]
