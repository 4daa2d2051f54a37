"""Copies of LangChain documents and text out of messages: never touch the caller's objects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.documents import Document
from langchain_core.messages import BaseMessage

from entailkit._documents import copy_with_metadata
from entailkit.errors import InvalidInputError

__all__ = ["check_documents", "context_texts", "copy_with_metadata", "text_of"]


def check_documents(documents: Any) -> list[Document]:
    if isinstance(documents, (str, Document)) or not isinstance(documents, Sequence):
        raise InvalidInputError(f"documents must be a list of Document, got {type(documents).__name__}.")
    for i, doc in enumerate(documents):
        if not isinstance(doc, Document):
            raise InvalidInputError(f"documents[{i}] must be a langchain Document, got {type(doc).__name__}.")
    return list(documents)


def text_of(value: Any, name: str) -> str:
    """The text of a str or a chat message (AIMessage, ...)."""
    if isinstance(value, str):
        return value
    if isinstance(value, BaseMessage):
        return str(value.text)
    raise InvalidInputError(f"{name} must be a str or a chat message, got {type(value).__name__}.")


def context_texts(context: Any) -> list[str]:
    """Context passages from a str, a Document, or a list of Documents / str."""
    if isinstance(context, str):
        return [context]
    if isinstance(context, Document):
        return [context.page_content]
    if isinstance(context, Sequence):
        out: list[str] = []
        for i, item in enumerate(context):
            if isinstance(item, Document):
                out.append(item.page_content)
            elif isinstance(item, str):
                out.append(item)
            else:
                raise InvalidInputError(f"context[{i}] must be a Document or a str, got {type(item).__name__}.")
        return out
    raise InvalidInputError(f"context must be a str, a Document or a list of Documents, got {type(context).__name__}.")
