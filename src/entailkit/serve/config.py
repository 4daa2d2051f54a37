"""Server settings: where to bind, the API key, batching knobs and request limits, checked once."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, replace

from entailkit.errors import InvalidInputError

__all__ = ["API_KEY_ENV", "ServeConfig", "check_api_key", "is_loopback"]

API_KEY_ENV = "ENTAILKIT_API_KEY"


def check_api_key(key: str) -> None:
    """Refuse a key that no client can send back unchanged: empty, padded, or with non-printable characters.

    Args:
        key: The API key.

    Raises:
        InvalidInputError: The key is blank, has leading or trailing whitespace, or holds a character
            outside printable ASCII (spaces included).
    """
    if not key.strip():
        raise InvalidInputError("api_key is empty; pass a real key or none.")
    if key != key.strip():
        raise InvalidInputError(
            "api_key has leading or trailing whitespace, which HTTP strips from the Authorization header, so no "
            "client could ever authenticate; remove the spaces (check the shell quoting or the environment file)."
        )
    if any(not (0x21 <= ord(ch) <= 0x7E) for ch in key):
        raise InvalidInputError(
            "api_key must be printable ASCII without spaces (a bearer token); it contains a space, a control "
            "character or a non-ASCII character."
        )


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1); any other name or address is not.

    Args:
        host: A host name or an IP address (an IPv6 one may be in brackets).
    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServeConfig:
    """Everything ``entailkit serve`` can be told; the defaults suit one CPU host behind a proxy."""

    host: str = "127.0.0.1"
    port: int = 8080
    api_key: str | None = None
    """When set, every endpoint but /health and the docs needs ``Authorization: Bearer <key>``."""
    max_batch_wait_ms: float = 5.0
    """How long the worker waits for more requests to merge into a batch while others are in flight."""
    max_batch_pairs: int = 256
    """Estimated pairs in one model call (long texts count once per window); bigger jobs are cut into
    sub-calls of this size, and a cancelled request stops at the next one."""
    max_queue: int = 64
    """Requests admitted at once (queued or being scored); one more gets 503 with Retry-After."""
    request_timeout_s: float = 30.0
    """A request without its scores after this long gets 504; its remaining sub-calls are dropped."""
    max_body_bytes: int = 4 * 1024 * 1024
    max_documents: int = 1000
    """Documents per rerank request (also texts per classify / route request, contexts per check)."""
    max_document_chars: int = 50_000
    """Characters per document, text, context or answer."""
    max_labels: int = 100
    max_request_pairs: int = 8192
    """Estimated pairs per request (documents x windows, sentences x context windows, texts x labels); more
    get 413 before any model work."""
    max_query_chars: int = 2000
    """Characters of a rerank ``query`` and a check ``question``."""
    max_label_chars: int = 1000
    """Characters of each label name, label description and ``hypothesis_template``."""
    max_connections: int = 256
    """HTTP requests open at once (reading their body or waiting for scores); more get 503 with
    ``Connection: close`` before their body is read. /health, /metrics and the docs are exempt."""
    backlog: int = 128
    """Listen backlog; also the most connections accepted in one event-loop turn."""
    body_timeout_s: float = 10.0
    """Seconds a client has to send the whole body after its headers; then 408 and the socket is closed."""
    header_timeout_s: float = 10.0
    """Seconds a new connection has to send its request headers; then the socket is closed."""
    keep_alive_timeout_s: float = 5.0
    """Seconds an idle keep-alive connection stays open (uvicorn ``timeout_keep_alive``)."""
    log_interval_s: float = 10.0
    """At most one warning or error line per kind per this many seconds; the rest are counted."""
    retry_after_s: int = 1
    graceful_timeout_s: float = 10.0
    """At shutdown, seconds requests in flight get to finish; work left after that is dropped."""
    model_name: str | None = None
    """The name /health and rerank responses report (default: the model's name, never a local path)."""

    def __post_init__(self) -> None:
        positive = (
            "max_batch_pairs",
            "max_queue",
            "max_body_bytes",
            "max_documents",
            "max_labels",
            "max_request_pairs",
            "max_query_chars",
            "max_label_chars",
            "max_connections",
            "backlog",
            "retry_after_s",
        )
        for name in ("port", *positive):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "port" else 1):
                raise InvalidInputError(f"{name} must be a positive int, got {value!r}.")
        seconds = (
            "max_batch_wait_ms",
            "request_timeout_s",
            "graceful_timeout_s",
            "body_timeout_s",
            "header_timeout_s",
            "keep_alive_timeout_s",
            "log_interval_s",
        )
        for name in seconds:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise InvalidInputError(f"{name} must be a number >= 0, got {value!r}.")
        for name in ("body_timeout_s", "header_timeout_s", "keep_alive_timeout_s"):
            if getattr(self, name) <= 0:
                raise InvalidInputError(
                    f"{name} must be > 0 (a socket must not wait forever), got {getattr(self, name)!r}."
                )
        if self.api_key is not None:
            check_api_key(self.api_key)

    def with_env_key(self) -> ServeConfig:
        """This config with the key from ``$ENTAILKIT_API_KEY`` when none was given."""
        if self.api_key is None and os.environ.get(API_KEY_ENV):
            return replace(self, api_key=os.environ[API_KEY_ENV])
        return self

    def check_exposure(self) -> None:
        """Refuse to serve on a non-loopback address without an API key."""
        if not is_loopback(self.host) and not self.api_key:
            raise InvalidInputError(
                f"refusing to serve on {self.host!r} without an API key: anyone who can reach it could use "
                f"the model. Pass --api-key (or set {API_KEY_ENV}), or bind to 127.0.0.1."
            )
