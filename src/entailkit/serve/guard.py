"""ASGI middleware in front of every endpoint: request cap, API key, body size and time limits, JSON errors.

It runs before FastAPI parses anything, so a refused request (too many open, unauthenticated, oversized,
too slow) costs no parsing. It also gives each request a :class:`~entailkit.batching.jobs.CancelToken`
(read by the endpoints through :func:`current_cancel_token`) that is cancelled when the client
disconnects before its response, and it closes the connection after every 5xx, 408 and 413 so that a
keep-alive client never sends its next request into a connection the server is dropping.
"""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from entailkit.batching.jobs import CancelToken
from entailkit.serve.errors import error_body, error_headers
from entailkit.serve.metrics import ServerMetrics

__all__ = [
    "CLOSE_STATUSES",
    "DOCS_ASSETS",
    "OPEN_PATHS",
    "UNCAPPED_PATHS",
    "ASGIApp",
    "GuardMiddleware",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "current_cancel_token",
    "send_error",
    "send_json",
]

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = frozenset({"/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
"""Paths served without the API key: liveness checks and the API documentation."""
DOCS_ASSETS = "/docs/assets"
"""Where the documentation pages' scripts and styles are served (open, uncapped: files under this path)."""
UNCAPPED_PATHS = OPEN_PATHS | {"/metrics"}
"""Cheap paths that stay reachable when ``max_connections`` requests are open."""
CLOSE_STATUSES = frozenset({408, 413})
"""Statuses sent before the body was read to its end: the connection cannot be reused."""

_cancel_token: contextvars.ContextVar[CancelToken | None] = contextvars.ContextVar("entailkit_cancel", default=None)


def current_cancel_token() -> CancelToken | None:
    """The cancel token of the HTTP request being handled (None outside the guard)."""
    return _cancel_token.get()


async def send_json(send: Send, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    """Send a complete JSON response (ASCII-escaped, so any string the client sent can be echoed).

    Args:
        send: The ASGI send callable.
        status: The HTTP status code.
        body: The JSON-serialisable body (an error body: :func:`send_error`).
        headers: Extra response headers (names are lower-cased); None: only the content headers.
    """
    payload = json.dumps(body).encode("ascii")
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


async def send_error(
    send: Send, path: str, status: int, error_type: str, message: str, headers: dict[str, str] | None = None
) -> None:
    """Send an error response in the shape of the API of ``path`` (:func:`~entailkit.serve.errors.error_body`).

    Args:
        send: The ASGI send callable.
        path: The request path (chooses the Cohere, TEI or entailkit error shape).
        status: The HTTP status code.
        error_type: entailkit's machine-readable kind, also sent as the ``x-entailkit-error-type`` header.
        message: The human-readable explanation.
        headers: Extra response headers.
    """
    await send_json(send, status, error_body(error_type, message, path), error_headers(error_type, headers))


class _Abort(Exception):
    """Raised into the app when the guard takes over the response (body too large or too slow).

    Private control flow, not an error: it never leaves the guard, so it is no :class:`EntailkitError`
    (no ``except EntailkitError`` in the app may take it for a failure of its own).
    """


class _Exchange:
    """What the guard knows of one request/response exchange."""

    def __init__(self, path: str) -> None:
        self.path = path
        """The request path (chooses the error shape)."""
        self.status = 0
        self.done = False
        self.abort: tuple[int, str, str, str] | None = None
        """(status, error type, message, metric reason) of the response the guard sends instead of the app's."""
        self.replaced = False


class GuardMiddleware:
    """Caps open requests, checks ``Authorization: Bearer`` and the body (size, time); counts every request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        api_key: str | None,
        max_body_bytes: int,
        metrics: ServerMetrics,
        endpoints: frozenset[str],
        is_full: Callable[[], bool] | None = None,
        retry_after_s: int = 1,
        max_connections: int | None = None,
        body_timeout_s: float | None = None,
    ) -> None:
        """Wrap ``app``; every limit below is checked before the app sees the request.

        Args:
            app: The ASGI app behind the guard (the FastAPI app).
            api_key: The key required as ``Authorization: Bearer <key>`` outside OPEN_PATHS (401 otherwise);
                None or empty: no key.
            max_body_bytes: The largest request body (413, by Content-Length or as it streams in).
            metrics: Where requests, latency and refusals are counted.
            endpoints: The served paths; requests to any other path are counted as ``"other"``.
            is_full: Called for each POST; True refuses it with 503 before the body is read. None: never.
            retry_after_s: The ``Retry-After`` seconds of a 503.
            max_connections: The most requests open in the app at once outside UNCAPPED_PATHS (503 beyond);
                None: no cap.
            body_timeout_s: Seconds the whole body has to arrive in (408 after); None: no limit.
        """
        self.app = app
        self.api_key = api_key
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.endpoints = endpoints
        self.is_full = is_full
        self.retry_after_s = retry_after_s
        self.max_connections = max_connections
        self.body_timeout_s = body_timeout_s
        self.open_requests = 0
        """Requests inside the app now (outside UNCAPPED_PATHS); only touched on the event loop."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        endpoint = path if path in self.endpoints else "other"
        started = time.perf_counter()
        exchange = _Exchange(path)

        async def tracked_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = int(message["status"])
                if exchange.status >= 500 or exchange.status in CLOSE_STATUSES:
                    headers = list(message.get("headers", []))
                    if not any(bytes(k).lower() == b"connection" for k, _ in headers):
                        headers.append((b"connection", b"close"))
                    message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                exchange.done = True
            await send(message)

        capped = path not in UNCAPPED_PATHS and not _is_docs_asset(path)
        try:
            if capped and self.max_connections is not None and self.open_requests >= self.max_connections:
                self.metrics.reject("too_many_connections")
                message = (
                    f"the server already has {self.open_requests} requests open, its limit (--max-connections); "
                    "retry later."
                )
                await send_error(
                    tracked_send, path, 503, "overloaded", message, {"retry-after": str(self.retry_after_s)}
                )
                return
            self.open_requests += capped
            try:
                await self._guarded(scope, receive, tracked_send, path, exchange)
            except Exception:
                if exchange.status == 0:
                    logger.exception("unhandled error before any response")
                    await send_error(tracked_send, path, 500, "internal_error", "internal error; see the server log.")
                # else: answered already (the app's handler logged it); the 5xx carried Connection: close.
            except asyncio.CancelledError:
                # uvicorn cancels the requests still running when its graceful shutdown times out; the request's
                # work was cancelled with it (ServerState.run). Answer 503 instead of a traceback and a bare 500.
                if exchange.status == 0:
                    await send_error(
                        tracked_send,
                        path,
                        503,
                        "overloaded",
                        "the server shut down before this request finished; retry.",
                        {"retry-after": str(self.retry_after_s)},
                    )
                _uncancel()
            finally:
                self.open_requests -= capped
        finally:
            self.metrics.request(endpoint, exchange.status or 500, time.perf_counter() - started)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, path: str, exchange: _Exchange) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if (
            self.api_key
            and path not in OPEN_PATHS
            and not _is_docs_asset(path)
            and not self._authorised(headers.get("authorization", ""))
        ):
            self.metrics.reject("unauthorized")
            await send_error(
                send,
                path,
                401,
                "unauthorized",
                "missing or wrong API key: send 'Authorization: Bearer <key>'.",
                {"www-authenticate": "Bearer"},
            )
            return
        if self.is_full is not None and scope.get("method") == "POST" and self.is_full():
            # Refused before the body is read: overload costs no parsing and no memory.
            self.metrics.reject("overloaded")
            await send_error(
                send,
                path,
                503,
                "overloaded",
                "the server's request queue is full; retry later.",
                {"retry-after": str(self.retry_after_s)},
            )
            return
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            exchange.abort = self._too_large()
            await self._send_abort(send, exchange)
            return
        await self._run_app(scope, receive, send, exchange)

    async def _run_app(self, scope: Scope, receive: Receive, send: Send, exchange: _Exchange) -> None:
        """The app, with a body that must arrive in time and within size, and a disconnect watcher after it."""
        loop = asyncio.get_running_loop()
        deadline = None if self.body_timeout_s is None else loop.time() + self.body_timeout_s
        token = CancelToken()
        seen = 0
        body_done = False
        watcher: asyncio.Future[None] | None = None

        async def limited_receive() -> Message:
            nonlocal seen, body_done, watcher
            if body_done:
                return await receive()
            try:
                if deadline is None:
                    message = await receive()
                else:
                    message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except asyncio.TimeoutError:
                exchange.abort = (
                    408,
                    "request_timeout",
                    f"the request body did not arrive within {self.body_timeout_s:g} s (--body-timeout).",
                    "body_timeout",
                )
                raise _Abort from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    exchange.abort = self._too_large()
                    raise _Abort
                if not message.get("more_body", False):
                    body_done = True
                    watcher = asyncio.ensure_future(_watch_disconnect(receive, token, exchange))
            elif message["type"] == "http.disconnect":
                token.cancel("the client disconnected before sending its whole request.")
            return message

        async def replacing_send(message: Message) -> None:
            # Once the guard took over (body too large, too slow), whatever the app answers becomes its error.
            if exchange.abort is None:
                await send(message)
            elif not exchange.replaced:
                await self._send_abort(send, exchange)

        reset = _cancel_token.set(token)
        try:
            await self.app(scope, limited_receive, replacing_send)
        except Exception:
            if exchange.abort is None:
                raise
        finally:
            _cancel_token.reset(reset)
            if watcher is not None:
                watcher.cancel()
        if exchange.abort is not None and not exchange.replaced:
            await self._send_abort(send, exchange)

    def _authorised(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), str(self.api_key).encode())

    def _too_large(self) -> tuple[int, str, str, str]:
        return (
            413,
            "payload_too_large",
            f"request body is larger than the server's limit of {self.max_body_bytes} bytes (--max-body-bytes); "
            "send fewer or shorter documents per request.",
            "body_too_large",
        )

    async def _send_abort(self, send: Send, exchange: _Exchange) -> None:
        assert exchange.abort is not None
        status, error_type, message, reason = exchange.abort
        exchange.replaced = True
        self.metrics.reject(reason)
        await send_error(send, exchange.path, status, error_type, message)


def _is_docs_asset(path: str) -> bool:
    """Whether ``path`` is one of the documentation pages' static files."""
    return path.startswith(DOCS_ASSETS + "/")


def _uncancel() -> None:
    """Clear the current task's pending cancellation (Python 3.11+), once the guard has handled it."""
    task = asyncio.current_task()
    if task is not None and hasattr(task, "uncancel"):
        task.uncancel()


async def _watch_disconnect(receive: Receive, token: CancelToken, exchange: _Exchange) -> None:
    """After the body: wait for ``http.disconnect``; before the response is complete, cancel the request."""
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                if not exchange.done:
                    token.cancel("the client disconnected before its response.")
                return
    except Exception:  # the server is closing the connection; nothing to cancel
        return
