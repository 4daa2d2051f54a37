"""Text in and out of Haystack objects: Documents to scored texts, replies to answers and back."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from haystack import Document
from haystack.dataclasses import ChatMessage

from entailkit.errors import InvalidInputError

__all__ = ["check_documents", "document_texts", "reply_text", "with_reply_text"]


def check_documents(documents: Any, name: str = "documents") -> list[Document]:
    """``documents`` as a list of Haystack Documents (a new list; the Documents are not copied)."""
    if isinstance(documents, (str, Document)) or not isinstance(documents, Sequence):
        raise InvalidInputError(
            f"{name} must be a list of haystack.Document, got {type(documents).__name__}"
            + ("; wrap a single Document in a list." if isinstance(documents, Document) else ".")
        )
    for i, doc in enumerate(documents):
        if not isinstance(doc, Document):
            raise InvalidInputError(
                f"{name}[{i}] must be a haystack.Document, got {type(doc).__name__} ({doc!r:.60}); "
                "wrap texts as Document(content=text)."
            )
    return list(documents)


def document_texts(
    documents: Sequence[Document],
    meta_fields: Sequence[str] = (),
    separator: str = "\n",
    name: str = "documents",
) -> list[str]:
    """The text scored for each Document: its ``meta_fields`` values that are set, then its content.

    Raises:
        InvalidInputError: A Document has no text content (``content`` is None, e.g. an image blob).
    """
    texts: list[str] = []
    for i, doc in enumerate(documents):
        if doc.content is None:
            raise InvalidInputError(
                f"{name}[{i}] (id {doc.id!r:.40}) has no text content; route non-text Documents elsewhere "
                "(e.g. with DocumentTypeRouter) or give them content."
            )
        parts = [str(doc.meta[key]) for key in meta_fields if doc.meta.get(key) is not None]
        texts.append(separator.join([*parts, doc.content]))
    return texts


def reply_text(reply: Any, name: str) -> str:
    """The text of a reply: a str itself, or a ChatMessage's text.

    Raises:
        InvalidInputError: Neither a str nor a ChatMessage with text.
    """
    if isinstance(reply, str):
        return reply
    if isinstance(reply, ChatMessage):
        if reply.text is None:
            raise InvalidInputError(f"{name} is a ChatMessage without text (e.g. only tool calls); nothing to check.")
        return reply.text
    raise InvalidInputError(f"{name} must be a str or a haystack ChatMessage, got {type(reply).__name__}.")


def with_reply_text(reply: Any, text: str, meta: Mapping[str, Any]) -> Any:
    """A copy of ``reply`` with ``text`` as its text (a ChatMessage also gets ``meta`` merged into its meta)."""
    if isinstance(reply, str):
        return text
    content, replaced = [], False
    for part in reply._content:  # the first text part is ChatMessage.text; tool calls etc. are kept
        if not replaced and type(part).__name__ == "TextContent":
            part, replaced = dataclasses.replace(part, text=text), True
        content.append(part)
    return dataclasses.replace(reply, _content=content, _meta={**reply.meta, **meta})
