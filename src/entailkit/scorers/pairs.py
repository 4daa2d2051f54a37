"""Turn (premise, hypothesis) pairs into model-sized units under a truncation policy.

A unit is one forward-pass input: a premise window (character span into the premise) and the hypothesis.
The "window" policy cuts the premise into overlapping token windows that fit next to the hypothesis; the
pair's score is later the max over its units.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from entailkit.errors import InvalidInputError
from entailkit.scorers.batching import token_windows
from entailkit.scorers.tokenizer_lock import tokenize
from entailkit.types import Span, Truncation

__all__ = [
    "MIN_PREMISE_TOKENS",
    "WINDOW_OVERLAP",
    "TokenizedText",
    "Unit",
    "cut_text",
    "fit_windows",
    "plan_units",
    "tokenize_texts",
    "window_char_spans",
]

logger = logging.getLogger(__name__)

MIN_PREMISE_TOKENS = 16
"""A window narrower than this means the hypothesis is too long: it is cut to half of max_length."""
WINDOW_OVERLAP = 0.25
"""Fraction of a window shared with the next one, so no sentence is only ever seen cut in two."""


@dataclass(frozen=True)
class Unit:
    """One model input: ``premise[span]`` paired with ``hypothesis``, belonging to pair ``pair``."""

    pair: int
    premise: str
    hypothesis: str
    span: Span | None
    n_tokens: int
    truncated: bool = False


@dataclass
class TokenizedText:
    """Token count and character offsets of a text encoded without special tokens."""

    n_tokens: int
    offsets: list[tuple[int, int]]


def tokenize_texts(tokenizer: Any, texts: Sequence[str]) -> list[TokenizedText]:
    """Encode distinct texts once (fast tokenizer, offsets) without special tokens.

    Args:
        tokenizer: A fast tokenizer.
        texts: The texts (duplicates are encoded once).

    Returns:
        One ``TokenizedText`` per text, in input order.
    """
    distinct = list(dict.fromkeys(texts))
    if not distinct:
        return []
    encoded = tokenize(tokenizer, distinct, add_special_tokens=False, return_offsets_mapping=True, truncation=False)
    table = {
        text: TokenizedText(len(ids), [tuple(o) for o in offsets])
        for text, ids, offsets in zip(distinct, encoded["input_ids"], encoded["offset_mapping"], strict=True)
    }
    return [table[text] for text in texts]


def window_char_spans(text: str, tokens: TokenizedText, window: int) -> list[Span]:
    """Character spans of overlapping windows of at most ``window`` tokens over ``text``.

    Args:
        text: The text.
        tokens: Its tokens and offsets (``tokenize_texts``).
        window: Tokens per window; windows start every ``window * (1 - WINDOW_OVERLAP)`` tokens.

    Returns:
        ``[(0, len(text))]`` when the text fits, else the windows' spans in order.
    """
    if tokens.n_tokens <= window:
        return [(0, len(text))]
    stride = max(1, int(window * (1 - WINDOW_OVERLAP)))
    spans = []
    for start, end in token_windows(tokens.n_tokens, window, stride):
        spans.append((tokens.offsets[start][0], tokens.offsets[end - 1][1]))
    return spans


def cut_text(text: str, tokens: TokenizedText, keep: int) -> str:
    """The first ``keep`` tokens of ``text``, cut at a token boundary.

    Args:
        text: The text.
        tokens: Its tokens and offsets.
        keep: How many tokens to keep (0: the empty string).
    """
    if tokens.n_tokens <= keep:
        return text
    return text[: tokens.offsets[keep - 1][1]] if keep > 0 else ""


class _HeadCutLog:
    """Counts cuts of the head policy so each call logs once."""

    def __init__(self) -> None:
        self.premises = 0
        self.hypotheses = 0

    def flush(self, max_length: int) -> None:
        if self.premises or self.hypotheses:
            logger.warning(
                "truncation: cut %d premise(s) and %d hypothesis(es) to fit max_length=%d tokens; "
                "use truncation='window' to score long premises in full.",
                self.premises,
                self.hypotheses,
                max_length,
            )


def plan_units(
    tokenizer: Any,
    premises: Sequence[str],
    hypotheses: Sequence[str],
    *,
    max_length: int,
    special_tokens: int,
    truncation: Truncation,
) -> list[Unit]:
    """Every pair becomes one unit if it fits, else windows (``window``), a cut (``head``) or an error.

    A hypothesis that leaves fewer than ``MIN_PREMISE_TOKENS`` for the premise is cut to half of the pair's
    token budget first (logged with the ``head`` cuts).

    Args:
        tokenizer: A fast tokenizer.
        premises: The premises.
        hypotheses: The hypotheses, one per premise.
        max_length: Tokens per model input.
        special_tokens: The special tokens the tokenizer adds to a pair.
        truncation: ``"window"``, ``"head"`` or ``"error"``.

    Returns:
        The units of every pair, pair by pair.

    Raises:
        InvalidInputError: A pair is too long and ``truncation`` is ``"error"``.
    """
    p_tokens = tokenize_texts(tokenizer, premises)
    h_tokens = tokenize_texts(tokenizer, hypotheses)
    budget = max_length - special_tokens
    cuts = _HeadCutLog()
    units: list[Unit] = []
    for i, (premise, hypothesis) in enumerate(zip(premises, hypotheses, strict=True)):
        pt, ht = p_tokens[i], h_tokens[i]
        if pt.n_tokens + ht.n_tokens <= budget:
            units.append(Unit(i, premise, hypothesis, None, pt.n_tokens + ht.n_tokens + special_tokens))
            continue
        if truncation == "error":
            raise InvalidInputError(
                f"pair {i} is {pt.n_tokens + ht.n_tokens + special_tokens} tokens, over max_length={max_length}; "
                "shorten it, or use truncation='window' (score every window, keep the max) or 'head' (cut)."
            )
        hyp_keep = ht.n_tokens
        if budget - ht.n_tokens < MIN_PREMISE_TOKENS:
            hyp_keep = max(1, budget // 2)
            hypothesis = cut_text(hypothesis, ht, hyp_keep)
            cuts.hypotheses += 1
        room = budget - hyp_keep
        if truncation == "head":
            cuts.premises += int(pt.n_tokens > room)
            ((_, end), n) = fit_windows(tokenizer, premise, pt, [(0, len(cut_text(premise, pt, room)))], room)[0]
            units.append(Unit(i, premise[:end], hypothesis, (0, end), n + hyp_keep + special_tokens, True))
            continue
        for (start, end), n in fit_windows(tokenizer, premise, pt, window_char_spans(premise, pt, room), room):
            units.append(Unit(i, premise[start:end], hypothesis, (start, end), n + hyp_keep + special_tokens))
    cuts.flush(max_length)
    return units


def fit_windows(
    tokenizer: Any, text: str, tokens: TokenizedText, spans: Sequence[Span], room: int
) -> list[tuple[Span, int]]:
    """Each span with its end moved back until ``text[start:end]``, tokenized on its own, fits ``room``.

    Windows are planned on the offsets of the whole text, but each is scored as its own string. Unigram
    tokenizers (XLM-R) add a word-start piece to a window that begins inside a word, and byte-level BPE
    (ModernBERT) takes every byte of a character cut by the window, so a window can come out 1-3 tokens
    longer than planned; the model's truncation would then drop its last tokens without a word.

    Args:
        tokenizer: A fast tokenizer.
        text: The whole text.
        tokens: Its tokens and offsets.
        spans: The planned windows' character spans.
        room: Tokens a window may take.

    Returns:
        ``((start, end), n_tokens)`` per span, ``n_tokens`` counted on the window's own string.
    """
    fitted: list[tuple[Span, int]] = []
    for (start, end), counted in zip(spans, tokenize_texts(tokenizer, [text[s:e] for s, e in spans]), strict=True):
        n = counted.n_tokens
        while n > room:
            ends = [e for s, e in tokens.offsets if start <= s and start < e < end]
            if not ends:
                break  # one token wider than the room: nothing shorter exists; the model's truncation cuts it
            end = ends[-1]
            n = tokenize_texts(tokenizer, [text[start:end]])[0].n_tokens
        fitted.append(((start, end), n))
    return fitted
