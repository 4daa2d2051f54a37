"""One in-process batcher per scorer, for the tasks' async methods, and the options they run with.

:func:`shared_batcher` makes a :class:`~entailkit.batching.batcher.MicroBatcher` for a scorer object the
first time it is asked (its worker a daemon thread) and returns the same one afterwards, so every async
call on that scorer, from any task and any coroutine, is merged into the same token-budget batches.
The batchers are closed at interpreter exit. :func:`configure_batching` sets the batch window, budget
and queue bound of the batchers made from then on and of those running.
"""

from __future__ import annotations

import atexit
import gc
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from entailkit._validation import check_bool, check_finite, check_positive_int
from entailkit.batching.batcher import MicroBatcher
from entailkit.batching.hooks import BatchStats
from entailkit.batching.scoring import BatchingScorer
from entailkit.scorers.base import Scorer

__all__ = [
    "BatchingOptions",
    "batching_options",
    "batching_scorer",
    "close_shared_batchers",
    "configure_batching",
    "freeze_loaded_objects",
    "shared_batcher",
    "waiting_executor",
]


@dataclass(frozen=True)
class BatchingOptions:
    """How the in-process batchers of the async task methods merge calls."""

    max_batch_wait_ms: float = 2.0
    """How long the worker waits for more concurrent calls to join a model call (the batch window)."""
    max_batch_pairs: int = 256
    """The most estimated pairs (premise windows x hypotheses) in one model call (the token budget)."""
    max_queue: int = 128
    """The most async calls in flight per scorer; one more raises ``Overloaded``."""
    freeze_gc: bool = True
    """``gc.freeze()`` when a batcher starts (see :func:`freeze_loaded_objects`)."""


_lock = threading.Lock()
_options = BatchingOptions()
_batchers: dict[int, tuple[Scorer, MicroBatcher, BatchingScorer]] = {}
_executor: ThreadPoolExecutor | None = None
_executor_size = 0


def configure_batching(
    *,
    max_batch_wait_ms: float | None = None,
    max_batch_pairs: int | None = None,
    max_queue: int | None = None,
    freeze_gc: bool | None = None,
) -> BatchingOptions:
    """Set the options of the async methods' batchers (None keeps an option); running batchers follow too.

    Args:
        max_batch_wait_ms: The batch window in milliseconds (default 2): longer merges more, adds latency.
        max_batch_pairs: The most estimated pairs per model call (default 256).
        max_queue: The most async calls in flight per scorer (default 128); more raise ``Overloaded``.
        freeze_gc: Freeze the objects alive when a batcher starts (default True; see
            :func:`freeze_loaded_objects`).

    Returns:
        The options now in force.

    Raises:
        InvalidInputError: An option is out of range (a negative window, a budget or queue below 1).
    """
    global _options
    changes: dict[str, float | int | bool] = {}
    if freeze_gc is not None:
        changes["freeze_gc"] = check_bool(freeze_gc, "freeze_gc")
    if max_batch_wait_ms is not None:
        changes["max_batch_wait_ms"] = check_finite(max_batch_wait_ms, "max_batch_wait_ms", low=0.0)
    if max_batch_pairs is not None:
        changes["max_batch_pairs"] = int(check_positive_int(max_batch_pairs, "max_batch_pairs", allow_none=False) or 1)
    if max_queue is not None:
        changes["max_queue"] = int(check_positive_int(max_queue, "max_queue", allow_none=False) or 1)
    with _lock:
        _options = replace(_options, **changes)  # type: ignore[arg-type]
        for _, batcher, _view in _batchers.values():
            _apply(batcher, _options)
        return _options


def batching_options() -> BatchingOptions:
    """The options in force (see :func:`configure_batching`)."""
    return _options


def _apply(batcher: MicroBatcher, options: BatchingOptions) -> None:
    with batcher._cond:
        batcher.max_wait = options.max_batch_wait_ms / 1000.0
        batcher.max_batch_pairs = options.max_batch_pairs
        batcher.max_queue = options.max_queue
        batcher._cond.notify_all()


def _entry(scorer: Scorer) -> tuple[Scorer, MicroBatcher, BatchingScorer]:
    with _lock:
        entry = _batchers.get(id(scorer))
        if entry is None or entry[0] is not scorer or not entry[1].alive:
            options = _options
            batcher = MicroBatcher(
                scorer,
                max_wait_ms=options.max_batch_wait_ms,
                max_batch_pairs=options.max_batch_pairs,
                max_queue=options.max_queue,
                metrics=BatchStats(),
            )
            batcher.start()
            if options.freeze_gc:
                freeze_loaded_objects()
            entry = (scorer, batcher, BatchingScorer(batcher))
            _batchers[id(scorer)] = entry  # the entry holds the scorer, so its id is not reused meanwhile
        return entry


def freeze_loaded_objects() -> None:
    """Move every object alive now (the model, tokenizer, imported modules) out of the collector's sight.

    A full pass of Python's cyclic garbage collector traverses every tracked object; with torch and
    transformers loaded that is millions, and one pass held the GIL for 174 ms (the event loop of 32
    concurrent ``arerank`` calls stood still meanwhile: scripts/bench_async.py). ``gc.freeze()`` (as
    servers such as gunicorn and Instagram's do after loading) leaves the loaded objects to reference
    counting only, so later passes look at new objects. Frozen objects in reference cycles are never
    collected: turn it off with ``configure_batching(freeze_gc=False)``.
    """
    gc.freeze()


def shared_batcher(scorer: Scorer) -> MicroBatcher:
    """The running batcher of ``scorer`` (made and started on first use); ``.metrics`` is its BatchStats.

    Args:
        scorer: The scorer object whose model the batcher's worker calls.
    """
    return _entry(scorer)[1]


def batching_scorer(scorer: Scorer) -> BatchingScorer:
    """The Scorer view of ``scorer`` whose calls are jobs of :func:`shared_batcher` ``(scorer)``.

    Args:
        scorer: The real scorer.
    """
    return _entry(scorer)[2]


def waiting_executor() -> ThreadPoolExecutor:
    """The threads that run the tasks' sync logic for async calls; they only tokenize and wait on batchers."""
    global _executor, _executor_size
    with _lock:
        size = _options.max_queue
        if _executor is None or _executor_size < size:
            if _executor is not None:
                _executor.shutdown(wait=False)
            _executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="entailkit-async")
            _executor_size = size
        return _executor


def close_shared_batchers(timeout: float | None = 5.0) -> None:
    """Stop every shared batcher (their queued jobs fail with BatcherClosed); later calls make new ones.

    Args:
        timeout: Seconds to wait for each worker to finish its current model call.
    """
    with _lock:
        entries = list(_batchers.values())
        _batchers.clear()
    for _, batcher, _view in entries:
        batcher.close(timeout)


atexit.register(close_shared_batchers)
