"""Row schemas of the batch jobs: read fields from a batch, check their types, isolate failing rows.

Pure Python (no Ray, no torch) so the checks are unit-testable. A bad row never raises: it becomes an
error message for the ``error`` column, and the rows around it are still scored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from entailkit.errors import FieldError

__all__ = [
    "ERROR_COLUMN",
    "ISOLATED_ERRORS",
    "RowError",
    "column_values",
    "document_list_field",
    "number_list_field",
    "parse_rows",
    "score_isolating",
    "score_rows",
    "text_field",
    "text_list_field",
]

T = TypeVar("T")
R = TypeVar("R")

ERROR_COLUMN = "error"
"""Null for rows that were scored; the reason otherwise (and every score column of the row is null)."""

ISOLATED_ERRORS: tuple[type[BaseException], ...] = (ValueError, TypeError)
"""Errors that belong to the input (entailkit's InvalidInputError is a ValueError): they are pinned to
the rows that cause them. Anything else (RuntimeError, OSError, MemoryError, ...) fails the batch, and
Ray retries it."""


@dataclass(frozen=True)
class RowError:
    """Why one row could not be scored."""

    message: str


def column_values(columns: Mapping[str, Sequence[Any]], name: str, n_rows: int) -> list[Any]:
    """The values of column ``name`` as Python objects, or a marker per row when the column is absent.

    Args:
        columns: The batch's columns by name (the actors pass Arrow columns as Python lists).
        name: The column.
        n_rows: The batch's rows: how many markers an absent column gives (the field parsers then
            report it missing, or None for an optional field).
    """
    if name not in columns:
        return [_MISSING] * n_rows
    return list(columns[name])


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} ({text[:40]}{'...' if len(text) > 40 else ''})"


def text_field(value: Any, name: str, *, optional: bool = False) -> str | None:
    """A str field; None allowed only when ``optional``. Raises FieldError with the reason.

    Args:
        value: The row's value (from :func:`column_values`).
        name: The field's name, for the message.
        optional: A missing column, None or NaN gives None instead of an error.

    Raises:
        FieldError: The value is missing or null (and not ``optional``), or not a str.
    """
    if value is _MISSING:
        if optional:
            return None
        raise FieldError(f"{name}: missing field (the input has no column {name!r})")
    if _is_null(value):
        if optional:
            return None
        raise FieldError(f"{name}: null, expected a str")
    if not isinstance(value, str):
        raise FieldError(f"{name}: expected a str, got {_describe(value)}")
    return value


def _list_field(value: Any, name: str, expected: str) -> list[Any]:
    """A list field (a Python list/tuple or an array from Arrow/NumPy) as a new list; ``expected`` names it."""
    if value is _MISSING:
        raise FieldError(f"{name}: missing field (the input has no column {name!r})")
    if _is_null(value):
        raise FieldError(f"{name}: null, expected {expected}")
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__") or isinstance(value, Mapping):
        raise FieldError(f"{name}: expected {expected}, got {_describe(value)}")
    return list(value)


def text_list_field(value: Any, name: str) -> list[str]:
    """A list-of-str field; returns a new list.

    Args:
        value: The row's value: a list, tuple or array (from Arrow / NumPy).
        name: The field's name, for the message (``name[i]`` for a bad item).

    Raises:
        FieldError: The value is missing, null, not a list, or holds an item that is not a str.
    """
    items = _list_field(value, name, "a list of str")
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise FieldError(f"{name}[{i}]: expected a str, got {_describe(item)}")
    return items


def number_list_field(value: Any, name: str, *, single: bool = False) -> list[float]:
    """A list of finite numbers (``single``: one number, returned as a one-item list).

    Args:
        value: The row's value: a list, tuple or array, or with ``single`` one number.
        name: The field's name, for the message.
        single: The field holds one number, not a list.

    Returns:
        The numbers as floats.

    Raises:
        FieldError: The value is missing, null, not a list, or holds a bool, a non-number, NaN or infinity.
    """
    if not single:
        items = _list_field(value, name, "a list of numbers")
    elif value is _MISSING:
        raise FieldError(f"{name}: missing field (the input has no column {name!r})")
    elif _is_null(value):
        raise FieldError(f"{name}: null, expected a number")
    else:
        items = [value]
    for i, item in enumerate(items):
        where = name if single else f"{name}[{i}]"
        if isinstance(item, bool) or not isinstance(item, (int, float)) or not math.isfinite(item):
            raise FieldError(f"{where}: expected a finite number, got {_describe(item)}")
    return [float(item) for item in items]


def document_list_field(value: Any, name: str) -> list[Any]:
    """A list of documents (str, or mappings with a text field: Arrow structs arrive as dicts).

    Only the list is checked here; the documents themselves are checked when they are scored.

    Args:
        value: The row's value: a list, tuple or array.
        name: The field's name, for the message.

    Raises:
        FieldError: The value is missing, null or not a list.
    """
    return _list_field(value, name, "a list of documents")


def parse_rows(n_rows: int, parse: Callable[[int], T]) -> list[T | RowError]:
    """``parse(i)`` for every row; a FieldError becomes that row's RowError.

    Args:
        n_rows: The rows of the batch.
        parse: Reads row ``i`` (raising FieldError for a bad field); other errors propagate.
    """
    out: list[T | RowError] = []
    for i in range(n_rows):
        try:
            out.append(parse(i))
        except FieldError as exc:
            out.append(RowError(str(exc)))
    return out


def score_isolating(score: Callable[[list[T]], Sequence[R]], items: list[T]) -> list[R | RowError]:
    """``score(items)`` in one call; if the input is rejected, bisect to pin the error on the bad rows.

    Good rows are still scored together (in halves, quarters, ... around a bad row), so one malformed
    row costs about log2(batch) extra scorer calls, not one call per row.

    Args:
        score: Scores a list of items, one result per item, in order.
        items: The items.

    Returns:
        One result per item; a RowError (``"<ErrorType>: <message>"``) for an item rejected on its own.

    Raises:
        RuntimeError: ``score`` returned a different number of results than items.
    """
    if not items:
        return []
    try:
        results: list[R | RowError] = list(score(items))
    except ISOLATED_ERRORS as exc:
        if len(items) == 1:
            return [RowError(f"{type(exc).__name__}: {exc}")]
        middle = len(items) // 2
        return score_isolating(score, items[:middle]) + score_isolating(score, items[middle:])
    if len(results) != len(items):  # a broken scorer, not a bad row: let Ray retry / fail loudly
        raise RuntimeError(f"scored {len(items)} rows but got {len(results)} results")
    return results


def score_rows(parsed: list[T | RowError], score: Callable[[list[T]], Sequence[R]]) -> list[R | RowError]:
    """Score the parsed rows (errors skipped) and put results back in row order.

    Args:
        parsed: The rows from :func:`parse_rows`: parsed items or RowErrors.
        score: Scores a list of parsed items (see :func:`score_isolating`).

    Returns:
        One entry per row: its result, or its RowError (from parsing or from scoring).
    """
    good = [i for i, row in enumerate(parsed) if not isinstance(row, RowError)]
    rows: list[T] = [row for row in parsed if not isinstance(row, RowError)]
    scored = score_isolating(score, rows)
    out: list[R | RowError] = [row if isinstance(row, RowError) else RowError("not scored") for row in parsed]
    for i, result in zip(good, scored, strict=True):
        out[i] = result
    return out
