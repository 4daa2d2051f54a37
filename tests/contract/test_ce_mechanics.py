"""Mechanics of CrossEncoderScorer on every tiny backend: order, batching, empties, long-input policies."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from contract_data import CROSS_ENCODERS, HYPOTHESES, TEXTS

from entailkit.errors import InvalidInputError

pytest.importorskip("torch")

TOL = 1e-5


def long_premise(n_tokens: int = 2000) -> str:
    """Generated English of about ``n_tokens`` tokens, whole words only (windows cut between words)."""
    from fixtures.tiny_models import corpus

    sentences = corpus(2000, seed=7)[0::4]  # "<subject> <verb> <object> <place>." sentences
    out, count = [], 0
    for s in sentences:
        out.append(s)
        count += len(s.split()) + 1  # words + the final "."
        if count >= n_tokens:
            break
    return " ".join(out)


def shuffled_pairs(n: int = 23, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    premises, hypotheses = [], []
    for i in range(n):
        k = int(rng.integers(0, 6))
        premises.append(" ".join(TEXTS[(i + j) % len(TEXTS)] for j in range(k)))
        hypotheses.append(HYPOTHESES[i % len(HYPOTHESES)])
    return premises, hypotheses


@pytest.mark.parametrize("name", CROSS_ENCODERS)
def test_order_and_batch_invariance(name: str, load_tiny: Callable[..., Any]) -> None:
    premises, hypotheses = shuffled_pairs()
    one = load_tiny(name, batch_size=1)
    # one pair at a time, each in its own call: the reference for the batched calls
    reference = np.array([one.score_pairs([p], [h]).items[0].logits for p, h in zip(premises, hypotheses, strict=True)])
    variants = [
        load_tiny(name, batch_size=1),
        load_tiny(name, batch_size=7),
        load_tiny(name, batch_size=64),
        load_tiny(name, batch_size=64, token_budget=60),
        load_tiny(name, batch_size=64, token_budget=500),
    ]
    for scorer in variants:
        got = scorer.score_pairs(premises, hypotheses)
        assert len(got) == len(premises)
        logits = np.array([item.logits for item in got])
        assert np.max(np.abs(logits - reference)) <= TOL, (scorer.batch_size, scorer.token_budget)
    # the pairs really differ, so a permutation would have been caught
    assert len({round(float(x), 4) for x in reference[:, 0]}) > len(premises) // 2


@pytest.mark.parametrize("name", CROSS_ENCODERS)
def test_empty_input_gives_empty_result(name: str, load_tiny: Callable[..., Any]) -> None:
    scorer = load_tiny(name)
    pairs = scorer.score_pairs([], [])
    assert len(pairs) == 0 and pairs.scores == [] and pairs.head == scorer.info.head
    assert len(scorer.score_labels([], ["a", "b"])) == 0
    assert scorer.count_tokens([]) == []


@pytest.mark.parametrize("name", CROSS_ENCODERS)
def test_empty_strings_are_scored(name: str, load_tiny: Callable[..., Any]) -> None:
    scorer = load_tiny(name)
    got = scorer.score_pairs(["", "a text", ""], ["", "", "a claim"])
    assert len(got) == 3
    for item in got:
        assert 0.0 <= item.score <= 1.0 and item.num_windows == 1 and not item.truncated
    labels = scorer.score_labels([""], ["sports", "music"])
    assert len(labels) == 1
    assert abs(sum(labels[0].scores) - 1) <= 1e-6


@pytest.mark.parametrize("name", CROSS_ENCODERS)
def test_score_fields_follow_the_head(name: str, load_tiny: Callable[..., Any]) -> None:
    scorer = load_tiny(name)
    info = scorer.info
    got = scorer.score_pairs(TEXTS, HYPOTHESES)
    for item in got:
        assert len(item.logits) == {"relevance": 1, "nli2": 2, "nli3": 3}[info.head]
        if info.head == "relevance":
            assert item.relevance == item.score and item.entailment is None
        else:
            assert item.entailment == item.score and item.relevance is None
        if info.head == "nli3":
            assert abs(item.entailment + item.neutral + item.contradiction - 1) <= 1e-6
    assert info.kind == "cross-encoder" and info.native == "pairs"


# --- long inputs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bert-nli3-cen", "deberta-nli3-nce", "bert-rel1", "deberta-nli2-ent1"])
def test_window_policy_on_long_premise(name: str, load_tiny: Callable[..., Any]) -> None:
    scorer = load_tiny(name)
    premise = long_premise()
    hypothesis = "A man is playing music."
    n_tokens = scorer.count_tokens([premise])[0]
    assert 1800 <= n_tokens <= 2300
    item = scorer.score_pairs([premise], [hypothesis]).items[0]
    spans = scorer.window_spans(premise, hypothesis)
    assert item.num_windows == len(spans) > 1
    assert not item.truncated
    assert item.window in spans
    start, end = item.window
    assert 0 <= start < end <= len(premise)
    # spans cover the premise, in order, and each fits the model next to the hypothesis
    assert spans[0][0] == 0 and spans[-1][1] == len(premise.rstrip())
    assert all(a[0] < b[0] and b[0] <= a[1] for a, b in itertools.pairwise(spans))
    window_tokens = scorer.count_tokens([premise[s:e] for s, e in spans])
    special = 3
    assert max(window_tokens) + scorer.count_tokens([hypothesis])[0] + special <= scorer.info.max_length
    # the score is the max over scoring every window text on its own
    separate = scorer.score_pairs([premise[s:e] for s, e in spans], [hypothesis] * len(spans))
    assert all(x.num_windows == 1 for x in separate)
    best = int(np.argmax(separate.scores))
    assert abs(item.score - max(separate.scores)) <= TOL
    assert np.max(np.abs(np.array(item.logits) - np.array(separate.items[best].logits))) <= TOL
    if sorted(separate.scores)[-2] < separate.scores[best] - 1e-4:
        assert item.window == spans[best]


@pytest.mark.parametrize("name", ["bert-nli3-cen", "deberta-rel1"])
@pytest.mark.parametrize("hyp_tokens", [80, 200])
def test_window_spans_agree_with_scoring_when_hypothesis_is_long(
    name: str, hyp_tokens: int, load_tiny: Callable[..., Any]
) -> None:
    # ~80 hypothesis tokens leave ~45 for the premise; ~200 are over max_length=128 and get cut to half.
    scorer = load_tiny(name)
    premise = long_premise(600)
    hypothesis = long_premise(hyp_tokens)
    assert hyp_tokens - 20 <= scorer.count_tokens([hypothesis])[0] <= hyp_tokens + 20
    item = scorer.score_pairs([premise], [hypothesis]).items[0]
    spans = scorer.window_spans(premise, hypothesis)
    assert item.num_windows == len(spans)
    assert item.window in spans


@pytest.mark.parametrize("name", ["bert-nli3-enc", "deberta-rel1"])
def test_head_policy_truncates_and_logs_once(
    name: str, load_tiny: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    scorer = load_tiny(name)
    premise = long_premise()
    short = "A man is playing guitar."
    with caplog.at_level(logging.WARNING, logger="entailkit"):
        got = scorer.score_pairs([premise, short, premise + " Again.", premise], ["A claim."] * 4, truncation="head")
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("entailkit")]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "trunc" in warnings[0].getMessage().lower() or "cut" in warnings[0].getMessage().lower()
    long_items = [got[0], got[2], got[3]]
    assert all(x.truncated and x.num_windows == 1 for x in long_items)
    assert not got[1].truncated and got[1].window is None
    start, end = got[0].window
    assert start == 0 and 0 < end < len(premise)
    # the score is that of the kept head of the premise
    head_only = scorer.score_pairs([premise[start:end]], ["A claim."]).items[0]
    assert abs(head_only.score - got[0].score) <= TOL and not head_only.truncated
    # a scorer loaded with the head policy behaves the same without the per-call argument
    loaded = load_tiny(name, truncation="head").score_pairs([premise], ["A claim."]).items[0]
    assert loaded.truncated and abs(loaded.score - got[0].score) <= TOL


@pytest.mark.parametrize("name", ["bert-nli2-ent0", "deberta-nli3-cen"])
def test_error_policy_raises(name: str, load_tiny: Callable[..., Any]) -> None:
    premise = long_premise()
    with pytest.raises(InvalidInputError, match="max_length"):
        load_tiny(name).score_pairs(["short", premise], ["A claim.", "A claim."], truncation="error")
    with pytest.raises(InvalidInputError):
        load_tiny(name, truncation="error").score_pairs([premise], ["A claim."])
    # short pairs pass under the error policy
    assert len(load_tiny(name, truncation="error").score_pairs(["short"], ["claim"])) == 1


def test_bad_policy_and_normalization_values(load_tiny: Callable[..., Any]) -> None:
    scorer = load_tiny("bert-nli3-cen")
    with pytest.raises(InvalidInputError):
        scorer.score_pairs(["a"], ["b"], truncation="middle")
    with pytest.raises(InvalidInputError):
        scorer.score_pairs(["a"], ["b"], normalization="sigmoid")


def test_windowed_label_scores_use_whole_text(load_tiny: Callable[..., Any]) -> None:
    scorer = load_tiny("bert-nli3-cen")
    premise = long_premise()
    got = scorer.score_labels([premise, "short text"], ["sports", "music", "business"])
    assert len(got) == 2
    for item in got:
        assert abs(sum(item.scores) - 1) <= 1e-6 and all(0 <= s <= 1 for s in item.scores)


def test_inputs_are_not_mutated(load_tiny: Callable[..., Any]) -> None:
    scorer = load_tiny("bert-nli3-cen")
    premises, hypotheses = list(TEXTS), list(HYPOTHESES)
    labels = [["a", "b"], ["c"]] + [["d"]] * (len(TEXTS) - 2)
    snapshot = (list(premises), list(hypotheses), [list(x) for x in labels])
    scorer.score_pairs(premises, hypotheses)
    scorer.score_labels(premises, labels)
    assert (premises, hypotheses, labels) == snapshot
    # tuples are accepted as sequences
    assert len(scorer.score_pairs(tuple(premises), tuple(hypotheses))) == len(premises)
