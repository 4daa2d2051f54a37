"""Input checks shared by the metrics: lengths, cut-offs, label arrays, finite numbers."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from entailkit.errors import InvalidInputError

__all__ = ["Sized", "check_cutoff", "check_grade", "check_same_length", "label_array", "real_array"]

Sized = Sequence[Any] | np.ndarray[Any, Any]


def check_cutoff(k: Any, name: str = "k") -> int:
    """``k`` as an int >= 1 (a rank cut-off or a bin count)."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or int(k) < 1:
        raise InvalidInputError(f"{name} must be an int >= 1, got {k!r}.")
    return int(k)


def check_same_length(first: Sized, second: Sized, names: tuple[str, str]) -> int:
    """The common length of two inputs, or a typed error naming both."""
    if len(first) != len(second):
        raise InvalidInputError(f"{names[0]} has {len(first)} items but {names[1]} has {len(second)}.")
    return len(first)


def check_grade(grade: Any, where: str) -> float:
    """A judgment grade as a finite float."""
    if isinstance(grade, bool) or not isinstance(grade, numbers.Real) or not math.isfinite(float(grade)):
        raise InvalidInputError(f"{where} must be a finite number, got {grade!r}.")
    return float(grade)


def label_array(values: Iterable[Any] | npt.ArrayLike, name: str) -> np.ndarray[Any, Any]:
    """Labels as a 1-D array (object dtype unless already a numeric array; the caller's data is never written)."""
    if isinstance(values, np.ndarray) and values.dtype != object:
        if values.ndim != 1:
            raise InvalidInputError(f"{name} must be one-dimensional, got shape {values.shape}.")
        return values
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidInputError(f"{name} must be a sequence of labels, got {type(values).__name__}.")
    items = list(values)
    return np.fromiter(items, dtype=object, count=len(items))


def real_array(values: Any, name: str, *, ndim: int | None = 1) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Finite numbers as a float64 array (a new array: the caller's is never written)."""
    try:
        out = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must hold numbers only: {exc}") from exc
    if ndim is not None and out.ndim != ndim and out.size:
        raise InvalidInputError(f"{name} must be {ndim}-dimensional, got shape {out.shape}.")
    if not np.all(np.isfinite(out)):
        raise InvalidInputError(f"{name} must hold finite numbers (no NaN or inf).")
    return out
