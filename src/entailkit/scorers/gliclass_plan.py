"""A GLiClass call planned into forward-pass rows (one row per (text, labels, examples) set that fits, label
chunks, fitted examples and text windows for the others) and the rows' logits merged back per set (no torch here)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from entailkit.errors import InvalidInputError
from entailkit.scorers import gliclass_inputs as gi
from entailkit.scorers.gliclass_examples import fit_examples, render_examples
from entailkit.scorers.tokenizer_lock import tokenize
from entailkit.types import LabelledExample, Span, Truncation

__all__ = ["Layout", "SetResult", "count_tokens", "label_token_costs", "merge_logits", "plan_long", "plan_rows"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Layout:
    """What planning needs of a ``GLiClassScorer``: its model's limits and its input options."""

    max_length: int
    special: int
    """Special tokens the tokenizer adds to one input."""
    max_labels_per_pass: int | None
    min_text_tokens: int
    example_format: gi.ExampleFormat
    prompt_first: bool


@dataclass
class SetResult:
    """Per label of one (text, labels) set: the max logit over windows and the window that gave it."""

    logits: np.ndarray
    best: list[int]
    spans: list[Span | None] = field(default_factory=list)
    windows: list[int] = field(default_factory=list)
    cut: bool = False


def count_tokens(tokenizer: Any, texts: Sequence[str]) -> list[int]:
    """Token counts without special tokens (empty gives empty).

    Args:
        tokenizer: The GLiClass model's fast tokenizer.
        texts: The texts to count.
    """
    if not texts:
        return []
    encoded = tokenize(tokenizer, list(texts), add_special_tokens=False, truncation=False)
    return [len(ids) for ids in encoded["input_ids"]]


def label_token_costs(tokenizer: Any, labels: set[str]) -> dict[str, int]:
    """Tokens each label adds to a pass: its own tokens plus the ``<<LABEL>>`` marker.

    Args:
        tokenizer: The GLiClass model's fast tokenizer.
        labels: The labels.
    """
    ordered = sorted(labels)
    return {label: n + 1 for label, n in zip(ordered, count_tokens(tokenizer, ordered), strict=True)}


def plan_rows(
    tokenizer: Any,
    layout: Layout,
    texts: Sequence[str],
    label_lists: Sequence[Sequence[str]],
    example_lists: Sequence[tuple[LabelledExample, ...]],
    policy: Truncation,
) -> tuple[list[gi.Row], set[int]]:
    """The rows of every (text, labels, examples) set, and the sets that were cut (``policy="head"``).

    A set whose whole input (text, every label, every example) fits in ``max_length`` is one row with
    exactly the token ids gliclass's pipeline gives it; only the others are planned into label chunks,
    fitted examples and text windows (``plan_long``).

    Args:
        tokenizer: The GLiClass model's fast tokenizer.
        layout: The scorer's limits and options.
        texts: The texts.
        label_lists: Each text's labels.
        example_lists: Each text's examples.
        policy: ``"window"``, ``"head"`` or ``"error"`` for texts too long for a pass.

    Raises:
        InvalidInputError: A text, label or example holds a GLiClass marker, a label is too long for one
            pass, labels and examples leave no room for the text, or a text is too long under ``"error"``.
    """
    gi.check_markers(texts, label_lists, example_lists)
    rendered: dict[tuple[LabelledExample, ...], str] = {}
    whole: list[gi.Prompt] = []
    for text, labels, examples in zip(texts, label_lists, example_lists, strict=True):
        if examples not in rendered:
            rendered[examples] = render_examples(examples, layout.example_format)
        whole.append(
            gi.build_prompt(
                text, labels, rendered[examples], example_format=layout.example_format, prompt_first=layout.prompt_first
            )
        )
    rows: list[gi.Row] = []
    long_items: list[tuple[int, int]] = []
    cap = layout.max_labels_per_pass
    for item, located in enumerate(gi.encode_prompts(tokenizer, whole)):
        n_labels = len(label_lists[item])
        if len(located.ids) <= layout.max_length and (cap is None or n_labels <= cap):
            rows.append(gi.Row(item, 0, n_labels, located.ids, None))
        else:
            long_items.append((item, located.n_text))
    cuts: set[int] = set()
    if long_items:
        prompts, owners = plan_long(tokenizer, layout, texts, label_lists, example_lists, long_items)
        more, cuts = gi.make_rows(tokenizer, prompts, owners, layout.max_length, policy)
        rows.extend(more)
    return rows, cuts


def plan_long(
    tokenizer: Any,
    layout: Layout,
    texts: Sequence[str],
    label_lists: Sequence[Sequence[str]],
    example_lists: Sequence[tuple[LabelledExample, ...]],
    items: Sequence[tuple[int, int]],
) -> tuple[list[gi.Prompt], list[tuple[int, int, int]]]:
    """Prompts (label chunks, fitted examples) for the sets ``(item, text tokens)`` too long for one row.

    Room is ``max_length`` less the special tokens and ``<<SEP>>``, and less what the text keeps
    (``min_text_tokens``, or the whole text if it is shorter). Labels get up to half of that room,
    further labels go to further passes; examples get the rest and lose their last ones if need be.

    Args:
        tokenizer: The GLiClass model's fast tokenizer.
        layout: The scorer's limits and options.
        texts: The texts.
        label_lists: Each text's labels.
        example_lists: Each text's examples.
        items: ``(set index, text tokens)`` of the sets to plan.

    Returns:
        The prompts and, for each, ``(set index, first label, end label)``.

    Raises:
        InvalidInputError: A label is too long for one pass.
    """
    costs = label_token_costs(tokenizer, {label for item, _ in items for label in label_lists[item]})
    base = layout.max_length - layout.special - 1
    blocks: dict[tuple[tuple[LabelledExample, ...], int], tuple[str, int, int]] = {}
    prompts: list[gi.Prompt] = []
    owners: list[tuple[int, int, int]] = []
    for item, n_text in items:
        text, labels, examples = texts[item], label_lists[item], example_lists[item]
        label_costs = [costs[x] for x in labels]
        if max(label_costs) > (base - layout.min_text_tokens) // 2:
            raise InvalidInputError(
                f"a label of texts[{item}] is {max(label_costs) - 1} tokens: too long for one pass with "
                f"max_length={layout.max_length}; shorten the label."
            )
        fixed = base - max(1, min(n_text, layout.min_text_tokens))
        budget = fixed - min(sum(label_costs), fixed // 2)
        if (examples, budget) not in blocks:
            blocks[examples, budget] = fit_examples(
                examples, layout.example_format, lambda text: count_tokens(tokenizer, [text])[0], budget
            )
        block, block_cost, dropped = blocks[examples, budget]
        if dropped:
            logger.warning(
                "texts[%d]: dropped the last %d of %d examples to fit max_length=%d tokens.",
                item,
                dropped,
                len(examples),
                layout.max_length,
            )
        for lo, hi in gi.plan_label_chunks(label_costs, fixed - block_cost, layout.max_labels_per_pass):
            prompts.append(
                gi.build_prompt(
                    text, labels[lo:hi], block, example_format=layout.example_format, prompt_first=layout.prompt_first
                )
            )
            owners.append((item, lo, hi))
    return prompts, owners


def merge_logits(
    rows: Sequence[gi.Row], logits: Sequence[np.ndarray], label_lists: Sequence[Sequence[str]], cuts: set[int]
) -> list[SetResult]:
    """Every set's max logit per label over its rows, the row (window) that gave it and its window count.

    Args:
        rows: The rows ``plan_rows`` planned.
        logits: Each row's logits, one per label of the row.
        label_lists: Each set's labels.
        cuts: The sets that were cut (``plan_rows``).
    """
    results = [SetResult(np.full(len(ls), -np.inf), [0] * len(ls), windows=[0] * len(ls)) for ls in label_lists]
    for row, row_logits in zip(rows, logits, strict=True):
        res = results[row.item]
        res.spans.append(row.span)
        w = len(res.spans) - 1
        for k in range(row.hi - row.lo):
            j = row.lo + k
            res.windows[j] += 1
            if row_logits[k] > res.logits[j]:
                res.logits[j], res.best[j] = float(row_logits[k]), w
    for item in cuts:
        results[item].cut = True
    return results
