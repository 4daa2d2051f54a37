"""Labelled examples for few-shot classification and the hits of an example search."""

from __future__ import annotations

from entailkit.types._base import _Frozen


class LabelledExample(_Frozen):
    """A labelled example for few-shot / retrieval-augmented classification (GLiClass RAC format)."""

    text: str
    true_labels: tuple[str, ...]
    all_labels: tuple[str, ...] = ()


class ExampleHit(_Frozen):
    """A labelled example found by ``ExampleStore.search``, with its cosine similarity to the query."""

    example: LabelledExample
    similarity: float
