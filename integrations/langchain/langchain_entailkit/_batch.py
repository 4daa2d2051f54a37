"""Per-item results for batched calls: a bad input gets its own error, the others one batched call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from entailkit.errors import InvalidInputError

__all__ = ["aper_item", "per_item", "split_errors"]

T = TypeVar("T")
R = TypeVar("R")


def split_errors(inputs: Sequence[Any], parse: Callable[[Any], T]) -> list[T | InvalidInputError]:
    """``parse(input)`` for each input, or the InvalidInputError it raised, in the input's place."""
    out: list[T | InvalidInputError] = []
    for item in inputs:
        try:
            out.append(parse(item))
        except InvalidInputError as exc:
            out.append(exc)
    return out


def _positions(parsed: Sequence[Any]) -> list[int]:
    return [i for i, p in enumerate(parsed) if not isinstance(p, Exception)]


def per_item(parsed: Sequence[Any], call: Callable[[list[Any]], Sequence[R]]) -> list[R | Exception]:
    """``call`` on the parsed inputs that are not errors, in one batched call; errors stay in place.

    Should the task itself refuse one of them (an InvalidInputError, raised before any scoring), the good
    inputs are split in halves and retried, so each refused input gets its own error and the others are
    still scored in batches. Any other error fails the whole call (as a model failure does).
    """
    out: list[Any] = list(parsed)
    good = _positions(parsed)
    for index, result in zip(good, _bisect([parsed[i] for i in good], call), strict=True):
        out[index] = result
    return out


def _bisect(items: list[Any], call: Callable[[list[Any]], Sequence[R]]) -> list[R | Exception]:
    if not items:
        return []
    try:
        return list(call(items))
    except InvalidInputError as exc:
        if len(items) == 1:
            return [exc]
        mid = len(items) // 2
        return _bisect(items[:mid], call) + _bisect(items[mid:], call)


async def aper_item(parsed: Sequence[Any], call: Callable[[list[Any]], Awaitable[Sequence[R]]]) -> list[R | Exception]:
    """``per_item`` with an async ``call``."""
    out: list[Any] = list(parsed)
    good = _positions(parsed)
    for index, result in zip(good, await _abisect([parsed[i] for i in good], call), strict=True):
        out[index] = result
    return out


async def _abisect(items: list[Any], call: Callable[[list[Any]], Awaitable[Sequence[R]]]) -> list[R | Exception]:
    if not items:
        return []
    try:
        return list(await call(items))
    except InvalidInputError as exc:
        if len(items) == 1:
            return [exc]
        mid = len(items) // 2
        return await _abisect(items[:mid], call) + await _abisect(items[mid:], call)
