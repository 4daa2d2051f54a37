"""Documents as callers give them: their text, and copies with new metadata (the caller's object is never changed).

One place for every surface: a document is a str, a mapping with a text key, or an object with a text
attribute (LangChain ``Document.page_content``, LlamaIndex nodes ``.text`` / ``get_content()``, dataclasses).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from entailkit.errors import InvalidInputError

__all__ = ["TEXT_FIELDS", "copy_with_metadata", "document_text", "find_text"]

TEXT_FIELDS = ("page_content", "text", "content")
"""The keys / attributes that hold a document's text, in the order they are looked for."""


def document_text(doc: Any, index: int = 0, text_key: str | None = None) -> tuple[str, Any]:
    """The text to score and the metadata of one document.

    Args:
        doc: A str, a mapping with one of ``TEXT_FIELDS`` (or ``text_key``), or an object with one of
            those attributes or a ``get_content()`` method.
        index: The document's position, for the error message.
        text_key: A key / attribute looked for before ``TEXT_FIELDS``.

    Raises:
        InvalidInputError: The document has no text, or its text is not a str.
    """
    if isinstance(doc, str):
        return doc, None
    keys = (text_key, *TEXT_FIELDS) if text_key else TEXT_FIELDS
    if isinstance(doc, Mapping):
        for key in keys:
            if key in doc:
                return _as_text(doc[key], index, f"[{key!r}]"), doc.get("metadata")
    else:
        for key in keys:
            value = getattr(doc, key, None)
            if value is not None:
                return _as_text(value, index, f".{key}"), getattr(doc, "metadata", None)
        get_content = getattr(doc, "get_content", None)
        if callable(get_content):
            return _as_text(get_content(), index, ".get_content()"), getattr(doc, "metadata", None)
    wanted = ", ".join(repr(k) for k in keys)
    raise InvalidInputError(
        f"documents[{index}] has no text: expected a str, a mapping with one of the keys {wanted}, or an "
        f"object with one of those attributes; got {type(doc).__name__}. Pass text_key= to name the field."
    )


def find_text(doc: Any) -> str | None:
    """The document's text as ``document_text`` finds it, or None (no text, or not a str): never raises."""
    try:
        return document_text(doc)[0]
    except InvalidInputError:
        return None


def copy_with_metadata(doc: Any, extra: Mapping[str, Any]) -> Any:
    """A copy of ``doc`` whose metadata is a new dict (the old keys plus ``extra``); ``doc`` is not changed.

    Pydantic models (LangChain documents, LlamaIndex nodes) are copied with ``model_copy``, dataclasses
    with ``dataclasses.replace``, mappings as a new dict.

    Raises:
        InvalidInputError: ``doc`` is none of those, or has no ``metadata`` mapping.
    """
    if isinstance(doc, Mapping):
        return {**doc, "metadata": {**(doc.get("metadata") or {}), **extra}}
    metadata = getattr(doc, "metadata", None)
    if metadata is not None and not isinstance(metadata, Mapping):
        raise InvalidInputError(f"{type(doc).__name__}.metadata must be a mapping, got {type(metadata).__name__}.")
    merged = {**(metadata or {}), **extra}
    if callable(getattr(doc, "model_copy", None)):
        return doc.model_copy(update={"metadata": merged})
    if dataclasses.is_dataclass(doc) and not isinstance(doc, type) and hasattr(doc, "metadata"):
        return dataclasses.replace(doc, metadata=merged)  # type: ignore[type-var]
    raise InvalidInputError(
        f"cannot copy a {type(doc).__name__} with new metadata: expected a mapping, a pydantic model or a "
        "dataclass with a metadata field."
    )


def _as_text(value: Any, index: int, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(f"documents[{index}]{where} must be a str, got {type(value).__name__}.")
    return value
