"""One batching layer for every backend: length-sorted, count- and token-capped batches; windows; progress."""

from __future__ import annotations

import bisect
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

__all__ = [
    "CPU_PADDING_TOLERANCE",
    "DEFAULT_TOKEN_BUDGET",
    "MIN_SPLIT_BATCH",
    "PROGRESS_MIN_ITEMS",
    "padding_tolerance_for",
    "plan_batches",
    "progress",
    "token_windows",
    "word_windows",
]

T = TypeVar("T")

DEFAULT_TOKEN_BUDGET = 8192
"""Padded tokens per batch when the caller gives none (batch_size x 256)."""
CPU_PADDING_TOLERANCE = 0.2
"""On CPU a batch ends where the next item is over 20 % shorter than its longest: a CPU pays for every padded
token, and small pools (one rerank request of 20 passages) lose about a third of their time to padding in
batches of 32 (measured in docs/benchmarks.md#padding-aware-batches)."""
MIN_SPLIT_BATCH = 4
"""Items a batch holds before the padding tolerance may end it (fewer would pay per-pass overhead)."""
PROGRESS_MIN_ITEMS = 300
"""Progress bars appear only for jobs of at least this many items."""


def padding_tolerance_for(device: Any) -> float | None:
    """The padding tolerance of a scorer on ``device``: ``CPU_PADDING_TOLERANCE`` on CPU, None (off) elsewhere.

    Args:
        device: A torch device, its name, or None (CPU).
    """
    kind = getattr(device, "type", None) or str(device or "cpu").split(":", 1)[0]
    return CPU_PADDING_TOLERANCE if kind == "cpu" else None


def plan_batches(
    lengths: Sequence[int],
    batch_size: int,
    token_budget: int,
    *,
    padding_tolerance: float | None = None,
    min_split: int = MIN_SPLIT_BATCH,
) -> list[list[int]]:
    """Group indices longest first so each batch holds <= batch_size items and <= token_budget padded tokens.

    A single item longer than the budget gets a batch of its own. Callers restore input order by index.
    With ``padding_tolerance``, a batch of at least ``min_split`` items also ends where the next item is
    shorter than its longest by more than that fraction, so that no item carries much padding (CPUs).

    Args:
        lengths: Each item's length in tokens.
        batch_size: Items per batch at most.
        token_budget: Padded tokens per batch at most (the longest item times the batch's size).
        padding_tolerance: The largest padded fraction of an item once a batch has ``min_split`` items
            (None: batches are capped by count and tokens only, as on GPUs).
        min_split: Items a batch holds before ``padding_tolerance`` may end it.

    Returns:
        Batches of item indices, longest items first.
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    current_max = 0
    for index in order:
        length = max(int(lengths[index]), 1)
        widest = max(current_max, length)
        padded = (
            padding_tolerance is not None
            and len(current) >= min_split
            and current_max - length > padding_tolerance * current_max
        )
        if current and (len(current) >= batch_size or widest * (len(current) + 1) > token_budget or padded):
            batches.append(current)
            current, widest = [], length
        current.append(index)
        current_max = widest
    if current:
        batches.append(current)
    return batches


def token_windows(n_tokens: int, window: int, stride: int) -> list[tuple[int, int]]:
    """Token ranges ``[start, end)`` of width <= ``window`` covering ``n_tokens``, starting every ``stride``.

    Args:
        n_tokens: The length to cover.
        window: The widest range.
        stride: Tokens from one range's start to the next's.

    Raises:
        ValueError: ``window`` or ``stride`` is below 1.
    """
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be >= 1, got {window} and {stride}")
    if n_tokens <= window:
        return [(0, n_tokens)]
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        end = min(start + window, n_tokens)
        spans.append((start, end))
        if end >= n_tokens:
            return spans
        start += stride


def word_windows(n_tokens: int, window: int, stride: int, breaks: Sequence[int]) -> list[tuple[int, int]]:
    """Token ranges like ``token_windows``', but cut between words wherever a word break is in reach.

    A window that starts or ends inside a word holds a piece its tokenizer never gives on its own (a
    SentencePiece piece without its "▁", a WordPiece "##" piece, part of a character's UTF-8 bytes), so the
    model would read tokens that are not its text's tokens. Here a window ends at the last break it
    reaches, and the next one starts at the first break at or past the stride (at the latest where the
    window ended); only a word wider than the window is cut, where ``token_windows`` would cut it.

    Args:
        n_tokens: The length to cover.
        window: The widest range.
        stride: Tokens from one range's start to the next's, before moving to a break.
        breaks: The sorted positions in ``(0, n_tokens)`` between two words (where a cut may fall).

    Raises:
        ValueError: ``window`` or ``stride`` is below 1.
    """
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be >= 1, got {window} and {stride}")
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        end = min(start + window, n_tokens)
        last = bisect.bisect_right(breaks, end) - 1
        if end < n_tokens and last >= 0 and breaks[last] > start:
            end = breaks[last]
        spans.append((start, end))
        if end >= n_tokens:
            return spans
        target = min(start + stride, end)
        first = bisect.bisect_left(breaks, target)
        start = breaks[first] if first < len(breaks) and breaks[first] <= end else target


def progress(items: Iterable[T], *, total: int, enabled: bool, description: str = "scoring") -> Iterator[T]:
    """Yield ``items``; when enabled and the job is large, show a rich progress bar on stderr.

    Args:
        items: What to iterate over (batches, as lists, advance the bar by their length).
        total: The size of the job; below ``PROGRESS_MIN_ITEMS`` no bar is shown.
        enabled: The caller's ``show_progress``.
        description: The bar's label.
    """
    if not enabled or total < PROGRESS_MIN_ITEMS:
        yield from items
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task(description, total=total)
        for item in items:
            yield item
            bar.advance(task, advance=_weight(item))


def _weight(item: object) -> int:
    """Batches advance the bar by their size; single items by one."""
    return len(item) if isinstance(item, list) else 1
