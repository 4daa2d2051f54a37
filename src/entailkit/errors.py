"""Typed errors: every failure a caller can provoke is one of these, with a message that says the fix.

Every class derives from :class:`EntailkitError`. The module imports nothing heavy (no FastAPI, no torch):
the server's errors live here too, so that the client, the batcher and the HTTP layer share them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from entailkit.types import GroundednessReport, SentenceCheck

__all__ = [
    "ApiError",
    "BatcherClosed",
    "EntailkitError",
    "FieldError",
    "InvalidInputError",
    "MissingDependencyError",
    "ModelLoadError",
    "Overloaded",
    "RequestCancelled",
    "RequestTimeout",
    "ServerError",
    "UngroundedAnswerError",
]


class EntailkitError(Exception):
    """Base class of every error entailkit raises on purpose."""


class InvalidInputError(EntailkitError, ValueError):
    """The caller passed something entailkit cannot score (wrong type, length, template, ...)."""


class ModelLoadError(EntailkitError):
    """A model could not be found, downloaded, recognised or placed on the requested device."""


class MissingDependencyError(EntailkitError, ImportError):
    """An optional dependency is needed for this feature; the message names the pip command."""


class UngroundedAnswerError(EntailkitError):
    """An answer has unsupported or contradicted sentences (raised by guards such as LangChain's ``mode="raise"``)."""

    def __init__(self, report: GroundednessReport, failing: Sequence[SentenceCheck]) -> None:
        """Keep the report and the failing sentences (``.report``, ``.failing``), listed in the message.

        Args:
            report: The groundedness report of the answer.
            failing: Its unsupported or contradicted sentences.
        """
        self.report = report
        self.failing = tuple(failing)
        if report.no_sentences:
            super().__init__("the answer has no sentence to check: an empty answer is not grounded.")
            return
        listed = "; ".join(f"{s.verdict}: {s.text!r:.80}" for s in failing)
        super().__init__(f"{len(failing)} of {len(report.sentences)} answer sentence(s) failed: {listed}")


class FieldError(InvalidInputError):
    """A field of one batch-job row is missing, null or of the wrong type (caught per row by the Ray jobs)."""


# -- the HTTP server and its client ----------------------------------------------------------------


class ServerError(EntailkitError):
    """The server answered with an error: ``status``, ``error_type`` and, for 503, ``retry_after`` seconds."""

    def __init__(self, status: int, error_type: str, message: str, retry_after: float | None = None) -> None:
        """Keep the HTTP status, the API's error type, its message and the Retry-After seconds (or None).

        Args:
            status: The HTTP status code.
            error_type: The ``error_type`` of the JSON error body.
            message: The ``message`` of the JSON error body.
            retry_after: The Retry-After seconds of a 503 answer, else None.
        """
        super().__init__(f"HTTP {status} {error_type}: {message}")
        self.status, self.error_type, self.message, self.retry_after = status, error_type, message, retry_after


class ApiError(EntailkitError):
    """An error the server answers with ``status`` and the JSON error body (``error_type``, ``message``)."""

    def __init__(self, status: int, error_type: str, message: str, headers: dict[str, str] | None = None) -> None:
        """Keep the HTTP status, the API's error type, its message and extra response headers.

        Args:
            status: The HTTP status code to answer with.
            error_type: The ``error_type`` of the JSON error body.
            message: The ``message`` of the JSON error body (also the exception's message).
            headers: Extra response headers (e.g. ``Retry-After``); None: none.
        """
        super().__init__(message)
        self.status, self.error_type, self.message, self.headers = status, error_type, message, headers or {}


class Overloaded(EntailkitError):
    """The server already holds ``max_queue`` requests; the caller should retry later (HTTP 503)."""


class RequestTimeout(EntailkitError):
    """A request did not get its scores before its deadline (HTTP 504)."""


class RequestCancelled(EntailkitError):
    """The request was cancelled (its client disconnected); its remaining work was dropped."""


class BatcherClosed(EntailkitError):
    """The batcher is shutting down and takes no new work (HTTP 503)."""
