"""A small rule-based sentence splitter for answers: abbreviations, decimals, quotes, lists, newlines.

It returns ``(text, span)`` pairs with ``text == answer[start:end]``, so every verdict points back into
the answer. No dependency; swap it for any callable with the same shape (``splitter=`` on the checker).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from entailkit.errors import InvalidInputError
from entailkit.types import Span

__all__ = ["SentenceSplitter", "split_sentences"]

SentenceSplitter = Callable[[str], Sequence[tuple[str, Span]]]
"""A callable ``text -> [(sentence, (start, end)), ...]``."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Titles and inline abbreviations that never end a sentence.
_NEVER_END = _words(
    "mr mrs ms mx dr prof rev hon st vs e.g i.e cf viz approx ca dept gen col lt sgt capt cmdr adm "
    "gov sen rep mt pres supt messrs mme mlle esp incl"
)
# Abbreviations that may end a sentence: split only when a usual sentence opener follows.
_MAY_END = _words(
    "etc inc ltd co corp llc plc jr sr al a.m p.m u.s u.k u.n e.u ph.d b.c a.d b.a m.a m.d "
    "jan feb mar apr jun jul aug sep sept oct nov dec ft lbs oz min max"
)
# Abbreviations that precede a number ("No. 5", "Fig. 2", "pp. 10-12").
_BEFORE_NUMBER = _words("no nos vol vols pp p fig figs art sec ch eq ref tab")
_OPENERS = _words(
    "the a an this that these those it its he she they we i you his her their our my there here "
    "in on at for but and or so however then also as after before when while if although since "
    "because yes no not many most some all each both one two three"
)

# A run of stops and its closing quotes / brackets; it is a candidate terminal when whitespace (or the end
# of the block) follows. No look-ahead in the pattern: a run followed by anything else is skipped whole,
# so the scan never retries inside a run (linear time, no backtracking).
_TERMINAL = re.compile(r"[.!?…]+[\"'”’»)\]]*")
_NON_SPACE = re.compile(r"\S")
_MARKER = re.compile(r"[ \t]*(?:[-*+•‣◦▪–·]|\(?\d{1,3}[.)]|\(?[A-Za-z][)]|#{1,6}|>)[ \t]+")
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.")
_INITIALISM = re.compile(r"^(?:[a-z]\.)+[a-z]$")
_WORD_AFTER = re.compile(r"[\"'“‘(\[]*([A-Za-z]+)")


def split_sentences(text: str) -> list[tuple[str, Span]]:
    """Split ``text`` into sentences and list items: ``[(sentence, (start, end)), ...]``.

    Rules: a blank line, a list marker (``-``, ``*``, ``•``, ``1.``, ``2)``, ``a)``), a heading or a
    newline followed by a capital starts a new unit (a newline followed by a lowercase word is a soft
    wrap); inside a unit, ``.``/``!``/``?``/``…`` (with closing quotes or brackets) followed by space and
    a non-lowercase character ends a sentence, except after known abbreviations and initials.
    Decimals (3.14), versions and URLs never split. Fragments without a letter or digit are dropped.

    Args:
        text: The answer to split.

    Returns:
        Each sentence with its span, ``text[start:end] == sentence``, in order.

    Raises:
        InvalidInputError: ``text`` is not a str.
    """
    if not isinstance(text, str):
        raise InvalidInputError(f"split_sentences expects a str, got {type(text).__name__}; pass the answer text.")
    out: list[tuple[str, Span]] = []
    for start, end in _blocks(text):
        out.extend(_split_block(text, start, end))
    return out


def _blocks(text: str) -> list[Span]:
    """Units separated by blank lines, list markers and hard line breaks (soft wraps are joined)."""
    blocks: list[Span] = []
    current: list[int] | None = None
    l_start = 0
    for content in text.split("\n"):
        l_start, line_start = l_start + len(content) + 1, l_start
        content = content.replace("\r", " ")
        if not content.strip():
            if current is not None:
                blocks.append((current[0], current[1]))
                current = None
            continue
        marker = _MARKER.match(content)
        if marker is not None and content[marker.end() :].strip():
            if current is not None:
                blocks.append((current[0], current[1]))
            c_start = line_start + marker.end()
            current = [c_start, line_start + len(content.rstrip())]
            continue
        first = line_start + (len(content) - len(content.lstrip()))
        c_end = line_start + len(content.rstrip())
        if current is not None and text[first].islower():
            current[1] = c_end  # soft wrap: the sentence goes on
            continue
        if current is not None:
            blocks.append((current[0], current[1]))
        current = [first, c_end]
    if current is not None:
        blocks.append((current[0], current[1]))
    return blocks


def _split_block(text: str, start: int, end: int) -> list[tuple[str, Span]]:
    """Sentences of the block ``text[start:end]``: one scan by position, never a copy of the rest."""
    cuts: list[int] = []
    for match in _TERMINAL.finditer(text, start, end):
        stop = match.end()
        if stop < end and not text[stop].isspace():
            continue  # stops inside a token (3.14, v2.0, "..x"): not a terminal
        following = _NON_SPACE.search(text, stop, end)
        if following is None:
            break  # the run ends the block
        if _is_boundary(text, start, match.start(), stop, following.start(), end):
            cuts.append(stop)
    pieces: list[tuple[str, Span]] = []
    prev = start
    for cut in [*cuts, end]:
        piece = text[prev:cut]
        s, e = prev + len(piece) - len(piece.lstrip()), prev + len(piece.rstrip())
        if e > s and (text[s].isalnum() or any(ch.isalnum() for ch in text[s:e])):
            pieces.append((text[s:e], (s, e)))
        prev = cut
    return pieces


def _is_boundary(text: str, block_start: int, run_start: int, run_end: int, nxt: int, block_end: int) -> bool:
    """Whether the terminal run ``text[run_start:run_end]`` ends a sentence; ``nxt`` is the position of
    the first non-space character after it (inside the block ``[block_start, block_end)``)."""
    first = text[nxt]
    if first.islower():
        return False
    if run_end - run_start != 1 or text[run_start] != ".":
        return True  # ?, !, ellipses, or a period closed by a quote or bracket
    token = _token_before(text, block_start, run_start)
    if not token:
        return True
    lowered = token.lower()
    if lowered in _NEVER_END:
        return False
    if lowered in _BEFORE_NUMBER and first.isdigit():
        return False
    next_word_match = _WORD_AFTER.match(text, nxt, block_end)
    next_word = next_word_match.group(1).lower() if next_word_match else ""
    is_initial = len(token) == 1 and token.isupper()
    if is_initial or lowered in _MAY_END or _INITIALISM.match(lowered):
        return next_word in _OPENERS
    return True


def _token_before(text: str, block_start: int, dot: int) -> str:
    """The word (letters and inner periods, starting with a letter) right before the period at ``dot``,
    or "" when there is none. The scan stops at the first other character: the scans of successive
    periods never overlap (each is followed by a space), so all of them together are linear."""
    i = dot
    while i > block_start and text[i - 1] in _TOKEN_CHARS:
        i -= 1
    return text[i:dot].lstrip(".")
