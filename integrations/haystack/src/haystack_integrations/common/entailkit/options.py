"""Checks of component options and run arguments, with typed errors that say what was expected."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from entailkit.errors import InvalidInputError

__all__ = ["check_choice", "check_flag", "check_probability", "check_str_list", "check_top_k"]


def check_top_k(value: Any, name: str = "top_k") -> int | None:
    """A positive int or None (keep everything)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidInputError(f"{name} must be a positive int or None (keep all), got {value!r}.")
    return int(value)


def check_probability(value: Any, name: str, *, allow_none: bool = True) -> float | None:
    """A number in [0, 1] (entailkit's score scale), or None when ``allow_none``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise InvalidInputError(f"{name} must be a number in [0, 1]{' or None' if allow_none else ''}, got {value!r}.")
    if not 0.0 <= float(value) <= 1.0:
        raise InvalidInputError(f"{name} must be in [0, 1] (entailkit scores are probabilities), got {value!r}.")
    return float(value)


def check_flag(value: Any, name: str) -> bool:
    """A bool (not a truthy stand-in such as 1 or "yes")."""
    if not isinstance(value, bool):
        raise InvalidInputError(f"{name} must be True or False, got {value!r}.")
    return value


def check_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    """One of ``choices``."""
    if value not in choices:
        raise InvalidInputError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}.")
    return str(value)


def check_str_list(value: Any, name: str, *, allow_none: bool = True) -> list[str] | None:
    """A list of str (a copy), or None when ``allow_none``; a single str is refused."""
    if value is None and allow_none:
        return None
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise InvalidInputError(f"{name} must be a list of str{' or None' if allow_none else ''}, got {value!r:.80}.")
    return list(value)
