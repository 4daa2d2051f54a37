"""What the batcher's worker schedules: jobs cut into units, their deadlines and cancel tokens.

A job is one ``score_pairs`` / ``score_labels`` call of one request, made of units (a pair; a text with
all its labels) that the worker may score in separate sub-calls. A request thread carries its deadline
and its :class:`CancelToken` in thread-local state (:func:`request_context`), so every job it submits
can be dropped when the request times out, its client disconnects or the server shuts down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, InvalidStateError
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from entailkit.errors import RequestCancelled, RequestTimeout

__all__ = [
    "CancelToken",
    "Job",
    "check_alive",
    "current_request",
    "request_context",
    "request_deadline",
]


@dataclass(eq=False)
class Job:
    """One scorer call of one request: ``args`` hold one entry per unit; ``weights`` its estimated pairs."""

    kind: str
    """"pairs" or "labels"."""
    key: Any
    """Jobs with equal keys (same call options) may share a model call."""
    args: tuple[list[Any], list[Any]]
    """(premises, hypotheses) or (texts, one label list per text)."""
    weights: list[int]
    """Estimated pairs of each unit (windows x labels): what ``max_batch_pairs`` bounds."""
    sizes: list[int]
    """Pairs of each unit (1, or the number of labels): what the batch metrics count."""
    deadline: float | None
    splittable: bool = True
    """False when the units must be scored in one call (few-shot examples bound to the whole call)."""
    cursor: int = 0
    """Units handed to sub-calls so far."""
    parts: list[Any] = field(default_factory=list)
    future: Future[Any] = field(default_factory=Future)

    @property
    def units(self) -> int:
        return len(self.weights)

    def fail(self, exc: BaseException) -> bool:
        """Finish the job with ``exc`` unless it already has a result; True when this call finished it.

        Args:
            exc: What the job's future raises (RequestTimeout, RequestCancelled, BatcherClosed, a model error).
        """
        try:
            self.future.set_exception(exc)
        except InvalidStateError:
            return False
        return True

    def succeed(self, result: Any) -> None:
        """Finish the job with ``result`` unless it was already failed (timed out, cancelled).

        Args:
            result: The scores of all the job's units, in order.
        """
        with suppress(InvalidStateError):
            self.future.set_result(result)

    def remaining_pairs(self) -> int:
        return sum(self.sizes[self.cursor :])


class CancelToken:
    """Cancels one request's jobs at once: queued work is dropped before its next sub-call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: set[Job] = set()
        self.reason: str | None = None

    @property
    def cancelled(self) -> bool:
        return self.reason is not None

    def cancel(self, reason: str) -> None:
        """Fail every job of the request with RequestCancelled(reason); later submits fail at once.

        Only the first call counts: a token cancelled already keeps its first reason.

        Args:
            reason: Why (e.g. the client disconnected), the message of the RequestCancelled.
        """
        with self._lock:
            if self.reason is not None:
                return
            self.reason = reason
            jobs = list(self._jobs)
        for job in jobs:
            job.fail(RequestCancelled(reason))

    def attach(self, job: Job) -> bool:
        """Track ``job``; False when the request is already cancelled.

        Args:
            job: A job of this token's request, failed by a later :meth:`cancel`.
        """
        with self._lock:
            if self.reason is not None:
                return False
            self._jobs.add(job)
            return True

    def detach(self, job: Job) -> None:
        """Stop tracking ``job`` (it finished); a job not tracked is ignored.

        Args:
            job: The job given to :meth:`attach`.
        """
        with self._lock:
            self._jobs.discard(job)


_local = threading.local()


@contextmanager
def request_context(seconds: float | None, token: CancelToken | None = None) -> Iterator[None]:
    """Give the scorer calls made by this thread (one request) a deadline ``seconds`` from now and a token.

    The previous deadline and token of the thread come back when the block ends.

    Args:
        seconds: Seconds from now until the request's jobs time out; None: no deadline.
        token: The request's cancel token; None: its jobs cannot be cancelled.
    """
    previous = getattr(_local, "deadline", None), getattr(_local, "token", None)
    _local.deadline = None if seconds is None else time.monotonic() + seconds
    _local.token = token
    try:
        yield
    finally:
        _local.deadline, _local.token = previous


request_deadline = request_context
"""The same context manager, by its first name (a deadline only)."""


def current_request() -> tuple[float | None, CancelToken | None]:
    """The deadline and cancel token of the request this thread works for (None, None outside one)."""
    return getattr(_local, "deadline", None), getattr(_local, "token", None)


def check_alive(deadline: float | None, token: CancelToken | None) -> None:
    """Raise before queuing work for a request that already timed out or was cancelled.

    Args:
        deadline: The request's deadline (``time.monotonic()`` seconds), or None.
        token: The request's cancel token, or None.

    Raises:
        RequestCancelled: The token was cancelled (its reason is the message).
        RequestTimeout: The deadline has passed.
    """
    if token is not None and token.reason is not None:
        raise RequestCancelled(token.reason)
    if deadline is not None and time.monotonic() >= deadline:
        raise RequestTimeout("the request timed out before this scorer call.")
