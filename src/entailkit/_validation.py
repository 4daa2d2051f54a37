"""Input checks shared by scorers and tasks: typed errors that say what was wrong and the fix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from entailkit.errors import InvalidInputError


def check_texts(texts: Any, name: str = "texts") -> list[str]:
    """Return ``texts`` as a new list of str, or raise InvalidInputError naming the bad item."""
    if isinstance(texts, str):
        raise InvalidInputError(
            f"{name} must be a list of strings, got a single str; wrap it in a list: [{texts[:30]!r}]."
        )
    if texts is None or not isinstance(texts, Sequence):
        raise InvalidInputError(f"{name} must be a list of strings, got {type(texts).__name__}.")
    out = list(texts)
    for i, item in enumerate(out):
        if not isinstance(item, str):
            raise InvalidInputError(
                f"{name}[{i}] must be a str, got {type(item).__name__} ({item!r:.60}); "
                "convert or drop it before scoring."
            )
    return out


def check_pairs(premises: Any, hypotheses: Any) -> tuple[list[str], list[str]]:
    """Validate two parallel lists of strings of equal length."""
    p = check_texts(premises, "premises")
    h = check_texts(hypotheses, "hypotheses")
    if len(p) != len(h):
        raise InvalidInputError(
            f"premises and hypotheses must have the same length, got {len(p)} and {len(h)}; "
            "pass one hypothesis per premise."
        )
    return p, h


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


def check_template(template: Any, name: str = "hypothesis_template") -> str:
    """A str with exactly one ``{}`` placeholder."""
    if not isinstance(template, str):
        raise InvalidInputError(f"{name} must be a str, got {type(template).__name__}.")
    if template.count("{}") != 1:
        raise InvalidInputError(
            f"{name} must contain exactly one '{{}}' where the label goes, got {template!r}; "
            "e.g. 'This example is {}.'"
        )
    return template


def check_probability(value: Any, name: str) -> float | None:
    """None, or a float in [0, 1]."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise InvalidInputError(f"{name} must be a number in [0, 1] or None, got {value!r}.")
    return float(value)


def check_positive_int(value: Any, name: str, *, allow_none: bool = True) -> int | None:
    """None (if allowed) or an int >= 1."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"{name} must be a positive int{' or None' if allow_none else ''}, got {value!r}.")
    return value
