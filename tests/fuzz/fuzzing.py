"""Shared pieces of the fuzz suite: hostile text and value strategies, and the one property every call keeps.

The property (issue 15): a call returns a result or raises a subclass of EntailkitError; never another
exception, never a hang, and never a change to what the caller passed. ``ENTAILKIT_FUZZ_EXAMPLES``
sets the examples per target (default 60, enough for CI; the closing note of a stop quotes larger runs).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from entailkit.errors import EntailkitError

EXAMPLES = int(os.environ.get("ENTAILKIT_FUZZ_EXAMPLES", "60"))
CALL_TIMEOUT_S = 120.0
"""A call still running after this long counts as a hang (the slowest legal call here takes < 1 s)."""

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run: CI is reproducible, and a failure shows its input
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    database=None,
)

CASES: Counter[str] = Counter()
"""Cases run per target in this process (printed at the end of the session by conftest.py)."""

SPECIAL = [
    "\ud800",  # lone high surrogate: not encodable as UTF-8
    "\udfff",
    "\x00",
    "\u200b",
    "\ufeff",
    "{",
    "}",
    "{}",
    "{0}",
    "{x}",
    "{:{}}",
    "😀",
    "我喜欢猫。",
    "。",
    "\n",
    "\r\n",
    "\t",
    ".",
    "...",
    " ",
    "A. ",
    "e.g. ",
    "- ",
    "1. ",
]
characters = st.one_of(st.characters(), st.sampled_from([c for c in SPECIAL if len(c) == 1]))
pieces = st.one_of(
    st.text(characters, max_size=8), st.sampled_from(SPECIAL), st.sampled_from(["The cat sat.", "Dr. Who"])
)
short_text = st.lists(pieces, max_size=6).map("".join)
text = st.one_of(
    short_text,
    st.lists(pieces, max_size=60).map("".join),
    st.builds(lambda piece, n: piece * n, st.lists(pieces, min_size=1, max_size=3).map("".join), st.integers(1, 120)),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    short_text,
)
anything = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(short_text, inner, max_size=4)),
    max_leaves=8,
)


def maybe(valid: st.SearchStrategy[Any], weight_valid: int = 3) -> st.SearchStrategy[Any]:
    """Mostly ``valid`` values, sometimes anything at all."""
    return st.one_of(*([valid] * weight_valid), anything)


def text_list(max_size: int = 6) -> st.SearchStrategy[Any]:
    return st.lists(text, max_size=max_size)


def check_call(target: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``function``; fail on a non-Entailkit exception, a hang or a mutation of the arguments."""
    CASES[target] += 1
    before = repr((args, kwargs))
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(("ok", function(*args, **kwargs)))
        except EntailkitError as exc:
            outcome.append(("error", exc))
        except BaseException as exc:
            outcome.append(("raw", exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(CALL_TIMEOUT_S)
    assert not thread.is_alive(), f"{target}: still running after {CALL_TIMEOUT_S} s (a hang)"
    kind, value = outcome[0]
    if kind == "raw":
        raise AssertionError(f"{target}: raw {type(value).__name__}: {value}") from value
    assert repr((args, kwargs)) == before, f"{target}: the call changed its arguments"
    if kind == "error":
        assert str(value).strip(), f"{target}: {type(value).__name__} without a message"
        return None
    return value
