"""Rate-limited warnings and errors for the server, so a flood of failures cannot flood the log.

A refused connection, a failing accept or a broken client can repeat thousands of times a second; each
would log a line. :class:`RateLimitFilter` lets one WARNING-or-worse record of a kind (logger, level,
first line of the message template) through per interval and counts the others; the next line of that
kind that gets through says how many were suppressed. INFO and DEBUG records are never held back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

__all__ = ["MAX_KINDS", "RateLimitFilter", "install_rate_limit", "server_loggers"]

logger = logging.getLogger(__name__)

MAX_KINDS = 1000
"""Kinds remembered at once; the oldest are forgotten beyond this."""


class RateLimitFilter(logging.Filter):
    """At most one WARNING+ record per kind per ``interval_s`` seconds; the next one counts the rest."""

    def __init__(self, interval_s: float) -> None:
        """A filter that remembers nothing yet.

        Args:
            interval_s: Seconds between two records of one kind that get through; 0 or less: all get through.
        """
        super().__init__()
        self.interval_s = float(interval_s)
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether ``record`` is logged; one that is gets the count of its kind suppressed since the last.

        Args:
            record: The record; INFO and DEBUG ones always pass.
        """
        if record.levelno < logging.WARNING or self.interval_s <= 0:
            return True
        key = (record.name, record.levelno, str(record.msg).split("\n", 1)[0][:200])
        now = time.monotonic()
        with self._lock:
            last, suppressed = self._seen.get(key, (None, 0))
            if last is not None and now - last < self.interval_s:
                self._seen[key] = (last, suppressed + 1)
                return False
            if len(self._seen) >= MAX_KINDS:
                self._seen.pop(next(iter(self._seen)))
            self._seen[key] = (now, 0)
        if suppressed:
            record.msg = (
                f"{record.msg} [{suppressed} more like this in the last {now - (last or now):.0f} s suppressed]"
            )
        return True

    def suppressed(self) -> int:
        """Records held back and not yet reported."""
        with self._lock:
            return sum(count for _, count in self._seen.values())

    def report(self) -> None:
        """Log one line per kind whose held-back records were never reported (at shutdown)."""
        with self._lock:
            pending = [(key, count) for key, (_, count) in self._seen.items() if count]
            self._seen.clear()
        for (name, _, message), count in pending:
            logger.warning("%d more %r lines from %s were suppressed", count, message, name)


def server_loggers() -> list[str]:
    """The loggers a server writes to: asyncio's, uvicorn's and every entailkit logger created so far."""
    names = ["asyncio", "uvicorn", "uvicorn.error", "uvicorn.access"]
    names += sorted(name for name in logging.Logger.manager.loggerDict if name.split(".")[0] == "entailkit")
    return names


def install_rate_limit(interval_s: float, names: Iterable[str] | None = None) -> Callable[[], None]:
    """Attach one RateLimitFilter to the server's loggers; returns the function that removes it.

    Args:
        interval_s: Seconds between two records of one kind that get through (see RateLimitFilter).
        names: The loggers to filter; None: :func:`server_loggers`.

    Returns:
        A function that removes the filter and logs what it held back and never reported.
    """
    limiter = RateLimitFilter(interval_s)
    loggers = [logging.getLogger(name) for name in (server_loggers() if names is None else names)]
    for one in loggers:
        one.addFilter(limiter)

    def remove() -> None:
        for one in loggers:
            one.removeFilter(limiter)
        limiter.report()

    return remove
