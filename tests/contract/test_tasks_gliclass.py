"""Tasks on a real (tiny, random-weight) GLiClass scorer: one pass per context window for all sentences."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("gliclass")

from entailkit.scorers.gliclass import GLiClassScorer
from entailkit.tasks import GroundednessChecker, Reranker, ZeroShotClassifier
from fixtures.tiny_gliclass import tiny_gliclass_path

ANSWER = "The team won the match. The coach praised the players. It rained after the game."
CONTEXTS = ["the team won the match and the coach praised the players", "the weather was bad after the game"]


@pytest.fixture(scope="module")
def scorer() -> GLiClassScorer:
    return GLiClassScorer.from_pretrained(str(tiny_gliclass_path()), batch_size=8)


def _count_rows(scorer: GLiClassScorer) -> tuple[list[int], Any]:
    rows: list[int] = []

    def hook(module: Any, args: Any, kwargs: Any) -> None:
        rows.append(int(kwargs["input_ids"].shape[0]))

    return rows, scorer.model.register_forward_pre_hook(hook, with_kwargs=True)


def test_groundedness_scores_all_sentences_of_a_window_in_one_row(scorer: GLiClassScorer) -> None:
    rows, handle = _count_rows(scorer)
    try:
        report = GroundednessChecker(scorer).check(ANSWER, CONTEXTS)
    finally:
        handle.remove()
    assert sum(rows) == len(CONTEXTS)  # one model row per context window, all 3 sentences as its labels
    assert len(report.sentences) == 3 and report.head == "gliclass"
    assert {s.verdict for s in report.sentences} <= {"supported", "unsupported"}
    assert all(s.contradiction is None and s.contradicting is None for s in report.sentences)
    assert all(0.0 <= s.entailment <= 1.0 and s.supporting is not None for s in report.sentences)


def test_groundedness_matches_direct_pair_scores(scorer: GLiClassScorer) -> None:
    report = GroundednessChecker(scorer).check(ANSWER, CONTEXTS)
    sentences = [s.text for s in report.sentences]
    direct = scorer.score_pairs([c for c in CONTEXTS for _ in sentences], sentences * len(CONTEXTS))
    for i, s in enumerate(report.sentences):
        best = max(direct[c * len(sentences) + i].score for c in range(len(CONTEXTS)))
        assert s.entailment == pytest.approx(best, abs=1e-6)


def test_reranker_and_classifier_run_on_gliclass(scorer: GLiClassScorer) -> None:
    result = Reranker(scorer).rerank("sports", CONTEXTS)
    assert result.hypothesis == "sports" and sorted(result.indices) == [0, 1]
    (classified,) = ZeroShotClassifier(scorer).classify(CONTEXTS[:1], ["sports", "weather"], multi_label=True)
    assert set(classified.labels) == {"sports", "weather"}
