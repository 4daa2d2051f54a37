"""filter_passages on a FakeScorer: duplicates dropped, contradictions flagged / dropped, edge cases."""

from __future__ import annotations

import pytest

from entailkit.errors import InvalidInputError
from entailkit.tasks.dedup import filter_passages
from fakes import FakeScorer

A = "The Eiffel Tower is in Paris and was finished in 1889."
B = "The Eiffel Tower is in Paris."
C = "The Eiffel Tower is in Berlin."
D = "Cats are mammals."


def scorer() -> FakeScorer:
    return FakeScorer({("finished in 1889", B): (0.95, 0.01), ("finished in 1889", C): (0.02, 0.9)})


def test_duplicate_dropped_and_contradiction_flagged() -> None:
    texts = [A, B, C, D]
    result = filter_passages(scorer(), texts)
    assert [d.action for d in result] == ["keep", "drop", "flag", "keep"]
    assert result[1].reason == "duplicate" and result[1].of == 0 and result[1].score == pytest.approx(0.95)
    assert result[2].reason == "contradiction" and result[2].of == 0
    assert result.kept == [0, 2, 3] and result.dropped == [1] and result.flagged == [2]
    assert result.num_pairs == 6
    assert texts == [A, B, C, D]


def test_on_contradiction_drop_and_keep() -> None:
    assert filter_passages(scorer(), [A, C], on_contradiction="drop").dropped == [1]
    assert [d.action for d in filter_passages(scorer(), [A, C], on_contradiction="keep")] == ["keep", "keep"]


def test_only_kept_passages_count_and_identical_text_is_duplicate() -> None:
    fake = FakeScorer({("finished in 1889", B): (0.95, 0.01), (B, D): (0.99, 0.0)})
    result = filter_passages(fake, [A, B, D, A])
    # D is entailed only by B, which was dropped; the repeated A is a duplicate without scoring.
    assert [d.action for d in result] == ["keep", "drop", "keep", "drop"]
    assert result[3].of == 0 and result[3].score == 1.0


def test_empty_and_bad_input() -> None:
    assert len(filter_passages(scorer(), [])) == 0
    with pytest.raises(InvalidInputError):
        filter_passages(FakeScorer(head="relevance"), [A, B])
    with pytest.raises(InvalidInputError):
        filter_passages(scorer(), [A], duplicate_threshold=1.5)
    with pytest.raises(InvalidInputError):
        filter_passages(scorer(), [A], on_contradiction="ignore")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        filter_passages(scorer(), A)


def test_two_label_model_filters_duplicates_only() -> None:
    fake = FakeScorer({("finished in 1889", B): 0.95, ("finished in 1889", C): 0.02}, head="nli2")
    assert [d.action for d in filter_passages(fake, [A, B, C])] == ["keep", "drop", "keep"]
