"""A small rule-based sentence splitter for answers in any language: abbreviations, decimals, quotes,
lists, newlines, and the full stops of other scripts (。！？ without a space, ؟, ।).

It returns ``(text, span)`` pairs with ``text == answer[start:end]``, so every verdict points back into
the answer. No dependency; swap it for any callable with the same shape (``splitter=`` on the checker).
The rules of a language come from ``language=`` (ISO 639-1, e.g. ``"de"``) or, when it is not given,
from the text's script (CJK, Cyrillic, Arabic, Devanagari; Latin text gets the English rules).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from entailkit.errors import InvalidInputError
from entailkit.tasks._abbreviations import LANGUAGE_WORDS
from entailkit.types import Span

__all__ = ["SentenceSplitter", "check_language", "detect_language", "sentence_splitter", "split_sentences"]

SentenceSplitter = Callable[[str], Sequence[tuple[str, Span]]]
"""A callable ``text -> [(sentence, (start, end)), ...]``."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# English. Titles and inline abbreviations that never end a sentence.
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

# Stops of every script: Latin, CJK full width (。！？ and the half-width ｡), Arabic ؟ and Urdu ۔,
# Devanagari danda । and ॥.
_STOPS = ".!?…。！？｡؟۔।॥"
_CJK_STOPS = frozenset("。！？｡")
# Closing quotes and brackets that stay with the sentence. English keeps its historical set (“ and ‘
# open an English quote) plus the CJK closers; other languages also close with “ ‘ « ‹ › (German „Ja.“,
# »Ja.«) and French puts a space before a closing guillemet (« Il pleut. »).
_CJK_CLOSERS = "」』）】》〉〕］｝"
_EN_CLOSERS = "\"'”’»)\\]" + _CJK_CLOSERS
_ALL_CLOSERS = _EN_CLOSERS + "“‘«‹›"
# A run of stops and its closing quotes / brackets; it is a candidate terminal when whitespace (or the end
# of the block) follows, or at once after a CJK stop. No look-ahead in the pattern: a run followed by
# anything else is skipped whole, so the scan never retries inside a run (linear time, no backtracking
# but over the spaces before one guillemet).
_TERMINAL = re.compile(f"[{_STOPS}]+[{_EN_CLOSERS}]*")
_TERMINAL_ANY = re.compile(f"[{_STOPS}]+(?:[{_ALL_CLOSERS}]|[ \u00a0\u202f]+»)*")
_NON_SPACE = re.compile(r"\S")
_MARKER = re.compile(r"[ \t]*(?:[-*+•‣◦▪–·]|\(?\d{1,3}[.)]|\(?[A-Za-z][)]|#{1,6}|>)[ \t]+")
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.")
_INITIALISM = re.compile(r"^(?:[a-z]\.)+[a-z]$")
_WORD_AFTER = re.compile(r"[\"'“‘(\[]*([A-Za-z]+)")
_WORD_AFTER_ANY = re.compile(r"[\"'“‘„‚«‹(\[¿¡]*([^\W\d_]+)")
# One part of a spaced abbreviation ("z. B.", "d. h.", "т. е.", "EE. UU."): a letter, or a doubled capital.
_SPACED_PART = re.compile(r"([^\W\d_])(\1?)\.")
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\uff66-\uff9f]")

_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SCRIPT_RUNS = (
    ("en", re.compile(r"[A-Za-z\u00c0-\u024f]+")),
    ("ru", re.compile(r"[\u0400-\u04ff]+")),
    ("ar", re.compile(r"[\u0600-\u06ff\u0750-\u077f]+")),
    ("hi", re.compile(r"[\u0900-\u097f]+")),
    ("el", re.compile(r"[\u0370-\u03ff]+")),
)
_LANGUAGE_CODE = re.compile(r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*")


@dataclass(frozen=True)
class _Rules:
    """How one language ends sentences."""

    never_end: frozenset[str]
    may_end: frozenset[str]
    before_number: frozenset[str]
    openers: frozenset[str]
    ordinal_next: frozenset[str]
    terminal: re.Pattern[str]
    any_script: bool
    """Words of any script (False: the English rules, ASCII words, exactly as they always were)."""
    cjk: bool
    """ASCII ! and ? directly before a CJK character end a sentence too (Chinese, Japanese)."""


_ENGLISH = _Rules(_NEVER_END, _MAY_END, _BEFORE_NUMBER, _OPENERS, frozenset(), _TERMINAL, any_script=False, cjk=False)
_CJK = _Rules(_NEVER_END, _MAY_END, _BEFORE_NUMBER, _OPENERS, frozenset(), _TERMINAL, any_script=False, cjk=True)
_RULES: dict[str, _Rules] = {
    "en": _ENGLISH,
    "zh": _CJK,
    "ja": _CJK,
    "ko": _ENGLISH,
    **{
        code: _Rules(*words, terminal=_TERMINAL_ANY, any_script=True, cjk=False)
        for code, words in LANGUAGE_WORDS.items()
    },
}
# Any other language: words of any script, the loan abbreviations (Dr., e.g.) only.
_GENERIC = _Rules(
    _words("e.g i.e vs cf dr prof"),
    _words("etc"),
    frozenset(),
    frozenset(),
    frozenset(),
    _TERMINAL_ANY,
    any_script=True,
    cjk=False,
)


def check_language(
    language: object, name: str = "language", *, unset: str = "to detect it from the text's script"
) -> str | None:
    """``language`` as an ISO 639-1 code in lower case ("de" from "de", "DE" or "de-AT"), or None.

    The one check of a language option (sentence splitting, built-in templates); ``unset`` says in the
    error what None means to the caller.

    Raises:
        InvalidInputError: ``language`` is not None nor a code such as ``"de"`` or ``"pt-BR"``.
    """
    if language is None:
        return None
    if not isinstance(language, str) or not _LANGUAGE_CODE.fullmatch(language.strip()):
        raise InvalidInputError(
            f"{name} must be an ISO 639-1 code such as 'en', 'de' or 'zh' (a region may follow: 'pt-BR'), "
            f"or None {unset}; got {language!r}."
        )
    return language.strip().split("-")[0].split("_")[0].lower()


def sentence_splitter(splitter: object, language: object) -> SentenceSplitter:
    """The splitter a checker uses: ``splitter`` as given, else the built-in one for ``language``.

    Raises:
        InvalidInputError: ``splitter`` is not callable, ``language`` is not a code, or both are given.
    """
    if splitter is not None and not callable(splitter):
        raise InvalidInputError(
            f"splitter must be a callable text -> [(sentence, (start, end)), ...], got {type(splitter).__name__}."
        )
    code = check_language(language)
    if code is not None and splitter is not None:
        raise InvalidInputError(
            f"language={language!r} sets the built-in splitter's rules, but a splitter was given; "
            "drop one of them (pass the language to your own splitter)."
        )
    if splitter is not None:
        return splitter  # type: ignore[return-value]
    return split_sentences if code is None else functools.partial(split_sentences, language=code)


def detect_language(text: str) -> str:
    """The language the splitter assumes for ``text`` from its script alone (a cheap, linear scan).

    Kana => "ja", Hangul => "ko", other CJK ideographs => "zh"; otherwise the script with the most letters:
    Cyrillic => "ru", Arabic => "ar", Devanagari => "hi", Greek => "el", Latin (or none) => "en".
    """
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    if _HAN.search(text):
        return "zh"
    best, most = "en", 0
    for code, runs in _SCRIPT_RUNS:
        count = sum(map(len, runs.findall(text)))
        if count > most:
            best, most = code, count
    return best


def _rules(text: str, language: str | None) -> _Rules:
    if language is not None and language in _RULES:
        return _RULES[language]
    detected = detect_language(text)
    if language is None or detected != "en":
        return _RULES.get(detected, _GENERIC)
    return _GENERIC  # a language without lists, in Latin script


def split_sentences(text: str, language: str | None = None) -> list[tuple[str, Span]]:
    """Split ``text`` into sentences and list items: ``[(sentence, (start, end)), ...]``.

    Rules: a blank line, a list marker (``-``, ``*``, ``•``, ``1.``, ``2)``, ``a)``), a heading or a
    newline followed by a capital starts a new unit (a newline followed by a lowercase word is a soft
    wrap); inside a unit, ``.``/``!``/``?``/``…`` (with closing quotes or brackets) followed by space and
    a non-lowercase character ends a sentence, except after known abbreviations and initials of the
    language; ``。``/``！``/``？`` end one with or without a space (but not before the rest of a sentence
    that quotes it: ``「はい。」と言った``), ``؟``, ``۔``, ``।`` like ``?``. Decimals (3.14), versions and
    URLs never split. Fragments without a letter or digit are dropped.

    Args:
        text: The answer to split.
        language: ISO 639-1 code of the text (``"de"``, ``"pt-BR"``): its abbreviations (``z. B.``,
            ``Sr.``, ``т. е.``), openers and ordinals (``am 3. Mai``). Lists are built in for en, de, fr,
            es, it, pt, nl, ru, hi, ar; zh, ja and ko use the English lists for Latin words. Another
            code gets generic rules. None: detected from the script (``detect_language``); Latin text
            gets the English rules.

    Returns:
        Each sentence with its span, ``text[start:end] == sentence``, in order.

    Raises:
        InvalidInputError: ``text`` is not a str, or ``language`` is not None nor a language code.
    """
    if not isinstance(text, str):
        raise InvalidInputError(f"split_sentences expects a str, got {type(text).__name__}; pass the answer text.")
    rules = _rules(text, check_language(language))
    out: list[tuple[str, Span]] = []
    for start, end in _blocks(text):
        out.extend(_split_block(text, start, end, rules))
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


def _split_block(text: str, start: int, end: int, rules: _Rules) -> list[tuple[str, Span]]:
    """Sentences of the block ``text[start:end]``: one scan by position, never a copy of the rest."""
    cuts: list[int] = []
    for match in rules.terminal.finditer(text, start, end):
        stop = match.end()
        if stop >= end:
            break  # the run ends the block
        run = match.group(0)
        if not text[stop].isspace():
            if _cjk_cut(text, match.start(), stop, run, rules):
                cuts.append(stop)
            continue  # stops inside a token (3.14, v2.0, "..x"): not a terminal
        following = _NON_SPACE.search(text, stop, end)
        if following is None:
            break  # the run ends the block
        if _is_boundary(text, start, match.start(), stop, following.start(), end, rules):
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


def _cjk_cut(text: str, run_start: int, stop: int, run: str, rules: _Rules) -> bool:
    """Whether a run of stops that a non-space follows ends a sentence: a CJK stop does, unless a closing
    quote follows it and the sentence goes on (「はい。」と言った); in Chinese and Japanese ASCII ``!`` and
    ``?`` do too when a CJK character follows (好!他来了)."""
    stops = run.rstrip(_ALL_CLOSERS + " \u00a0\u202f")
    if any(ch in _CJK_STOPS for ch in stops):
        return len(stops) == len(run) or not text[stop].isalnum()
    return rules.cjk and len(stops) == len(run) and stops[-1] in "!?" and _CJK_CHAR.match(text, stop) is not None


def _is_boundary(
    text: str, block_start: int, run_start: int, run_end: int, nxt: int, block_end: int, rules: _Rules
) -> bool:
    """Whether the terminal run ``text[run_start:run_end]`` ends a sentence; ``nxt`` is the position of
    the first non-space character after it (inside the block ``[block_start, block_end)``)."""
    first = text[nxt]
    if first.islower():
        return False
    if run_end - run_start != 1 or text[run_start] != ".":
        return True  # ?, !, ellipses, other scripts' stops, or a period closed by a quote or bracket
    word_after = _WORD_AFTER_ANY if rules.any_script else _WORD_AFTER
    next_word_match = word_after.match(text, nxt, block_end)
    next_word = next_word_match.group(1).lower() if next_word_match else ""
    token = _token_before(text, block_start, run_start, rules.any_script)
    if not token:
        return not (
            rules.ordinal_next and next_word in rules.ordinal_next and _is_ordinal(text, block_start, run_start)
        )
    lowered = token.lower()
    if lowered in rules.never_end:
        return False
    if lowered in rules.before_number and first.isdigit():
        return False
    if rules.any_script and _SPACED_PART.fullmatch(text, run_start - len(token), run_end):
        following = _SPACED_PART.match(text, nxt, block_end)
        if (
            following is not None
            and bool(following.group(2)) == bool(token[1:])
            and (following.end() == block_end or not text[following.end()].isalnum())
        ):
            return False  # "z. B.", "d. h.", "т. е.", "EE. UU.": one abbreviation written with spaces
    is_initial = len(token) == 1 and token.isupper()
    if is_initial or lowered in rules.may_end or _INITIALISM.match(lowered):
        return next_word in rules.openers
    return True


def _is_ordinal(text: str, block_start: int, dot: int) -> bool:
    """Whether the period at ``dot`` follows a number of 1-3 digits that starts a word ("am 3. Mai")."""
    i = dot
    while i > block_start and dot - i <= 3 and text[i - 1].isdigit():
        i -= 1
    return 0 < dot - i <= 3 and (i == block_start or (not text[i - 1].isalnum() and text[i - 1] not in ".,"))


def _token_before(text: str, block_start: int, dot: int, any_script: bool = False) -> str:
    """The word (letters and inner periods, starting with a letter) right before the period at ``dot``,
    or "" when there is none; ASCII letters only for the English rules, letters and marks of any script
    otherwise. The scan stops at the first other character: the scans of successive periods never
    overlap (each is followed by a space), so all of them together are linear."""
    i = dot
    if any_script:
        while i > block_start and (text[i - 1] == "." or text[i - 1].isalpha() or _is_mark(text[i - 1])):
            i -= 1
    else:
        while i > block_start and text[i - 1] in _TOKEN_CHARS:
            i -= 1
    return text[i:dot].lstrip(".")


def _is_mark(ch: str) -> bool:
    """A combining mark (the vowel signs of Devanagari, "डॉ")."""
    return ch > "\u02ff" and unicodedata.category(ch)[0] == "M"
