"""Labelled examples for few-shot classification and the hits of an example search."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from entailkit._validation import check_example
from entailkit.errors import InvalidInputError
from entailkit.types._base import _Frozen

__all__ = ["ExampleHit", "LabelledExample", "as_example"]


class LabelledExample(_Frozen):
    """A labelled example for few-shot / retrieval-augmented classification (GLiClass RAC format)."""

    text: str
    true_labels: tuple[str, ...]
    """The labels that apply to ``text``."""
    all_labels: tuple[str, ...] = ()
    """The candidate labels shown with it; those not in ``true_labels`` are its false labels."""


class ExampleHit(_Frozen):
    """A labelled example found by ``ExampleStore.search``, with its cosine similarity to the query."""

    example: LabelledExample
    similarity: float
    """Cosine similarity of the example's text to the query, in [-1, 1]."""


def as_example(value: Any, where: str) -> LabelledExample:
    """The one coercer of labelled examples, checked (text encodable, labels strings).

    Args:
        value: A LabelledExample, a search hit holding one (``.example``, e.g. an ExampleHit), or a
            mapping with ``text``, ``true_labels`` (or ``labels``) and optionally ``all_labels``.
        where: Its name in messages (``examples[3]``).

    Raises:
        InvalidInputError: Anything else, or a field of the wrong type.
    """
    if isinstance(value, LabelledExample):
        return check_example(value, where)
    inner = getattr(value, "example", None)
    if isinstance(inner, LabelledExample):
        return check_example(inner, where)
    if not isinstance(value, Mapping):
        raise InvalidInputError(
            f"{where} must be a LabelledExample or a mapping with 'text', 'true_labels' and optionally "
            f"'all_labels', got {type(value).__name__}."
        )
    text = value.get("text")
    if not isinstance(text, str):
        raise InvalidInputError(f"{where}['text'] must be a str, got {type(text).__name__}.")
    true = value.get("true_labels", value.get("labels"))
    if true is None:
        raise InvalidInputError(f"{where} has no 'true_labels'; give the labels that apply to its text.")
    example = LabelledExample(
        text=text,
        true_labels=_labels(true, f"{where}['true_labels']"),
        all_labels=_labels(value.get("all_labels", ()), f"{where}['all_labels']"),
    )
    return check_example(example, where)


def _labels(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidInputError(f"{where} must be a list of label strings, got {type(value).__name__}.")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise InvalidInputError(f"{where}[{i}] must be a str, got {type(item).__name__}.")
    return tuple(value)
