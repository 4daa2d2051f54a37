"""Typed errors: every failure a caller can provoke is one of these, with a message that says the fix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from entailkit.types import GroundednessReport, SentenceCheck


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
        self.report = report
        self.failing = tuple(failing)
        listed = "; ".join(f"{s.verdict}: {s.text!r:.80}" for s in failing)
        super().__init__(f"{len(failing)} of {len(report.sentences)} answer sentence(s) failed: {listed}")
