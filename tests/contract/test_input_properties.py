"""Property-based tests of the input layer: any input gives a well-formed result or an EntailkitError."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entailkit.errors import EntailkitError

pytest.importorskip("torch")

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Texts: arbitrary unicode (control characters, surrogates excluded by st.text, combining marks, emoji...),
# empty and whitespace-only, and long English (windows) or long unicode.
texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.sampled_from(["", " ", "\n\t", "\x00", "\u200b", "🎉" * 30, "A man is playing guitar."]),
    st.integers(1, 400).map(lambda n: "the dog eats an apple in the park. " * n),
    st.integers(100, 3000).map(lambda n: "日本語の文章" * (n // 6) + "Ünïcödé ß ﬁ " * (n // 12)),
)
odd = st.one_of(
    st.none(), st.integers(), st.floats(allow_nan=True), st.binary(max_size=5), st.lists(st.text(max_size=3))
)
items = st.one_of(texts, texts, texts, odd)


@st.composite
def pair_inputs(draw: st.DrawFn) -> tuple[Any, Any]:
    n = draw(st.integers(0, 4))
    premises = draw(st.lists(items, min_size=n, max_size=n))
    hyps_n = draw(st.sampled_from([n, n, n, n + 1, max(n - 1, 0)]))
    hypotheses = draw(st.lists(items, min_size=hyps_n, max_size=hyps_n))
    wrap = draw(st.sampled_from([list, tuple, list, lambda x: x[0] if x else None]))
    return wrap(premises), hypotheses


labels_st = st.one_of(
    st.lists(st.text(min_size=0, max_size=15), min_size=0, max_size=4),
    st.lists(st.lists(st.text(max_size=10), min_size=0, max_size=3), min_size=0, max_size=3),
    st.text(max_size=5),
    st.none(),
    st.lists(odd, max_size=2),
)
templates = st.one_of(st.just("This example is {}."), st.text(max_size=20), st.none(), st.just("{} {}"), st.just("{}"))


def check_pairs_result(result: Any, premises: Any) -> None:
    assert len(result) == len(premises)
    for item in result:
        assert 0.0 <= item.score <= 1.0
        assert item.num_windows >= 1


@pytest.mark.parametrize("name", ["bert-nli3-nce", "deberta-rel1", "bert-nli2-ent1", "bert-embed"])
def test_score_pairs_any_input(name: str, load_tiny: Callable[..., Any]) -> None:
    scorer = load_tiny(name)
    scored: list[int] = []

    @SETTINGS
    @given(pair_inputs(), st.sampled_from(["window", "head", None]))
    def run(inputs: tuple[Any, Any], truncation: Any) -> None:
        premises, hypotheses = inputs
        try:
            result = scorer.score_pairs(premises, hypotheses, truncation=truncation)
        except EntailkitError:
            return
        check_pairs_result(result, premises)
        scored.append(len(result))

    run()
    assert sum(scored) > 0, "no example was valid: the strategy is too hostile to test scoring"


@pytest.mark.parametrize("name", ["bert-nli3-cen", "deberta-nli2-ent0", "bert-rel1", "bert-embed"])
def test_score_labels_any_input(name: str, load_tiny: Callable[..., Any]) -> None:
    scorer = load_tiny(name)
    scored: list[int] = []

    @SETTINGS
    @given(st.lists(items, max_size=3), labels_st, templates, st.booleans())
    def run(texts_: Any, labels: Any, template: Any, multi_label: bool) -> None:
        try:
            result = scorer.score_labels(texts_, labels, hypothesis_template=template, multi_label=multi_label)
        except EntailkitError:
            return
        assert len(result) == len(texts_)
        for item in result:
            assert len(item.labels) == len(item.scores) >= 1
            assert all(0.0 <= s <= 1.0 for s in item.scores)
            if not multi_label and len(item.labels) > 1:
                assert abs(sum(item.scores) - 1.0) <= 1e-5
        scored.append(len(result))

    run()
    assert sum(scored) > 0, "no example was valid: the strategy is too hostile to test scoring"


def test_embed_and_count_tokens_any_input(load_tiny: Callable[..., Any]) -> None:
    import numpy as np

    emb, ce = load_tiny("bert-embed"), load_tiny("deberta-nli3-cen")

    @SETTINGS
    @given(st.one_of(st.lists(items, max_size=4), odd, texts))
    def run(values: Any) -> None:
        try:
            vectors = emb.embed(values)
        except EntailkitError:
            pass
        else:
            assert vectors.shape == (len(values), 32) and vectors.dtype == np.float32
            assert np.all(np.isfinite(vectors))
        for scorer in (emb, ce):
            try:
                counts = scorer.count_tokens(values)
            except EntailkitError:
                continue
            assert len(counts) == len(values) and all(c >= 0 for c in counts)

    run()


def test_window_spans_any_text(load_tiny: Callable[..., Any]) -> None:
    scorer = load_tiny("bert-nli3-cen")

    @SETTINGS
    @given(texts, st.one_of(st.just(""), texts))
    def run(text: str, hypothesis: str) -> None:
        spans = scorer.window_spans(text, hypothesis)
        assert spans
        for start, end in spans:
            assert 0 <= start <= end <= len(text)

    run()
