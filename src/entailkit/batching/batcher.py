"""Dynamic micro-batching in bounded, cancellable sub-calls: one worker thread owns the model.

Shared by the HTTP server (``entailkit.serve``) and the tasks' async methods (:mod:`entailkit.batching.aio`);
it imports no web framework and counts through the :class:`~entailkit.batching.hooks.BatchMetrics` hook.
Request threads call a :class:`BatchingScorer` (a Scorer) exactly as they would call the real one; the
task classes (Reranker, GroundednessChecker, ...) run unchanged on top of it. Each ``score_pairs`` /
``score_labels`` call becomes a :class:`~entailkit.batching.jobs.Job` of units (a pair; a text with all its
labels), each with an estimated cost in pairs (long texts count once per window). The worker builds
every model call from the oldest job plus compatible queued jobs (same options), waiting up to
``max_wait_ms`` for more, until ``max_batch_pairs`` estimated pairs: a big job is cut into sub-calls
and, partly done, goes to the back of the queue, so small requests are served between its sub-calls.
Before each sub-call the worker drops the jobs whose request timed out, was cancelled (client gone) or
outlived the shutdown grace, so such a request frees the model within one sub-call. Scores are per
pair (per text for labels), so the sub-calls' results joined equal one big call's.

The Scorer that request threads call is :class:`entailkit.batching.scoring.BatchingScorer`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from entailkit.batching.hooks import BatchMetrics
from entailkit.batching.jobs import (
    CancelToken,
    Job,
    check_alive,
    current_request,
    request_context,
    request_deadline,
)
from entailkit.batching.work import texts_tokens
from entailkit.errors import BatcherClosed, Overloaded, RequestCancelled, RequestTimeout
from entailkit.scorers.base import Scorer
from entailkit.types import LabelScores, PairScores

logger = logging.getLogger(__name__)


@dataclass
class _Piece:
    """Units ``[start, end)`` of ``job`` in one model call."""

    job: Job
    start: int
    end: int
    weight: int


class MicroBatcher:
    """The worker thread, its job queue and the admission counter that bounds the queue."""

    def __init__(
        self,
        scorer: Scorer,
        *,
        max_wait_ms: float = 5.0,
        max_batch_pairs: int = 256,
        max_queue: int = 256,
        metrics: BatchMetrics | None = None,
    ) -> None:
        """Set up the queue; the worker runs from :meth:`start`.

        Args:
            scorer: The real scorer, called only by the worker thread.
            max_wait_ms: How long the worker waits for compatible jobs to join a model call.
            max_batch_pairs: The most estimated pairs in one model call (at least 1).
            max_queue: The most requests admitted at once (at least 1); more are refused with Overloaded.
            metrics: Where batch sizes, call times and dropped pairs are counted (the server's
                ``ServerMetrics``, a :class:`~entailkit.batching.hooks.BatchStats`); None: nowhere.
        """
        self.scorer = scorer
        self.max_wait = max(0.0, float(max_wait_ms)) / 1000.0
        self.max_batch_pairs = max(1, int(max_batch_pairs))
        self.max_queue = max(1, int(max_queue))
        self.metrics = metrics
        self._pending: deque[Job] = deque()
        self._cond = threading.Condition()
        self._admitted = 0
        self._closing = False
        self._shutdown_at: float | None = None
        self._resume: Job | None = None
        """The job whose first units are in the current model call and whose rest waits for it."""
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._closing, self._shutdown_at = False, None
            self._thread = threading.Thread(target=self._run, name="entailkit-batcher", daemon=True)
            self._thread.start()

    def begin_shutdown(self, grace_s: float) -> None:
        """Admit no new request; work of the admitted ones still queued after ``grace_s`` seconds is dropped.

        Args:
            grace_s: Seconds the admitted requests have to finish (negative counts as 0).
        """
        with self._cond:
            self._shutdown_at = time.monotonic() + max(0.0, grace_s)
            self._cond.notify_all()

    def close(self, timeout: float | None = 30.0) -> None:
        """Stop: fail the jobs still queued (BatcherClosed), let the sub-call in progress end, join the worker.

        Args:
            timeout: Seconds to wait for the worker; a worker still busy then is logged and left.
        """
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("batcher: worker still busy after %.0f s at shutdown", timeout or 0)
            self._thread = None

    @property
    def alive(self) -> bool:
        """Whether the worker thread runs (started and not stopped)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def depth(self) -> int:
        """Jobs waiting for the worker (a big job partly scored counts between its sub-calls)."""
        return len(self._pending)

    @property
    def admitted(self) -> int:
        """Requests admitted and not finished (waiting or being scored)."""
        return self._admitted

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold one of ``max_queue`` request slots for the duration of a request, or raise Overloaded."""
        with self._cond:
            if self._closing or self._shutdown_at is not None:
                raise BatcherClosed("the server is shutting down; retry on another replica or later.")
            if self._admitted >= self.max_queue:
                raise Overloaded(f"the server is at its limit of {self.max_queue} queued requests; retry later.")
            self._admitted += 1
        try:
            yield
        finally:
            with self._cond:
                self._admitted -= 1
                self._cond.notify_all()

    # -- submitting --------------------------------------------------------------------------------

    def submit(
        self,
        kind: str,
        key: Any,
        args: tuple[list[Any], list[Any]],
        weights: list[int],
        sizes: list[int],
        *,
        splittable: bool = True,
    ) -> Any:
        """Queue a job and block until its result, its deadline (RequestTimeout) or its cancellation.

        The deadline and cancel token are the calling thread's (:func:`request_context`).

        Args:
            kind: ``"pairs"`` or ``"labels"``.
            key: The call options; only jobs with equal keys share a model call.
            args: (premises, hypotheses) or (texts, one label list per text), one entry per unit.
            weights: Estimated pairs of each unit, what ``max_batch_pairs`` bounds.
            sizes: Pairs of each unit, what the batch metrics count.
            splittable: False: the units are scored in one call (few-shot examples).

        Returns:
            The job's PairScores or LabelScores.

        Raises:
            RequestTimeout: The deadline passed first.
            RequestCancelled: The request was cancelled.
            BatcherClosed: The batcher is not running or shut down first.
        """
        deadline, token = current_request()
        check_alive(deadline, token)
        job = Job(kind, key, args, weights, sizes, deadline, splittable)
        if token is not None and not token.attach(job):
            raise RequestCancelled(token.reason or "cancelled")
        try:
            with self._cond:
                if self._thread is None or self._closing:
                    raise BatcherClosed("the batcher is not running (server not started or shutting down).")
                self._pending.append(job)
                self._cond.notify_all()
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return job.future.result(timeout=timeout)
            except FutureTimeout:
                # The worker sees the failed future before its next sub-call and drops the rest of the job.
                job.fail(RequestTimeout(f"no result within the request timeout ({kind} job of {sum(sizes)} pairs)."))
                return job.future.result()  # the RequestTimeout, or the result that won the race
        finally:
            if token is not None:
                token.detach(job)

    # -- the worker --------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            pieces = self._next_batch()
            if pieces is None:
                return
            if pieces:
                self._execute(pieces)
            with self._cond:
                if self._resume is not None:
                    # Round robin: the rest of a big job goes behind the jobs that came during its sub-call.
                    self._pending.append(self._resume)
                    self._resume = None

    def _next_batch(self) -> list[_Piece] | None:
        """The pieces of the next model call ([] when all were dropped), or None when closed and empty."""
        with self._cond:
            while True:
                self._drop_dead()
                if self._closing:
                    self._fail_all(BatcherClosed("the server shut down before this request was scored."))
                    return None
                if self._pending:
                    break
                self._cond.wait()
            first = self._pending.popleft()
            head = self._take(first, self.max_batch_pairs, first_piece=True)
            assert head is not None
            if first.cursor < first.units:
                self._resume = first
            pieces, budget = [head], self.max_batch_pairs - head.weight
            end = time.monotonic() + self.max_wait
            while budget > 0:
                for job in list(self._pending):
                    if budget <= 0 or job.key != first.key:
                        continue
                    piece = self._take(job, budget, first_piece=False)
                    if piece is not None:
                        pieces.append(piece)
                        budget -= piece.weight
                        if job.cursor >= job.units:
                            self._pending.remove(job)
                # Waiting only helps when admitted requests may still submit work.
                remaining = end - time.monotonic()
                if self._closing or remaining <= 0 or self._admitted <= len(pieces) + len(self._pending):
                    break
                self._cond.wait(remaining)
            live = [p for p in pieces if not p.job.future.done() and not self._expire(p.job)]
            for piece in pieces:
                if piece not in live:
                    self._count_dropped(piece.job, sum(piece.job.sizes[piece.start : piece.end]))
            return live

    def _take(self, job: Job, budget: int, *, first_piece: bool) -> _Piece | None:
        """The next units of ``job`` within ``budget`` estimated pairs (at least one for the first piece)."""
        start = end = job.cursor
        weight = 0
        while end < job.units and (weight + job.weights[end] <= budget or (first_piece and end == start)):
            weight += job.weights[end]
            end += 1
        if not job.splittable and (start > 0 or end < job.units):
            if not first_piece:
                return None
            end, weight = job.units, sum(job.weights[start:])
        if end == start:
            return None
        job.cursor = end
        return _Piece(job, start, end, weight)

    def _expire(self, job: Job) -> bool:
        """Fail ``job`` when its request's deadline or the shutdown grace has passed; True when it did."""
        now = time.monotonic()
        if self._shutdown_at is not None and now >= self._shutdown_at:
            return job.fail(BatcherClosed("the server is shutting down; the request did not finish in time."))
        if job.deadline is not None and now >= job.deadline:
            return job.fail(RequestTimeout("the request timed out while its work was queued."))
        return False

    def _drop_dead(self) -> None:
        """Remove queued jobs that are finished (timed out, cancelled, failed) or past their deadline."""
        for job in list(self._pending):
            if job.future.done() or self._expire(job):
                self._pending.remove(job)
                self._count_dropped(job, job.remaining_pairs())

    def _fail_all(self, exc: BaseException) -> None:
        while self._pending:
            job = self._pending.popleft()
            job.fail(exc)
            self._count_dropped(job, job.remaining_pairs())

    def _count_dropped(self, job: Job, pairs: int) -> None:
        if self.metrics is None or pairs <= 0:
            return
        error = job.future.exception() if job.future.done() else None
        reasons: dict[type[BaseException], str] = {
            RequestTimeout: "timeout",
            RequestCancelled: "cancelled",
            BatcherClosed: "shutdown",
        }
        reason = reasons.get(type(error), "failed") if error is not None else "failed"
        self.metrics.drop(reason, pairs)

    def _execute(self, pieces: list[_Piece]) -> None:
        started = time.perf_counter()
        try:
            outputs = self._call(pieces)
        except Exception as exc:
            if len(pieces) == 1:
                pieces[0].job.fail(exc)
                return
            logger.info("batcher: merged call of %d jobs failed (%s); running them one by one", len(pieces), exc)
            for piece in pieces:
                try:
                    self._deliver(piece, self._call([piece])[0])
                except Exception as one:
                    piece.job.fail(one)
            return
        finally:
            if self.metrics is not None:
                self.metrics.model_call(
                    seconds=time.perf_counter() - started,
                    requests=len(pieces),
                    pairs=sum(sum(p.job.sizes[p.start : p.end]) for p in pieces),
                    tokens=sum(texts_tokens(*(arg[p.start : p.end] for arg in p.job.args)) for p in pieces),
                    kind=pieces[0].job.kind,
                )
        for piece, output in zip(pieces, outputs, strict=True):
            self._deliver(piece, output)

    def _deliver(self, piece: _Piece, output: Any) -> None:
        """Keep one sub-call's slice; on the job's last slice, join them and hand the result over."""
        job = piece.job
        job.parts.append(output)
        if piece.end < job.units:
            return
        if job.kind == "pairs":
            first: PairScores = job.parts[0]
            joined = [item for part in job.parts for item in part.items]
            job.succeed(first if len(job.parts) == 1 else first.model_copy(update={"items": tuple(joined)}))
        else:
            job.succeed(LabelScores(items=tuple(item for part in job.parts for item in part.items)))
        job.parts = []

    def _call(self, pieces: list[_Piece]) -> list[Any]:
        """One scorer call for all ``pieces``; the result cut back into one slice per piece."""
        key = pieces[0].job.key
        first_args = [a for p in pieces for a in p.job.args[0][p.start : p.end]]
        second_args = [a for p in pieces for a in p.job.args[1][p.start : p.end]]
        if pieces[0].job.kind == "pairs":
            _, normalization, truncation = key
            out = self.scorer.score_pairs(first_args, second_args, normalization=normalization, truncation=truncation)
            slices: list[Any] = []
            offset = 0
            for p in pieces:
                n = p.end - p.start
                slices.append(out.model_copy(update={"items": out.items[offset : offset + n]}))
                offset += n
            return slices
        _, template, multi_label, examples = key[:4]
        scored = self.scorer.score_labels(
            first_args, second_args, hypothesis_template=template, multi_label=multi_label, examples=examples
        )
        results, offset = [], 0
        for p in pieces:
            n = p.end - p.start
            results.append(LabelScores(items=scored.items[offset : offset + n]))
            offset += n
        return results


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
