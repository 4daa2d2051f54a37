"""Error bodies in each API's own shape, chosen by the request path.

Clients of each API parse its errors: Cohere's SDKs read ``{"message": ...}``, text-embeddings-inference
clients ``{"error": ..., "error_type": ...}``; entailkit's own endpoints answer ``{"error": {"type",
"message"}}``. Every error also carries entailkit's machine-readable kind in the ``x-entailkit-error-type``
header, whatever the shape, so one client can tell overload from bad input on any path.
"""

from __future__ import annotations

from typing import Any

__all__ = ["COHERE_PATHS", "ERROR_TYPE_HEADER", "TEI_PATHS", "error_body", "error_headers", "error_kind"]

ERROR_TYPE_HEADER = "x-entailkit-error-type"
"""The response header holding entailkit's error kind (``overloaded``, ``invalid_request``, ...)."""
COHERE_PATHS = frozenset({"/v1/rerank", "/v2/rerank"})
"""Cohere's (and Jina's) rerank paths: errors are ``{"message": ...}`` as Cohere's API sends them."""
TEI_PATHS = frozenset({"/rerank"})
"""text-embeddings-inference's rerank path: errors are ``{"error": ..., "error_type": ...}``."""

# TEI's ErrorType values (router/src/lib.rs): Unhealthy, Backend, Overloaded, Validation, Tokenizer, Empty.
_TEI_ERROR_TYPES = {
    "overloaded": "Overloaded",
    "timeout": "Overloaded",
    "internal_error": "Backend",
    "model_error": "Backend",
    "unhealthy": "Unhealthy",
}


def error_body(error_type: str, message: str, path: str = "") -> dict[str, Any]:
    """The JSON body of an error, in the shape the API of ``path`` uses.

    Args:
        error_type: entailkit's machine-readable kind (e.g. ``"overloaded"``, ``"invalid_request"``).
        message: The human-readable explanation.
        path: The request path; one outside the Cohere and TEI paths gets entailkit's own shape.

    Returns:
        ``{"message"}`` (Cohere), ``{"error", "error_type"}`` (TEI) or ``{"error": {"type", "message"}}``.
    """
    if path in COHERE_PATHS:
        return {"message": message}
    if path in TEI_PATHS:
        return {"error": message, "error_type": _TEI_ERROR_TYPES.get(error_type, "Validation")}
    return {"error": {"type": error_type, "message": message}}


def error_headers(error_type: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    """``headers`` plus the ``x-entailkit-error-type`` header naming ``error_type``."""
    return {**(headers or {}), ERROR_TYPE_HEADER: error_type}


def error_kind(body: Any, headers: Any) -> tuple[str, str]:
    """The (kind, message) of an error response in any of the three shapes (for clients).

    Args:
        body: The decoded JSON body (anything: a proxy may answer with another shape).
        headers: The response headers (a mapping with ``get``).

    Returns:
        entailkit's kind (from the header, else the body, else ``"error"``) and the message ("" if none).
    """
    kind = headers.get(ERROR_TYPE_HEADER)
    message: Any = ""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            kind, message = kind or error.get("type"), error.get("message", "")
        elif isinstance(error, str):
            kind, message = kind or body.get("error_type"), error
        else:
            message = body.get("message", "")
    return str(kind or "error"), str(message)
