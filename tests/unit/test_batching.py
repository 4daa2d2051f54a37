"""entailkit.scorers.batching: length-sorted batches under count and token caps, windows, progress."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entailkit.scorers.batching import (
    CPU_PADDING_TOLERANCE,
    PROGRESS_MIN_ITEMS,
    padding_tolerance_for,
    plan_batches,
    progress,
    token_windows,
    word_windows,
)

FAST = settings(max_examples=200, deadline=None, derandomize=True)


@FAST
@given(
    st.lists(st.integers(0, 600), max_size=80),
    st.integers(1, 40),
    st.integers(1, 3000),
)
def test_plan_batches_properties(lengths: list[int], batch_size: int, token_budget: int) -> None:
    batches = plan_batches(lengths, batch_size, token_budget)
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(lengths)))  # every index exactly once
    assert all(batch for batch in batches)  # no empty batch
    for batch in batches:
        assert len(batch) <= batch_size
        if len(batch) > 1:  # only a lone item may exceed the budget
            assert max(max(lengths[i], 1) for i in batch) * len(batch) <= token_budget
    # longest first: lengths never increase along the plan
    along = [lengths[i] for i in flat]
    assert along == sorted(along, reverse=True)


def test_plan_batches_examples() -> None:
    assert plan_batches([], 8, 100) == []
    assert plan_batches([5, 50, 10], 8, 10_000) == [[1, 2, 0]]
    assert plan_batches([5, 50, 10], 1, 10_000) == [[1], [2], [0]]
    # budget 60: [50] alone (50 * 2 > 60), then 10 and 5 together (10 * 2 <= 60)
    assert plan_batches([5, 50, 10], 8, 60) == [[1], [2, 0]]
    # an item over the budget gets a batch of its own instead of an error
    assert plan_batches([500, 1], 8, 100) == [[0], [1]]
    # ties keep input order (stable sort)
    assert plan_batches([3, 3, 3], 2, 100) == [[0, 1], [2]]


@FAST
@given(st.lists(st.integers(0, 600), max_size=80), st.integers(1, 40), st.floats(0.0, 0.9), st.integers(1, 8))
def test_padding_tolerance_bounds_the_padding_of_batches_past_min_split(
    lengths: list[int], batch_size: int, tolerance: float, min_split: int
) -> None:
    batches = plan_batches(lengths, batch_size, 10**9, padding_tolerance=tolerance, min_split=min_split)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        widest = max(max(lengths[i], 1) for i in batch)
        assert len(batch) <= batch_size
        for position, i in enumerate(batch):  # past min_split, no item is padded by more than the tolerance
            if position >= min_split:
                assert widest - max(lengths[i], 1) <= tolerance * widest
    # without a tolerance the plan is the count- and token-capped one, and never has more batches
    assert len(plan_batches(lengths, batch_size, 10**9)) <= len(batches)


def test_padding_tolerance_examples_and_devices() -> None:
    lengths = [100, 95, 90, 85, 60, 58, 20, 19]
    assert plan_batches(lengths, 32, 10**6) == [list(range(8))]
    # 20 % tolerance after 4 items: 60 is 40 % shorter than 100 (cut), 20 is 67 % shorter than 60 (cut)
    assert plan_batches(lengths, 32, 10**6, padding_tolerance=0.2) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert plan_batches(lengths, 32, 10**6, padding_tolerance=0.2, min_split=1) == [[0, 1, 2, 3], [4, 5], [6, 7]]
    assert padding_tolerance_for("cpu") == padding_tolerance_for(None) == CPU_PADDING_TOLERANCE
    torch = pytest.importorskip("torch")
    assert padding_tolerance_for(torch.device("cpu")) == CPU_PADDING_TOLERANCE
    assert padding_tolerance_for("cuda:0") is None and padding_tolerance_for(torch.device("mps")) is None


def test_plan_batches_does_not_mutate() -> None:
    lengths = [3, 1, 2]
    plan_batches(lengths, 2, 10)
    assert lengths == [3, 1, 2]


@FAST
@given(st.integers(0, 5000), st.integers(1, 600), st.data())
def test_token_windows_cover_in_order(n_tokens: int, window: int, data: st.DataObject) -> None:
    stride = data.draw(st.integers(1, window))
    spans = token_windows(n_tokens, window, stride)
    assert spans[0][0] == 0 and spans[-1][1] == n_tokens
    for start, end in spans:
        assert 0 <= start <= end <= n_tokens and end - start <= window
    for (s1, e1), (s2, _) in itertools.pairwise(spans):
        assert s2 == s1 + stride and s2 <= e1  # no gap when stride <= window
    if n_tokens <= window:
        assert spans == [(0, n_tokens)]
    else:
        assert all(e - s == window for s, e in spans[:-1])
        assert spans[-2][1] < n_tokens  # no redundant trailing window


def test_token_windows_examples() -> None:
    assert token_windows(0, 10, 5) == [(0, 0)]
    assert token_windows(10, 10, 5) == [(0, 10)]
    assert token_windows(11, 10, 5) == [(0, 10), (5, 11)]
    assert token_windows(20, 8, 6) == [(0, 8), (6, 14), (12, 20)]


@pytest.mark.parametrize(("window", "stride"), [(0, 1), (5, 0), (-1, -1)])
def test_token_windows_rejects_bad_sizes(window: int, stride: int) -> None:
    with pytest.raises(ValueError):
        token_windows(100, window, stride)


@FAST
@given(st.integers(0, 3000), st.integers(1, 400), st.data())
def test_word_windows_cover_in_order(n_tokens: int, window: int, data: st.DataObject) -> None:
    stride = data.draw(st.integers(1, window))
    breaks = sorted(data.draw(st.sets(st.integers(1, n_tokens - 1), max_size=300))) if n_tokens > 1 else []
    spans = word_windows(n_tokens, window, stride, breaks)
    assert spans[0][0] == 0 and spans[-1][1] == n_tokens
    for start, end in spans:
        assert 0 <= start <= end <= n_tokens and end - start <= window
    for (s1, e1), (s2, _) in itertools.pairwise(spans):
        assert s1 < s2 <= e1  # progress, no gap
    if n_tokens <= window:
        assert spans == [(0, n_tokens)]


@FAST
@given(st.lists(st.integers(1, 12), min_size=1, max_size=300), st.integers(25, 400), st.data())
def test_word_windows_never_cut_a_word_narrower_than_the_overlap(
    words: list[int], window: int, data: st.DataObject
) -> None:
    """Words of up to 12 tokens, overlaps of 24 or more: windows start and end between words, and overlap."""
    stride = data.draw(st.integers(1, window - 24))
    bounds = list(itertools.accumulate(words))
    n_tokens, breaks = bounds[-1], bounds[:-1]
    spans = word_windows(n_tokens, window, stride, breaks)
    assert {s for s, _ in spans[1:]} | {e for _, e in spans[:-1]} <= set(breaks)
    for (s1, e1), (s2, _) in itertools.pairwise(spans):
        assert s1 < s2 < e1  # and they still overlap


@FAST
@given(st.integers(0, 3000), st.integers(1, 400), st.data())
def test_word_windows_with_a_break_between_every_token_are_token_windows(
    n_tokens: int, window: int, data: st.DataObject
) -> None:
    stride = data.draw(st.integers(1, window))
    assert word_windows(n_tokens, window, stride, range(1, n_tokens)) == token_windows(n_tokens, window, stride)


def test_word_windows_examples() -> None:
    assert word_windows(20, 7, 6, range(2, 20, 2)) == [(0, 6), (6, 12), (12, 18), (18, 20)]  # 2-token words
    assert word_windows(12, 6, 4, [2, 7, 9]) == [(0, 2), (2, 7), (7, 12)]  # a 5-token word gets a window
    assert word_windows(20, 8, 6, [15]) == [(0, 8), (6, 14), (12, 20)]  # a 15-token word is cut
    with pytest.raises(ValueError):
        word_windows(100, 0, 1, [])


def test_progress_passes_items_through(capsys: pytest.CaptureFixture[str]) -> None:
    items = [[1, 2], [3]]
    assert list(progress(iter(items), total=3, enabled=False)) == items
    assert list(progress(iter(items), total=3, enabled=True)) == items  # small job: no bar
    assert capsys.readouterr().out == ""
    big = [[i] for i in range(PROGRESS_MIN_ITEMS)]
    assert list(progress(iter(big), total=len(big), enabled=True, description="test")) == big
    assert capsys.readouterr().out == ""  # a bar, if any, goes to stderr
