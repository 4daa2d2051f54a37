"""The sentence splitter as it was before issue 15 (quadratic): the reference the linear one must equal.

A verbatim copy of ``entailkit.tasks.sentences`` at that time (only this docstring and the imports
differ). Use it on short texts only: runs of many stops make its regex backtrack exponentially.
"""

from __future__ import annotations

import re

Span = tuple[int, int]


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

_TERMINAL = re.compile(r"(?:\.{2,}|[.!?…])+[\"'”’»)\]]*(?=\s|$)")
_MARKER = re.compile(r"[ \t]*(?:[-*+•‣◦▪–·]|\(?\d{1,3}[.)]|\(?[A-Za-z][)]|#{1,6}|>)[ \t]+")
_TOKEN_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")
_INITIALISM = re.compile(r"^(?:[a-z]\.)+[a-z]$")
_WORD_AFTER = re.compile(r"[\"'“‘(\[]*([A-Za-z]+)")


def split_sentences(text: str) -> list[tuple[str, Span]]:
    """Split ``text`` into sentences and list items: ``[(sentence, (start, end)), ...]``.

    Rules: a blank line, a list marker (``-``, ``*``, ``•``, ``1.``, ``2)``, ``a)``), a heading or a
    newline followed by a capital starts a new unit (a newline followed by a lowercase word is a soft
    wrap); inside a unit, ``.``/``!``/``?``/``…`` (with closing quotes or brackets) followed by space and
    a non-lowercase character ends a sentence, except after known abbreviations and initials.
    Decimals (3.14), versions and URLs never split. Fragments without a letter or digit are dropped.
    """
    if not isinstance(text, str):
        raise TypeError(f"split_sentences expects a str, got {type(text).__name__}")
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
    block = text[start:end]
    cuts: list[int] = []
    for match in _TERMINAL.finditer(block):
        rest = block[match.end() :]
        nxt = rest.lstrip()
        if not nxt:
            break
        if _is_boundary(block[: match.end()], match.group(0), nxt):
            cuts.append(match.end())
    pieces: list[tuple[str, Span]] = []
    prev = 0
    for cut in [*cuts, len(block)]:
        piece = block[prev:cut]
        lead = len(piece) - len(piece.lstrip())
        s, e = start + prev + lead, start + prev + len(piece.rstrip())
        if e > s and any(ch.isalnum() for ch in text[s:e]):
            pieces.append((text[s:e], (s, e)))
        prev = cut
    return pieces


def _is_boundary(before: str, punct: str, nxt: str) -> bool:
    """Whether the terminal run ``punct`` ending ``before`` ends a sentence, given the text after it."""
    first = nxt[0]
    if first.islower():
        return False
    if punct != ".":
        return True  # ?, !, ellipses, or a period closed by a quote or bracket
    token_match = _TOKEN_BEFORE.search(before)
    if token_match is None:
        return True
    token = token_match.group(1)
    lowered = token.lower()
    if lowered in _NEVER_END:
        return False
    if lowered in _BEFORE_NUMBER and first.isdigit():
        return False
    next_word_match = _WORD_AFTER.match(nxt)
    next_word = next_word_match.group(1).lower() if next_word_match else ""
    is_initial = len(token) == 1 and token.isupper()
    if is_initial or lowered in _MAY_END or _INITIALISM.match(lowered):
        return next_word in _OPENERS
    return True
