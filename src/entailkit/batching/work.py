"""Cheap estimates of model work from characters, so the server can bound a request before scoring it.

A long premise is scored in several overlapping token windows (see :mod:`entailkit.scorers.pairs`), so
one (premise, hypothesis) pair costs one forward-pass row per window. Counting tokens needs the
tokenizer; counting characters does not, so the server estimates ``CHARS_PER_TOKEN`` characters per
token. The same estimate sizes the request budget (``max_request_pairs``) and the worker's sub-calls
(``max_batch_pairs``), so both speak of the same unit: estimated pairs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from entailkit.scorers.pairs import MIN_PREMISE_TOKENS, WINDOW_OVERLAP

__all__ = [
    "CHARS_PER_TOKEN",
    "SPECIAL_TOKENS",
    "estimated_tokens",
    "estimated_windows",
    "label_pairs",
    "pairs_of",
    "texts_tokens",
]

CHARS_PER_TOKEN = 4
"""Characters per token assumed by the estimate (English WordPiece / BPE text averages about 4 to 5)."""
SPECIAL_TOKENS = 3
"""[CLS] premise [SEP] hypothesis [SEP]: the tokens a pair encoder adds."""


def estimated_tokens(chars: int) -> int:
    """Tokens of a text of ``chars`` characters, by the ``CHARS_PER_TOKEN`` rule (at least 1).

    Args:
        chars: The text's length in characters.
    """
    return max(1, math.ceil(chars / CHARS_PER_TOKEN))


def texts_tokens(first: Sequence[Any], second: Sequence[Any]) -> int:
    """Estimated tokens of a model call's inputs: premises and hypotheses, or texts and their label lists.

    Args:
        first: Premises (or texts).
        second: One hypothesis (or a list of labels) per item of ``first``.
    """

    def chars(text: Any) -> int:
        return estimated_tokens(len(text)) if isinstance(text, str) and text else 0

    return sum(
        chars(a) + (chars(b) if isinstance(b, str) else sum(chars(label) for label in b))
        for a, b in zip(first, second, strict=True)
    )


def estimated_windows(premise_chars: int, max_length: int, hypothesis_chars: int = 0) -> int:
    """Windows a premise of ``premise_chars`` characters needs next to a hypothesis, as the scorer cuts them.

    Args:
        premise_chars: The premise's length in characters.
        max_length: The model's ``max_length`` in tokens.
        hypothesis_chars: The hypothesis' length in characters (0: none).

    Returns:
        1 when the premise fits next to the hypothesis, else the windows of ``WINDOW_OVERLAP`` overlap.
    """
    budget = max(1, int(max_length) - SPECIAL_TOKENS)
    hypothesis = estimated_tokens(hypothesis_chars) if hypothesis_chars else 0
    if budget - hypothesis < MIN_PREMISE_TOKENS:  # the scorer then cuts the hypothesis to half the budget
        hypothesis = budget // 2
    window = max(1, budget - hypothesis)
    tokens = estimated_tokens(premise_chars)
    if tokens <= window:
        return 1
    stride = max(1, int(window * (1 - WINDOW_OVERLAP)))
    return 1 + math.ceil((tokens - window) / stride)


def pairs_of(premise_chars: Sequence[int], max_length: int, hypothesis_chars: int = 0) -> int:
    """Estimated pairs (windows) of scoring every premise against one hypothesis.

    Args:
        premise_chars: The length in characters of each premise.
        max_length: The model's ``max_length`` in tokens.
        hypothesis_chars: The hypothesis' length in characters.
    """
    return sum(estimated_windows(chars, max_length, hypothesis_chars) for chars in premise_chars)


def label_pairs(
    text_chars: int, label_chars: Sequence[int], max_length: int, *, single_pass: bool, template_chars: int = 0
) -> int:
    """Estimated pairs of scoring one text against its labels.

    A pair model (cross-encoder) scores one (text, templated label) pair per label and window; a
    single-pass model (GLiClass, ``native == "labels"``) reads the text with all labels at once, one pass
    per window of the text next to the labels.

    Args:
        text_chars: The text's length in characters.
        label_chars: The length in characters of the text the model reads for each label.
        max_length: The model's ``max_length`` in tokens.
        single_pass: The model reads all labels with the text in one pass.
        template_chars: Characters the hypothesis template adds to a label (pair models).

    Returns:
        The estimate; 0 for no labels.
    """
    if not label_chars:
        return 0
    if single_pass:
        return estimated_windows(text_chars, max_length, sum(label_chars) + 2 * len(label_chars))
    return len(label_chars) * estimated_windows(text_chars, max_length, max(label_chars) + template_chars)
