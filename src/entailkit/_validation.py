"""Input checks shared by scorers and tasks: typed errors that say what was wrong and the fix.

Every text that reaches a tokenizer or a template goes through ``check_texts`` / ``check_text`` (type and
UTF-8 encodability), every template through ``check_template`` (``string.Formatter`` parse), every number
option through ``check_finite`` / ``check_probability`` and every flag through ``check_bool``. Options checked
by a pydantic model turn its ``ValidationError`` into an ``InvalidInputError`` with ``invalid_input``.
"""

from __future__ import annotations

import math
import numbers
import string
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar, overload

from entailkit.errors import InvalidInputError

if TYPE_CHECKING:
    from pydantic import ValidationError

_FORMATTER = string.Formatter()
_Example = TypeVar("_Example")
_TEMPLATE_EXAMPLE = "This example is {}."


def _unencodable(name: str, text: str, exc: UnicodeEncodeError) -> InvalidInputError:
    """The error for a text that UTF-8 cannot encode (a lone surrogate), with its position."""
    char = text[exc.start]
    return InvalidInputError(
        f"{name} has an unencodable character at offset {exc.start} (a lone surrogate {char!r}); "
        "text must be valid Unicode. Lone surrogates come from bytes decoded with errors='surrogateescape' "
        "or from JSON with an unpaired \\ud800-style escape: decode the source with errors='replace', or clean "
        "the text with text.encode('utf-8', 'replace').decode('utf-8')."
    )


def check_texts(texts: Any, name: str = "texts") -> list[str]:
    """Validate a list of texts: each a str that encodes to UTF-8.

    Cheap on the happy path: an ASCII str is known encodable (``str.isascii`` is O(1) in CPython); any
    other is encoded once, and only on failure is the position worked out.

    Args:
        texts: A sequence of str (a list, a tuple, ...); a single str is refused.
        name: The argument name used in error messages (``documents``, ``contexts``, ...).

    Returns:
        A new list holding the same str objects (the caller's sequence is never changed).

    Raises:
        InvalidInputError: ``texts`` is not a sequence, or an item is not a str, or an item holds a lone
            surrogate (the message names ``name[i]`` and the character offset).
    """
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
        if not item.isascii():
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise _unencodable(f"{name}[{i}]", item, exc) from None
    return out


def check_text(value: Any, name: str) -> str:
    """Validate one text: a str that encodes to UTF-8.

    Args:
        value: The text.
        name: The argument name used in error messages (``answer``, ``question``, ...).

    Returns:
        ``value`` itself.

    Raises:
        InvalidInputError: ``value`` is not a str, or holds a lone surrogate (the message gives its offset).
    """
    if not isinstance(value, str):
        raise InvalidInputError(f"{name} must be a str, got {type(value).__name__}.")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _unencodable(name, value, exc) from None
    return value


def check_query(value: Any, name: str = "query", *, purpose: str = "score the documents against") -> str:
    """Validate a query: the one rule Reranker and Router share (a str, encodable, not blank).

    Args:
        value: The query.
        name: Its name in messages (``query`` or ``queries[i]``).
        purpose: What the query is for, ending the message: "pass the text to <purpose>".

    Returns:
        ``value`` itself.

    Raises:
        InvalidInputError: ``value`` is not a str, holds a lone surrogate, or is empty / blank.
    """
    text = check_text(value, name)
    if not text.strip():
        raise InvalidInputError(f"{name} is empty (or blank); pass the text to {purpose}.")
    return text


def check_example(example: _Example, where: str) -> _Example:
    """Check the text and labels of a labelled example (``.text``, ``.true_labels``, ``.all_labels``).

    Args:
        example: A LabelledExample (or anything with those attributes).
        where: Its name in messages (``examples[3]``).

    Returns:
        ``example`` itself.

    Raises:
        InvalidInputError: naming ``where.text`` or ``where.true_labels[i]`` / ``where.all_labels[i]``.
    """
    item: Any = example
    check_text(item.text, f"{where}.text")
    check_texts(item.true_labels, f"{where}.true_labels")
    check_texts(item.all_labels, f"{where}.all_labels")
    return example


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


def check_template(template: Any, name: str = "hypothesis_template") -> str:
    """Validate a template: exactly one auto-numbered ``{}`` replacement field, and nothing that
    ``template.format(label)`` could fail on.

    Literal braces are written doubled (``"Braces {{}} then {}"``). Refused: no field or several
    (``"{} and {}"``, ``"It is {} {x}."``), a named or numbered field (``"{x}"``, ``"{0}"``: write
    ``"{}"``), a conversion or format spec (``"{!r}"``, ``"{:>10}"``, ``"{:{}}"``) and malformed braces
    (``"It is {}}"``, ``"{"``).

    Args:
        template: The template.
        name: Its argument name in messages (``hypothesis_template``, ``query_template``).

    Returns:
        ``template`` itself.

    Raises:
        InvalidInputError: as above, or ``template`` is not a str or holds a lone surrogate.
    """
    if not isinstance(template, str):
        raise InvalidInputError(f"{name} must be a str, got {type(template).__name__}.")
    check_text(template, name)
    expected = f"{name} must contain exactly one '{{}}' where the label goes (literal braces doubled: '{{{{', '}}}}')"
    try:
        fields = [(field, spec, conv) for _, field, spec, conv in _FORMATTER.parse(template) if field is not None]
    except ValueError as exc:
        raise InvalidInputError(
            f"{expected}; {template!r} is not a valid format string ({exc}). E.g. {_TEMPLATE_EXAMPLE!r}."
        ) from None
    if len(fields) != 1:
        raise InvalidInputError(
            f"{expected}; {template!r} has {len(fields)} replacement fields. E.g. {_TEMPLATE_EXAMPLE!r}."
        )
    field, spec, conv = fields[0]
    if field or spec or conv is not None:
        shown = "{" + (field or "") + (f"!{conv}" if conv is not None else "") + (f":{spec}" if spec else "") + "}"
        raise InvalidInputError(
            f"{expected}; {template!r} has the field {shown!r}: use a plain '{{}}' (no name, index, conversion "
            f"or format spec). E.g. {_TEMPLATE_EXAMPLE!r}."
        )
    return template


def check_choice(value: Any, name: str, choices: Sequence[Any]) -> Any:
    """Validate an option that must be one of ``choices`` (a policy, a normalization, a mode).

    Args:
        value: The option.
        name: Its argument name in messages.
        choices: The accepted values.

    Returns:
        ``value`` unchanged.

    Raises:
        InvalidInputError: ``value`` is not one of ``choices``.
    """
    if isinstance(value, bool) or value not in choices:
        raise InvalidInputError(f"{name} must be one of {tuple(choices)}, got {value!r:.60}.")
    return value


def check_bool(value: Any, name: str) -> bool:
    """Validate a flag: True or False, nothing merely truthy.

    Args:
        value: The flag.
        name: Its argument name in messages (``multi_label``, ``show_progress``, ...).

    Returns:
        ``value`` as a bool (a numpy bool is accepted and converted).

    Raises:
        InvalidInputError: ``value`` is not a bool (``5``, ``"no"``, ``None``, ...).
    """
    if not isinstance(value, bool):
        kind = type(value)
        if kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_"):  # numpy.bool_: a real flag
            return bool(value)
        raise InvalidInputError(
            f"{name} must be a bool, got {type(value).__name__} ({value!r:.40}); pass True or False (e.g. bool(x))."
        )
    return value


def _range_text(low: float | None, high: float | None, low_open: bool) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}]"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"<= {high:g}"
    return ""


@overload
def check_finite(
    value: Any,
    name: str,
    *,
    low: float | None = ...,
    high: float | None = ...,
    low_open: bool = ...,
    allow_none: Literal[False] = ...,
) -> float: ...


@overload
def check_finite(
    value: Any,
    name: str,
    *,
    low: float | None = ...,
    high: float | None = ...,
    low_open: bool = ...,
    allow_none: Literal[True],
) -> float | None: ...


def check_finite(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    allow_none: bool = False,
) -> float | None:
    """Validate a number option: a real number (not a bool), finite, within ``[low, high]``.

    Args:
        value: The number (int, float, or a numpy scalar).
        name: Its argument name in messages.
        low: The smallest value allowed (None: no lower bound).
        high: The largest value allowed (None: no upper bound).
        low_open: True to exclude ``low`` itself (e.g. a temperature must be > 0).
        allow_none: True to accept None (returned as None).

    Returns:
        ``value`` as a float (or None when allowed and given).

    Raises:
        InvalidInputError: not a number, nan or infinite, or out of range.
    """
    if value is None and allow_none:
        return None
    bounds = _range_text(low, high, low_open)
    wanted = f"{name} must be a finite number{' ' + bounds if bounds else ''}{' or None' if allow_none else ''}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidInputError(f"{wanted}, got {value!r} ({type(value).__name__}).")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInputError(f"{wanted}, got {value!r}; nan and infinities are not allowed.")
    if (low is not None and (number < low or (low_open and number == low))) or (high is not None and number > high):
        raise InvalidInputError(f"{wanted}, got {value!r}.")
    return number


def check_probability(value: Any, name: str) -> float | None:
    """None, or a finite number in [0, 1] (as a float)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= float(value) <= 1.0:
        raise InvalidInputError(f"{name} must be a number in [0, 1] or None, got {value!r}.")
    return float(value)


def check_positive_int(value: Any, name: str, *, allow_none: bool = True) -> int | None:
    """None (if allowed) or an int >= 1."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"{name} must be a positive int{' or None' if allow_none else ''}, got {value!r}.")
    return value


class FieldProblem(NamedTuple):
    """One refusal in a pydantic ``ValidationError``, in the terms an ``InvalidInputError`` message uses."""

    loc: tuple[str | int, ...]
    """Where in the input: field names and item indexes (``("routes", 0, "name")``); empty for the whole input."""
    field: str
    """``loc`` dotted (``routes.0.name``), or ``options`` for the whole input."""
    kind: str
    """pydantic's error type: ``extra_forbidden``, ``missing``, ``int_type``, ``greater_than``, ``value_error``..."""
    message: str
    """pydantic's message without its ``Value error, `` prefix and final period (``Input should be a valid integer``;
    for a validator's ``ValueError``, the validator's own text)."""
    value: Any
    """The refused input (the item at ``loc``)."""


def field_problems(exc: ValidationError) -> list[FieldProblem]:
    """Every refusal in a pydantic ``ValidationError``, in pydantic's order.

    Args:
        exc: What a pydantic model (or ``TypeAdapter``) raised.

    Returns:
        One ``FieldProblem`` per error.
    """
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ").rstrip(".")
        field = ".".join(str(part) for part in loc) or "options"
        problems.append(FieldProblem(loc, field, str(error["type"]), message, error.get("input")))
    return problems


def invalid_input(
    exc: ValidationError,
    describe: Callable[[FieldProblem], str],
    *,
    prefix: str = "",
    sep: str = "; ",
    end: str = ".",
) -> InvalidInputError:
    """The ``InvalidInputError`` of a pydantic ``ValidationError``: one clause per refused field, in one message.

    Every surface that checks options with a pydantic model (the server config, the routes file, the Ray batch
    options) raises through this, so a caller catches one error type whose message names each refused field,
    what is wrong and the value given, never pydantic's multi-line report. Raise it ``from None``: the
    ``ValidationError`` adds nothing the message does not say.

    Args:
        exc: What the model raised.
        describe: One problem's clause (e.g. ``"port: input should be less than or equal to 65535, got 70000"``);
            the same clause twice is said once.
        prefix: Put before the clauses (``"invalid server config: "``).
        sep: Between clauses.
        end: After the last clause (not doubled when it ends so already).

    Returns:
        The error, to raise.
    """
    clauses = list(dict.fromkeys(describe(problem) for problem in field_problems(exc)))
    text = prefix + sep.join(clauses)
    return InvalidInputError(text if text.endswith(end) else text + end)
