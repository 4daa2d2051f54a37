"""Label sets checked once for every task and scorer: names, per-text lists, {name: description} mappings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from entailkit._validation import check_text, check_texts
from entailkit.errors import InvalidInputError

__all__ = ["check_described_labels", "check_label_list", "check_label_set", "check_labels_per_text"]


def check_label_list(labels: Any, name: str = "labels") -> list[str]:
    """A non-empty list of distinct non-empty strings."""
    out = check_texts(labels, name)
    if not out:
        raise InvalidInputError(f"{name} is empty; pass at least one candidate label.")
    seen: set[str] = set()
    for i, label in enumerate(out):
        if not label.strip():
            raise InvalidInputError(f"{name}[{i}] is an empty or blank label; every label needs text.")
        if label in seen:
            raise InvalidInputError(f"{name} has the duplicate label {label!r}; labels must be distinct.")
        seen.add(label)
    return out


def check_labels_per_text(labels: Any, n_texts: int) -> list[list[str]]:
    """One label list for all texts, or one per text -> one validated list per text."""
    if isinstance(labels, str):
        raise InvalidInputError(
            f"labels must be a list of strings (or one list per text), got a single str; use [{labels!r}] or split it."
        )
    if labels is None or not isinstance(labels, Sequence):
        raise InvalidInputError(f"labels must be a list of strings, got {type(labels).__name__}.")
    if len(labels) > 0 and all(isinstance(x, Sequence) and not isinstance(x, str) for x in labels):
        if len(labels) != n_texts:
            raise InvalidInputError(
                f"per-text labels must have one list per text: got {len(labels)} lists for {n_texts} texts."
            )
        return [check_label_list(x, f"labels[{i}]") for i, x in enumerate(labels)]
    shared = check_label_list(labels)
    return [shared for _ in range(n_texts)]


def check_described_labels(labels: Any, n_texts: int) -> list[dict[str, str]]:
    """The one label validator: one ``{name: text the model reads}`` dict per text.

    Args:
        labels: A list of distinct label names, a ``{name: description}`` mapping (distinct descriptions),
            or one of those per text.
        n_texts: How many texts the labels are for.

    Raises:
        InvalidInputError: A single str, an empty or duplicate label, a blank description, or per-text
            labels whose count is not ``n_texts``.
    """
    if isinstance(labels, (str, bytes)):
        raise InvalidInputError(
            f"labels must be a list of label names or a {{name: description}} mapping, got a single str; "
            f"use [{labels!r}]."
        )
    if isinstance(labels, Mapping):
        shared = check_label_set(labels, "labels")
        return [shared for _ in range(n_texts)]
    if not isinstance(labels, Sequence):
        raise InvalidInputError(f"labels must be a list or a mapping, got {type(labels).__name__}.")
    if len(labels) > 0 and all(isinstance(x, (Mapping, Sequence)) and not isinstance(x, str) for x in labels):
        if len(labels) != n_texts:
            raise InvalidInputError(
                f"per-text labels must have one list (or mapping) per text: got {len(labels)} for {n_texts} texts."
            )
        return [check_label_set(x, f"labels[{i}]") for i, x in enumerate(labels)]
    shared = check_label_set(labels, "labels")
    return [shared for _ in range(n_texts)]


def check_label_set(spec: Any, name: str = "labels") -> dict[str, str]:
    """One label set: ``{name: description}`` from a list of distinct names or a mapping of them."""
    if isinstance(spec, Mapping):
        names = check_label_list(list(spec.keys()), name)
        described: dict[str, str] = {}
        for label in names:
            description = spec[label]
            if not isinstance(description, str) or not description.strip():
                raise InvalidInputError(f"{name}[{label!r}] must be a non-empty description str, got {description!r}.")
            check_text(description, f"{name}[{label!r}]")
            described[label] = description
        seen: dict[str, str] = {}
        for label, description in described.items():
            if description in seen:
                raise InvalidInputError(
                    f"{name}: labels {seen[description]!r} and {label!r} have the same "
                    f"description {description!r}; "
                    "descriptions must be distinct."
                )
            seen[description] = label
        return described
    return {label: label for label in check_label_list(spec, name)}
