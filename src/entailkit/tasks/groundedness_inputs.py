"""The inputs of a groundedness check: an answer's sentences from any splitter, checked, and the
items of ``check_many``.

Why its own module: the checker (``tasks/groundedness.py``) keeps to scoring and verdicts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from entailkit._validation import check_text
from entailkit.errors import InvalidInputError
from entailkit.types import Span

__all__ = ["absolute_span", "answer_sentences", "unpack_item"]


def absolute_span(start: int, end: int, inner: Span | None) -> Span:
    """The span of the scored text in the context: the window, or the scorer's own sub-window of it."""
    if inner is None:
        return (start, end)
    return (start + inner[0], min(end, start + inner[1]))


def answer_sentences(splitter: Callable[[str], Any], answer: str, where: str) -> list[tuple[str, Span | None]]:
    """Run the splitter and check its output: a list of str items (located in the answer) or
    ``(text, (start, end))`` pairs with ``answer[start:end] == text``; blank items are dropped."""
    try:
        raw = splitter(answer)
    except Exception as exc:
        raise InvalidInputError(f"{where}the sentence splitter failed on the answer: {exc!r}") from exc
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
        raise InvalidInputError(
            f"{where}the sentence splitter must return a list of str or (str, (start, end)) items, got "
            f"{type(raw).__name__}; make it return a list (e.g. [] for an answer with no sentence)."
        )
    out: list[tuple[str, Span | None]] = []
    cursor = 0
    for i, item in enumerate(raw):
        if isinstance(item, str):
            text = item
            found = answer.find(text, cursor)
            span: Span | None = (found, found + len(text)) if found >= 0 else None
            if found >= 0:
                cursor = found + len(text)
        elif _is_span_item(item):
            text, (start, end) = item[0], item[1]
            if not 0 <= start <= end <= len(answer):
                raise InvalidInputError(
                    f"{where}splitter item {i} has span {(start, end)} outside the answer (length {len(answer)})."
                )
            if answer[start:end] != text:
                raise InvalidInputError(
                    f"{where}splitter item {i} has text {text!r:.60} but answer[{start}:{end}] is "
                    f"{answer[start:end]!r:.60}; a (text, (start, end)) item must satisfy answer[start:end] == text "
                    "(return a plain str for a rewritten claim)."
                )
            span = (start, end)
        else:
            raise InvalidInputError(f"{where}splitter item {i} must be a str or (str, (start, end)), got {item!r:.80}.")
        check_text(text, f"{where}splitter item {i}")
        if text.strip():
            out.append((text, span))
    return out


def _is_span_item(item: Any) -> bool:
    """Whether ``item`` has the shape ``(str, (int, int))`` (bools are not positions)."""
    return (
        isinstance(item, (tuple, list))
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], (tuple, list))
        and len(item[1]) == 2
        and all(isinstance(x, int) and not isinstance(x, bool) for x in item[1])
    )


def unpack_item(item: Any, index: int) -> tuple[Any, Any, Any]:
    if isinstance(item, Mapping):
        if "answer" not in item or "contexts" not in item:
            raise InvalidInputError(
                f"items[{index}] must have the keys 'answer' and 'contexts' (and optionally 'question'), "
                f"got {sorted(map(str, item))}."
            )
        return item["answer"], item["contexts"], item.get("question")
    if isinstance(item, (tuple, list)) and len(item) in (2, 3):
        return item[0], item[1], item[2] if len(item) == 3 else None
    raise InvalidInputError(
        f"items[{index}] must be a mapping with 'answer' and 'contexts' or a tuple "
        "(answer, contexts[, question]), "
        f"got {type(item).__name__}."
    )
