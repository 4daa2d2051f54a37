"""Dynamic micro-batching: one worker thread owns the model and merges concurrent scorer calls.

Request threads call a :class:`BatchingScorer` (a Scorer) exactly as they would call the real one; the
task classes (Reranker, GroundednessChecker, ...) run unchanged on top of it. Each ``score_pairs`` /
``score_labels`` call becomes a job; the worker takes the oldest job, collects compatible jobs (same
options) for up to ``max_wait_ms`` or until ``max_batch_pairs`` pairs, makes ONE call to the real
scorer and hands each job its slice. Tokenizer calls (``count_tokens``, ``window_spans``) also run on
the worker, so the model and its tokenizer are only ever used from one thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from entailkit.errors import EntailkitError
from entailkit.scorers.base import DEFAULT_HYPOTHESIS_TEMPLATE, ExamplesArg, LabelsArg, Scorer
from entailkit.serve.metrics import ServerMetrics
from entailkit.types import LabelScores, NativeCall, Normalization, PairScores, ScorerInfo, Span, Truncation

logger = logging.getLogger(__name__)


class Overloaded(EntailkitError):
    """The server already holds ``max_queue`` requests; the caller should retry later (HTTP 503)."""


class RequestTimeout(EntailkitError):
    """A request did not get its scores before its deadline (HTTP 504)."""


class BatcherClosed(EntailkitError):
    """The batcher is shutting down and takes no new work (HTTP 503)."""


_local = threading.local()


@contextmanager
def request_deadline(seconds: float | None) -> Iterator[None]:
    """Give the scorer calls made by this thread (one request) a deadline ``seconds`` from now."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = None if seconds is None else time.monotonic() + seconds
    try:
        yield
    finally:
        _local.deadline = previous


@dataclass(eq=False)
class _Job:
    kind: str
    """"pairs", "labels" (merged) or "call" (run alone)."""
    key: Any
    size: int
    args: Any
    deadline: float | None
    future: Future[Any] = field(default_factory=Future)


class MicroBatcher:
    """The worker thread, its job queue and the admission counter that bounds the queue."""

    def __init__(
        self,
        scorer: Scorer,
        *,
        max_wait_ms: float = 5.0,
        max_batch_pairs: int = 256,
        max_queue: int = 256,
        metrics: ServerMetrics | None = None,
    ) -> None:
        self.scorer = scorer
        self.max_wait = max(0.0, float(max_wait_ms)) / 1000.0
        self.max_batch_pairs = max(1, int(max_batch_pairs))
        self.max_queue = max(1, int(max_queue))
        self.metrics = metrics
        self._pending: deque[_Job] = deque()
        self._cond = threading.Condition()
        self._admitted = 0
        self._closing = False
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._closing = False
            self._thread = threading.Thread(target=self._run, name="entailkit-batcher", daemon=True)
            self._thread.start()

    def close(self, timeout: float | None = 30.0) -> None:
        """Stop taking jobs, finish the queued ones, and join the worker."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("batcher: worker still busy after %.0f s at shutdown", timeout or 0)
            self._thread = None

    @property
    def depth(self) -> int:
        """Jobs waiting for the worker."""
        return len(self._pending)

    @property
    def admitted(self) -> int:
        """Requests admitted and not finished (waiting or being scored)."""
        return self._admitted

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold one of ``max_queue`` request slots for the duration of a request, or raise Overloaded."""
        with self._cond:
            if self._closing:
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

    def submit(self, kind: str, key: Any, size: int, args: Any) -> Any:
        """Queue a job and block until its result (or the request's deadline: RequestTimeout)."""
        deadline: float | None = getattr(_local, "deadline", None)
        job = _Job(kind, key, size, args, deadline)
        with self._cond:
            if self._thread is None:
                raise BatcherClosed("the batcher is not running (server not started or shutting down).")
            self._pending.append(job)
            self._cond.notify_all()
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            return job.future.result(timeout=timeout)
        except FutureTimeout:
            job.future.cancel()  # dropped by the worker if it has not started it yet
            raise RequestTimeout(f"no result within the request timeout ({kind} job of {size} pairs).") from None

    # -- the worker --------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closing:
                    self._cond.wait()
                if not self._pending:
                    return
                first = self._pending.popleft()
            batch = [first] if first.kind == "call" else self._collect(first)
            self._execute(batch)

    def _collect(self, first: _Job) -> list[_Job]:
        """``first`` plus compatible queued jobs, waiting up to max_wait while more requests may come."""
        batch, size = [first], first.size
        end = time.monotonic() + self.max_wait
        with self._cond:
            while size < self.max_batch_pairs:
                for job in list(self._pending):
                    if job.key == first.key and size + job.size <= self.max_batch_pairs:
                        self._pending.remove(job)
                        batch.append(job)
                        size += job.size
                # Waiting only helps when admitted requests may still submit work.
                remaining = end - time.monotonic()
                if self._closing or remaining <= 0 or self._admitted <= len(batch) + len(self._pending):
                    break
                self._cond.wait(remaining)
        return batch

    def _execute(self, batch: list[_Job]) -> None:
        now = time.monotonic()
        live: list[_Job] = []
        for job in batch:
            if not job.future.set_running_or_notify_cancel():
                continue
            if job.deadline is not None and now > job.deadline:
                job.future.set_exception(RequestTimeout("the request timed out while queued."))
                continue
            live.append(job)
        if not live:
            return
        started = time.perf_counter()
        try:
            results = self._call(live)
        except Exception as exc:
            if len(live) == 1:
                live[0].future.set_exception(exc)
                return
            logger.info("batcher: merged call of %d jobs failed (%s); running them one by one", len(live), exc)
            for job in live:
                try:
                    job.future.set_result(self._call([job])[0])
                except Exception as one:
                    job.future.set_exception(one)
            return
        finally:
            if self.metrics is not None and live and live[0].kind != "call":
                self.metrics.batch_seconds.observe(time.perf_counter() - started)
                self.metrics.batch_pairs.observe(sum(j.size for j in live))
                self.metrics.batch_requests.observe(len(live))
        for job, result in zip(live, results, strict=True):
            job.future.set_result(result)

    def _call(self, jobs: list[_Job]) -> list[Any]:
        kind = jobs[0].kind
        if kind == "call":
            function: Callable[[], Any] = jobs[0].args
            return [function()]
        if kind == "pairs":
            _, normalization, truncation = jobs[0].key
            premises = [p for job in jobs for p in job.args[0]]
            hypotheses = [h for job in jobs for h in job.args[1]]
            out = self.scorer.score_pairs(premises, hypotheses, normalization=normalization, truncation=truncation)
            results: list[Any] = []
            offset = 0
            for job in jobs:
                n = len(job.args[0])
                results.append(out.model_copy(update={"items": out.items[offset : offset + n]}))
                offset += n
            return results
        _, template, multi_label, examples = jobs[0].key[:4]
        texts = [t for job in jobs for t in job.args[0]]
        labels = [ls for job in jobs for ls in job.args[1]]
        scored = self.scorer.score_labels(
            texts, labels, hypothesis_template=template, multi_label=multi_label, examples=examples
        )
        results, offset = [], 0
        for job in jobs:
            n = len(job.args[0])
            results.append(LabelScores(items=scored.items[offset : offset + n]))
            offset += n
        return results


class BatchingScorer:
    """A Scorer whose calls go through a MicroBatcher: same results, merged with other requests' calls."""

    def __init__(self, batcher: MicroBatcher) -> None:
        self.batcher = batcher
        self.inner = batcher.scorer

    @property
    def info(self) -> ScorerInfo:
        return self.inner.info

    @property
    def native(self) -> NativeCall:
        return self.inner.native

    def score_pairs(
        self,
        premises: Sequence[str],
        hypotheses: Sequence[str],
        *,
        normalization: Normalization = "softmax",
        truncation: Truncation | None = None,
        show_progress: bool = False,
    ) -> PairScores:
        p, h = list(premises), list(hypotheses)
        if not p or len(p) != len(h) or isinstance(premises, str) or isinstance(hypotheses, str):
            # Empty or malformed: the real scorer answers (or raises its own typed error) alone.
            alone: PairScores = self._alone(
                lambda: self.inner.score_pairs(premises, hypotheses, normalization=normalization, truncation=truncation)
            )
            return alone
        result: PairScores = self.batcher.submit("pairs", ("pairs", normalization, truncation), len(p), (p, h))
        return result

    def score_labels(
        self,
        texts: Sequence[str],
        labels: LabelsArg,
        *,
        hypothesis_template: str = DEFAULT_HYPOTHESIS_TEMPLATE,
        multi_label: bool = False,
        examples: ExamplesArg = None,
        show_progress: bool = False,
    ) -> LabelScores:
        text_list = list(texts) if not isinstance(texts, str) else []
        per_text = _per_text_labels(labels, len(text_list))
        if not text_list or per_text is None or isinstance(texts, str):
            scored: LabelScores = self._alone(
                lambda: self.inner.score_labels(
                    texts, labels, hypothesis_template=hypothesis_template, multi_label=multi_label, examples=examples
                )
            )
            return scored
        # Jobs with few-shot examples are not merged (their key is unique); others merge on the options.
        key: tuple[Any, ...] = ("labels", hypothesis_template, multi_label, None)
        if examples:
            key = ("labels", hypothesis_template, multi_label, examples, object())
        size = sum(len(ls) for ls in per_text)
        result: LabelScores = self.batcher.submit("labels", key, size, (text_list, per_text))
        return result

    def window_spans(self, text: str, hypothesis: str = "") -> list[Span]:
        spans: list[Span] = self._alone(lambda: self.inner.window_spans(text, hypothesis))
        return spans

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        counts: list[int] = self._alone(lambda: self.inner.count_tokens(texts))
        return counts

    def _alone(self, function: Callable[[], Any]) -> Any:
        return self.batcher.submit("call", None, 0, function)

    def __repr__(self) -> str:
        return f"BatchingScorer({self.inner!r})"


def _per_text_labels(labels: Any, n: int) -> list[list[str]] | None:
    """One label list per text, or None when ``labels`` is malformed (the real scorer then says why)."""
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        return None
    if all(isinstance(x, str) for x in labels):
        return [list(labels) for _ in range(n)]
    if len(labels) == n and all(isinstance(x, Sequence) and not isinstance(x, str) for x in labels):
        return [list(x) for x in labels]
    return None
