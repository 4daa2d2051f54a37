"""The linear-time sentence splitter gives exactly the output of the old (quadratic) one, and finishes
on the inputs that made the old one hang (issue 15, part 5). Outputs are asserted, never timings."""

from __future__ import annotations

import random
import re

import _sentences_reference as reference
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entailkit.tasks.sentences import split_sentences


def _words(text: str) -> list[str]:
    return text.split()


# Pieces that exercise every rule: abbreviations, initials, openers, numbers, stops, closers, markers,
# whitespace of every kind (incl. non-breaking and Windows line ends).
TOKENS = [
    *"abcxyzABCXYZ019",
    *_words("The the It He she Dr Mr e.g i.e U.S U.K etc Inc No Fig vol pp a.m p.m J K approx Ph.D v2.0 3.14"),
    *_words(". . . .. ... ! ? ?! \u2026 , : ; $ \" ' \u201d \u2019 \u00bb ) ] ( [ \u201c \u2018 example.com _"),
    *["\U0001f600", "\u00e9t\u00e9", "- ", "* ", "\u2022 ", "1. ", "2) ", "a) ", "## ", "> ", "10. "],
    *[" ", " ", " ", "  ", "\t", "\n", "\n", "\n\n", "\r\n", "\u00a0", "\u2028", "\x0b"],
]
# The reference backtracks exponentially on long runs of stops: keep its runs short.
_LONG_RUN = re.compile(r"[.!?\u2026]{7,}")


def _cap_runs(text: str) -> str:
    return _LONG_RUN.sub(lambda m: m.group(0)[:6], text)


texts_from_tokens = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join).map(_cap_runs)
texts_from_chars = st.text(
    alphabet=st.sampled_from(list("aZ1 .!?\u2026\"')\n\r\t-*(#>\u201c\u00a0")), max_size=120
).map(_cap_runs)

WORDS = _words(
    "The the It A a In Army Smith Bush Paris Then then many Zed Dr dr Mr St e.g i.e vs approx U.S U.K etc Inc "
    "Ltd Jr Ph.D a.m p.m Jan No no Fig pp vol J K W x.y.z v2.0 3.14 5 10 (See \"Why \u201cWhy 'Tis [1] "
    "\u00e9t\u00e9 \U0001f600 -- #"
)
STOPS = ["", "", ".", ".", ".", ".", ".", ".", "!", "?", "...", "..", "\u2026", '."', ".\u201d", "?)", ".)", "!'", ":"]
SEPARATORS = [" ", " ", " ", " ", " ", " ", "  ", "\n", "\n\n", "\r\n", "\t", "\u00a0", "\n- ", "\n1. ", "\na) ", ""]
QUOTES = ["", "", "", '"', "\u201c", "(", "[", "'"]
texts_from_words = st.lists(
    st.tuples(st.sampled_from(QUOTES), st.sampled_from(WORDS), st.sampled_from(STOPS), st.sampled_from(SEPARATORS)).map(
        "".join
    ),
    min_size=1,
    max_size=30,
).map("".join)


@settings(max_examples=600, deadline=None)
@given(texts_from_words)
def test_same_output_as_the_reference_on_word_texts(text: str) -> None:
    assert split_sentences(text) == reference.split_sentences(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts_from_tokens)
def test_same_output_as_the_reference_on_token_texts(text: str) -> None:
    assert split_sentences(text) == reference.split_sentences(text)


@settings(max_examples=300, deadline=None)
@given(texts_from_chars)
def test_same_output_as_the_reference_on_character_texts(text: str) -> None:
    assert split_sentences(text) == reference.split_sentences(text)


def _prose(n_chars: int, seed: int = 0) -> str:
    """Deterministic prose with abbreviations, numbers, quotes, lists and paragraphs."""
    rng = random.Random(seed)
    sentences = [
        "Paris is the capital of France.",
        "Dr. Smith met Mr. Jones at 9 a.m. near the U.S. embassy.",
        "Is it true?",
        "Yes!",
        'He said "Stop." Then he left.',
        "Pi is about 3.14, see Fig. 2 and No. 5 in vol. 3.",
        "Wait... what happened?",
        "We ate apples, pears, etc. Then we left.",
        "J. K. Rowling wrote it.",
        "It costs $2.50 (approx. two dollars).",
    ]
    parts: list[str] = []
    size = 0
    while size < n_chars:
        choice = rng.random()
        piece = rng.choice(sentences)
        if choice < 0.05:
            piece = "\n\n" + piece
        elif choice < 0.08:
            piece = "\n- " + piece
        else:
            piece = " " + piece
        parts.append(piece)
        size += len(piece)
    return "".join(parts)[:n_chars]


def _assert_exact_spans(text: str, pieces: list[tuple[str, tuple[int, int]]]) -> None:
    last = 0
    for sentence, (start, end) in pieces:
        assert text[start:end] == sentence and sentence == sentence.strip() and start >= last
        last = end


def test_prose_chunks_match_the_reference() -> None:
    text = _prose(20_000, seed=1)
    assert split_sentences(text) == reference.split_sentences(text)


def test_initials_repeated_16667_times() -> None:
    text = "A. " * 16667
    pieces = split_sentences(text)
    # "A." is an initial; the next "A" is an opener ("a"), so every one ends a sentence.
    assert len(pieces) == 16667
    assert pieces[:2] == [("A.", (0, 2)), ("A.", (3, 5))]
    assert pieces[-1] == ("A.", (3 * 16666, 3 * 16666 + 2))
    assert split_sentences("A. " * 50) == reference.split_sentences("A. " * 50)


@pytest.mark.parametrize("stop", [".", "!", "?", "\u2026"])
def test_long_runs_of_stops_followed_by_a_letter(stop: str) -> None:
    text = stop * 100_000 + "x"
    assert split_sentences(text) == [(text, (0, len(text)))]
    text = "Intro. " + stop * 100_000 + "x End."
    pieces = split_sentences(text)
    assert [p[1] for p in pieces] == [(0, 6), (7, len(text))]
    _assert_exact_spans(text, pieces)


def test_long_run_of_stops_then_space() -> None:
    text = "Wait" + "." * 100_000 + " Then it rained."
    pieces = split_sentences(text)
    assert [t for t, _ in pieces] == ["Wait" + "." * 100_000, "Then it rained."]
    assert split_sentences("." * 100_000) == []


def test_long_words_and_whitespace() -> None:
    word = "a" * 200_000
    text = f"{word}. The end.{' ' * 200_000}Next one."
    pieces = split_sentences(text)
    assert [t for t, _ in pieces] == [f"{word}.", "The end.", "Next one."]
    _assert_exact_spans(text, pieces)
    initialism = ".".join("u" * 50_000) + ". The end."  # u.u.u...u: an initialism before a period
    assert [t for t, _ in split_sentences(initialism)] == [initialism[:-9], "The end."]


def test_one_megabyte_answer_of_prose() -> None:
    text = _prose(1_000_000, seed=2)
    pieces = split_sentences(text)
    _assert_exact_spans(text, pieces)
    # Every sentence of the generator splits off on its own (two of them hold two sentences).
    assert 30_000 < len(pieces) < 45_000
    head = text[:5_000]
    cut = head.rfind("\n\n")
    assert split_sentences(head[:cut]) == reference.split_sentences(head[:cut])
    assert pieces[: len(split_sentences(head[:cut]))] == split_sentences(head[:cut])
