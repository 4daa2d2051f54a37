"""GroundednessChecker with the real 3-way NLI checkpoint ../shared/models/minilm-l6-sick-nli."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from entailkit.tasks import GroundednessChecker

pytestmark = pytest.mark.real

CONTEXTS = [
    "Two dogs are running through a grassy field.",
    "A man is playing a guitar on stage.",
    "A woman is slicing an onion in the kitchen.",
]


@pytest.fixture(scope="module")
def sick_scorer(sick_model_path: Path) -> Any:
    from entailkit.scorers.loading import load_scorer

    return load_scorer(sick_model_path, device="cpu")


def test_one_supported_and_one_contradicted_sentence(sick_scorer: Any) -> None:
    answer = "A man is playing a guitar. There is no woman slicing an onion."
    report = GroundednessChecker(sick_scorer).check(answer, CONTEXTS)
    first, second = report.sentences
    assert first.text == "A man is playing a guitar." and first.span == (0, 26)
    assert first.verdict == "supported"
    assert first.supporting is not None and first.supporting.context_index == 1
    assert first.entailment > 0.7
    assert second.verdict == "contradicted"
    assert second.contradicting is not None and second.contradicting.context_index == 2
    assert second.contradiction is not None and second.contradiction > 0.7
    assert second.evidence is second.contradicting
    assert second.contradicting.text == CONTEXTS[2] and second.contradicting.span == (0, len(CONTEXTS[2]))
    assert report.supported_fraction == 0.5 and not report.grounded and report.head == "nli3"
    assert report.score == report.min_score == second.score  # the contradicted sentence decides


def test_windowed_context_points_at_the_supporting_window(sick_model_path: Path) -> None:
    from entailkit.scorers.loading import load_scorer

    scorer = load_scorer(sick_model_path, device="cpu", max_length=64)
    filler = " ".join(["A child is riding a bike on the road."] * 5)
    long_context = f"{filler} A man is playing a guitar on stage. {filler}"
    report = GroundednessChecker(scorer).check("A man is playing a guitar.", ["Two dogs run.", long_context])
    (sentence,) = report.sentences
    assert sentence.verdict == "supported" and sentence.num_windows == 4  # 1 + 3 windows
    assert sentence.supporting is not None and sentence.supporting.context_index == 1
    start, end = sentence.supporting.span
    assert "playing a guitar" in long_context[start:end] and end - start < len(long_context)


def test_check_many_matches_check(sick_scorer: Any) -> None:
    checker = GroundednessChecker(sick_scorer)
    items = [
        {"answer": "Two dogs are running. A man is not playing a guitar.", "contexts": CONTEXTS},
        ("A woman is cutting an onion.", CONTEXTS[2:]),
    ]
    many = checker.check_many(items)
    single = [checker.check(items[0]["answer"], CONTEXTS), checker.check("A woman is cutting an onion.", CONTEXTS[2:])]
    assert [[s.verdict for s in r.sentences] for r in many] == [["supported", "contradicted"], ["supported"]]
    for a, b in zip(many, single, strict=True):
        assert [s.verdict for s in a.sentences] == [s.verdict for s in b.sentences]
        for x, y in zip(a.sentences, b.sentences, strict=True):
            assert x.entailment == pytest.approx(y.entailment, abs=1e-4)
