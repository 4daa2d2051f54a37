"""Typed errors: every failure a caller can provoke is one of these, with a message that says the fix."""

from __future__ import annotations


class EntailkitError(Exception):
    """Base class of every error entailkit raises on purpose."""


class InvalidInputError(EntailkitError, ValueError):
    """The caller passed something entailkit cannot score (wrong type, length, template, ...)."""


class ModelLoadError(EntailkitError):
    """A model could not be found, downloaded, recognised or placed on the requested device."""


class MissingDependencyError(EntailkitError, ImportError):
    """An optional dependency is needed for this feature; the message names the pip command."""
