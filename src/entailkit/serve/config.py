"""Server settings: where to bind, the API key, batching knobs and request limits, checked once."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

from entailkit.errors import InvalidInputError

API_KEY_ENV = "ENTAILKIT_API_KEY"


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1); any other name or address is not."""
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
    """Upper bound of pairs in one merged model call (the scorer still cuts it into token-budget batches)."""
    max_queue: int = 64
    """Requests admitted at once (queued or being scored); one more gets 503 with Retry-After."""
    request_timeout_s: float = 30.0
    """A request without its scores after this long gets 504."""
    max_body_bytes: int = 4 * 1024 * 1024
    max_documents: int = 1000
    """Documents per rerank request (also texts per classify / route request, contexts per check)."""
    max_document_chars: int = 50_000
    """Characters per document, text, context or answer."""
    max_labels: int = 100
    retry_after_s: int = 1
    graceful_timeout_s: float = 30.0
    """Seconds uvicorn waits for requests in flight at shutdown."""
    model_name: str | None = None
    """The name /health and rerank responses report (default: the scorer's model)."""

    def __post_init__(self) -> None:
        for name in ("port", "max_batch_pairs", "max_queue", "max_body_bytes", "max_documents", "max_labels"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "port" else 1):
                raise InvalidInputError(f"{name} must be a positive int, got {value!r}.")
        for name in ("max_batch_wait_ms", "request_timeout_s", "graceful_timeout_s"):
            if getattr(self, name) < 0:
                raise InvalidInputError(f"{name} must be >= 0, got {getattr(self, name)!r}.")
        if self.api_key is not None and not self.api_key.strip():
            raise InvalidInputError("api_key is empty; pass a real key or none.")

    def with_env_key(self) -> ServeConfig:
        """This config with the key from ``$ENTAILKIT_API_KEY`` when none was given."""
        from dataclasses import replace

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
