"""ASGI middleware in front of every endpoint: API key, body size limit, request metrics, JSON errors.

It runs before FastAPI parses anything, so an unauthenticated or oversized request costs no parsing.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from entailkit.serve.metrics import ServerMetrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = frozenset({"/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
"""Paths served without the API key: liveness checks and the API documentation."""


def error_body(error_type: str, message: str) -> dict[str, Any]:
    """The one error shape of the API: ``{"error": {"type": ..., "message": ...}}``."""
    return {"error": {"type": error_type, "message": message}}


async def send_json(send: Send, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    payload = json.dumps(body).encode("utf-8")
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


class _BodyTooLarge(Exception):
    pass


class GuardMiddleware:
    """Checks ``Authorization: Bearer`` (when a key is set) and the body size; counts every request."""

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
    ) -> None:
        self.app = app
        self.api_key = api_key
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.endpoints = endpoints
        self.is_full = is_full
        self.retry_after_s = retry_after_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        endpoint = path if path in self.endpoints else "other"
        started = time.perf_counter()
        status = {"code": 500}

        async def tracked_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            await self._guarded(scope, receive, tracked_send, path)
        finally:
            self.metrics.requests.inc(endpoint, str(status["code"]))
            self.metrics.latency.observe(time.perf_counter() - started, endpoint)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.api_key and path not in OPEN_PATHS and not self._authorised(headers.get("authorization", "")):
            self.metrics.rejected.inc("unauthorized")
            await send_json(
                send,
                401,
                error_body("unauthorized", "missing or wrong API key: send 'Authorization: Bearer <key>'."),
                {"www-authenticate": "Bearer"},
            )
            return
        if self.is_full is not None and scope.get("method") == "POST" and self.is_full():
            # Refused before the body is read: overload costs no parsing and no memory.
            self.metrics.rejected.inc("overloaded")
            await send_json(
                send,
                503,
                error_body("overloaded", "the server's request queue is full; retry later."),
                {"retry-after": str(self.retry_after_s)},
            )
            return
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(send)
            return
        seen = 0
        state = {"too_large": False, "replaced": False}

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    state["too_large"] = True
                    raise _BodyTooLarge
            return message

        async def replacing_send(message: Message) -> None:
            # Once the body went over the limit, whatever the app answers becomes the 413.
            if not state["too_large"]:
                await send(message)
            elif not state["replaced"]:
                state["replaced"] = True
                await self._too_large(send)

        try:
            await self.app(scope, limited_receive, replacing_send)
        except Exception:
            if not state["too_large"]:
                raise
        if state["too_large"] and not state["replaced"]:
            await self._too_large(send)

    def _authorised(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), str(self.api_key).encode())

    async def _too_large(self, send: Send) -> None:
        self.metrics.rejected.inc("body_too_large")
        await send_json(
            send,
            413,
            error_body(
                "payload_too_large",
                f"request body is larger than the server's limit of {self.max_body_bytes} bytes; "
                "send fewer or shorter documents per request.",
            ),
        )
