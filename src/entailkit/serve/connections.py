"""Socket-level limits under uvicorn: a header timeout, a cap on open connections, the descriptor budget.

uvicorn closes idle keep-alive connections, but not a new connection that never completes its request
headers (slowloris), and it accepts connections until the process runs out of file descriptors, after
which every accept fails and is logged. :func:`limited_protocol` is uvicorn's h11 protocol with a
header deadline from the moment a connection is made, and a cap: a connection beyond ``max_open`` gets
a bare 503 and is closed at once. :func:`socket_budget` sizes that cap to fit ``RLIMIT_NOFILE`` with room
for one accept burst (up to ``backlog`` connections per event-loop turn, a few turns before the extra
ones are closed) and the process's own files.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from entailkit.serve.config import ServeConfig

__all__ = [
    "ACCEPT_TURNS",
    "FD_RESERVE",
    "MIN_HEADROOM",
    "OPEN_HEADROOM",
    "REFUSAL",
    "SocketBudget",
    "limited_protocol",
    "socket_budget",
]

logger = logging.getLogger(__name__)

FD_RESERVE = 64
"""Descriptors kept for the process itself: model files, pipes, the event loop, logging."""
OPEN_HEADROOM = 512
"""Open connections allowed beyond ``max_connections`` (descriptors permitting): idle keep-alive ones, /health,
/metrics, and the connections that the guard is about to answer with 503 (it needs their headers first)."""
MIN_HEADROOM = 32
"""Below ``max_connections`` + this many open connections, the descriptor limit is too tight: a warning."""
ACCEPT_TURNS = 2
"""Event-loop turns an accepted connection may live before the cap closes it."""
REFUSAL = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\nretry-after: 1\r\n\r\n"


@dataclass(frozen=True)
class SocketBudget:
    """How many connections the server keeps open, and the descriptor limit that leaves room for."""

    max_open: int
    nofile: int | None
    """The soft RLIMIT_NOFILE (None: unlimited or unknown)."""


def socket_budget(config: ServeConfig) -> SocketBudget:
    """The open-connection cap for ``config``; raises the soft RLIMIT_NOFILE toward the hard one if it is short.

    A limit still too tight for ``max_connections`` plus MIN_HEADROOM is logged as a warning, not refused.

    Args:
        config: The server's options (``max_connections`` and ``backlog`` size the cap).

    Returns:
        The cap (``max_connections`` + OPEN_HEADROOM, or less to fit the descriptor limit; at least 1)
            and the soft limit it was sized for.
    """
    wanted = config.max_connections + OPEN_HEADROOM
    burst = ACCEPT_TURNS * config.backlog
    try:
        import resource
    except ImportError:  # not a Unix: no descriptor limit to plan for
        return SocketBudget(wanted, None)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return SocketBudget(wanted, None)
    needed = wanted + burst + FD_RESERVE
    if soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        if target > soft:
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
                logger.info("raised the soft RLIMIT_NOFILE from %d to %d for the connection limits", soft, target)
                soft = target
            except (ValueError, OSError) as exc:
                logger.warning("could not raise RLIMIT_NOFILE from %d (%s)", soft, exc)
    max_open = min(wanted, soft - burst - FD_RESERVE)
    if max_open < config.max_connections + MIN_HEADROOM:
        logger.warning(
            "RLIMIT_NOFILE=%d leaves room for %d open connections, fewer than max_connections + %d = %d; "
            "raise the limit (ulimit -n) or lower --max-connections / --backlog",
            soft,
            max(1, max_open),
            MIN_HEADROOM,
            config.max_connections + MIN_HEADROOM,
        )
    return SocketBudget(max(1, max_open), int(soft))


def limited_protocol(max_open: int, header_timeout_s: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with a request-header deadline and a cap of ``max_open`` open connections.

    Args:
        max_open: The most open connections; one beyond gets a bare 503 and is closed at once.
        header_timeout_s: Seconds a connection has, from its start or the end of its last response, to send
            a complete request head; then it is closed.

    Returns:
        The protocol class, for uvicorn's ``http=`` option.
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class LimitedH11Protocol(H11Protocol):
        """Closes a connection beyond the cap at once (503), and one whose request headers do not come in time."""

        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_open:
                logger.warning("connection cap of %d open connections reached: new connections get 503", max_open)
                transport.write(REFUSAL)
                transport.close()
                return
            self._arm_header_timer()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm_header_timer()  # the next request's headers get the same deadline

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            super().connection_lost(exc)

        def _arm_header_timer(self) -> None:
            # uvicorn's keep-alive timer stops at the first byte received, so it does not bound a client that
            # sends its headers a byte at a time. This one stops only when a new request's headers are complete
            # (uvicorn then starts a new cycle).
            if self._header_timer is not None:
                self._header_timer.cancel()
            armed = self.cycle

            def expire() -> None:
                waiting = self.cycle is armed and (armed is None or armed.response_complete)
                if waiting and not self.transport.is_closing():
                    self.transport.close()

            self._header_timer = self.loop.call_later(header_timeout_s, expire)

    return LimitedH11Protocol
