"""The rule-based sentence splitter: abbreviations, decimals, quotes, ellipses, lists and newlines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entailkit.errors import InvalidInputError
from entailkit.tasks.sentences import split_sentences


def texts(text: str) -> list[str]:
    return [sentence for sentence, _ in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Paris is in France. Berlin is in Germany.", ["Paris is in France.", "Berlin is in Germany."]),
        ("Is it true? Yes! It is.", ["Is it true?", "Yes!", "It is."]),
        # abbreviations
        ("Dr. Smith met Mr. Jones. They talked.", ["Dr. Smith met Mr. Jones.", "They talked."]),
        ("Fruits, e.g. apples, i.e. pomes. Fine.", ["Fruits, e.g. apples, i.e. pomes.", "Fine."]),
        ("The U.S. Army is large. It has bases.", ["The U.S. Army is large.", "It has bases."]),
        ("He lives in the U.S. The weather is mild.", ["He lives in the U.S.", "The weather is mild."]),
        ("We ate apples, pears, etc. Then we left.", ["We ate apples, pears, etc.", "Then we left."]),
        (
            "It opens at 9 a.m. and closes at 5 p.m. The staff is kind.",
            ["It opens at 9 a.m. and closes at 5 p.m.", "The staff is kind."],
        ),
        ("See Fig. 2 and No. 5 in vol. 3. Done.", ["See Fig. 2 and No. 5 in vol. 3.", "Done."]),
        ("J. K. Rowling wrote it. George W. Bush read it.", ["J. K. Rowling wrote it.", "George W. Bush read it."]),
        # decimals, versions, urls
        ("Pi is about 3.14. The price is $2.50.", ["Pi is about 3.14.", "The price is $2.50."]),
        ("Use v2.0.1 from example.com. It works.", ["Use v2.0.1 from example.com.", "It works."]),
        # ellipses
        (
            "Wait... what happened? I waited... Then it rained.",
            ["Wait... what happened?", "I waited...", "Then it rained."],
        ),
        ("He paused\u2026 Then he spoke.", ["He paused\u2026", "Then he spoke."]),
        # quotes and brackets
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        ('"Is it?" she asked. He nodded.', ['"Is it?" she asked.', "He nodded."]),
        ("He left. \u201cWhy?\u201d she asked.", ["He left.", "\u201cWhy?\u201d she asked."]),
        ("(See Fig. 2.) The end.", ["(See Fig. 2.)", "The end."]),
        # lists and newlines
        (
            "Facts:\n- Paris is in France.\n- Berlin is in Germany",
            ["Facts:", "Paris is in France.", "Berlin is in Germany"],
        ),
        ("* one item\n* two item\n\u2022 three item", ["one item", "two item", "three item"]),
        ("1. First step. Then more.\n2) Second step\n10. Tenth", ["First step.", "Then more.", "Second step", "Tenth"]),
        ("a) alpha\nb) beta", ["alpha", "beta"]),
        ("## Summary\nThe answer is yes.", ["Summary", "The answer is yes."]),
        ("First paragraph\n\nSecond paragraph", ["First paragraph", "Second paragraph"]),
        ("A line without a stop\nAnother line", ["A line without a stop", "Another line"]),
        ("This sentence is\nwrapped softly. Next one.", ["This sentence is\nwrapped softly.", "Next one."]),
        ("Windows line\r\nNext line", ["Windows line", "Next line"]),
        # lowercase after a stop is not a new sentence
        ("The value is approx. three units.", ["The value is approx. three units."]),
        # nothing to split
        ("", []),
        ("   \n\n  ", []),
        ("...", []),
        ("- \n-", []),
        ("No stop at the end", ["No stop at the end"]),
    ],
)
def test_split(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


def test_spans_point_into_the_text() -> None:
    text = '  Intro line:\n\n- Dr. Who is 3.5 m tall.  He said "hi." Bye!\n2. Last.'
    pieces = split_sentences(text)
    assert [t for t, _ in pieces] == ["Intro line:", "Dr. Who is 3.5 m tall.", 'He said "hi."', "Bye!", "Last."]
    for sentence, (start, end) in pieces:
        assert text[start:end] == sentence


def test_rejects_non_str() -> None:
    with pytest.raises(InvalidInputError, match="expects a str"):
        split_sentences(["a list"])  # type: ignore[arg-type]


@given(st.text(alphabet=st.sampled_from(list("ab .?!\n-1)\"'\u2026\u201dXY")), max_size=80))
def test_spans_are_exact_ordered_and_disjoint(text: str) -> None:
    pieces = split_sentences(text)
    last = 0
    for sentence, (start, end) in pieces:
        assert text[start:end] == sentence
        assert sentence == sentence.strip() and sentence
        assert start >= last
        last = end
