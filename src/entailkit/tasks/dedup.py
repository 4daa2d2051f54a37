"""Passage filter: drop passages a higher-ranked passage already entails, flag ones it contradicts.

Passages come in rank order (best first, e.g. from the Reranker). Every (higher, lower) pair is scored in
one batched call with premise = the higher-ranked passage, hypothesis = the lower-ranked one; then the
decisions are made top-down against the passages still kept. Shared by the LangChain and LlamaIndex
adapters so both filter the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

from entailkit._validation import check_probability, check_texts
from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer
from entailkit.types import PairScore, PassageDecision, PassageFilterResult

__all__ = ["OnContradiction", "filter_passages"]

logger = logging.getLogger(__name__)

OnContradiction = Literal["flag", "drop", "keep"]


def filter_passages(
    scorer: Scorer,
    texts: Sequence[str],
    *,
    duplicate_threshold: float = 0.9,
    contradiction_threshold: float = 0.5,
    on_contradiction: OnContradiction = "flag",
    show_progress: bool = False,
) -> PassageFilterResult:
    """Keep / drop / flag decisions for ``texts`` in rank order (best first).

    A passage is dropped as a ``duplicate`` when a kept higher-ranked passage entails it with probability
    at least ``duplicate_threshold`` (cosine for embedding scorers; identical text always counts). Else,
    with a 3-label NLI model, it is flagged (or dropped, or kept as ``on_contradiction`` says) when a kept
    higher-ranked passage contradicts it with probability at least ``contradiction_threshold``.

    Args:
        scorer: An NLI cross-encoder (2 or 3 labels), a GLiClass model or an embedding scorer; only 3-label
            NLI models can report contradictions.
        texts: The passages in rank order, best first (a list of str); blank ones are always kept.
        duplicate_threshold: The entailment (or cosine) at which a lower-ranked passage is a duplicate of a
            kept higher-ranked one, in [0, 1].
        contradiction_threshold: The contradiction probability at which a passage contradicts a kept
            higher-ranked one (it must also beat the pair's entailment), in [0, 1].
        on_contradiction: What happens to a contradicting passage: ``"flag"`` (kept, marked), ``"drop"``,
            or ``"keep"`` (kept, not marked).
        show_progress: Show a progress bar while scoring.

    Returns:
        One decision per passage, in input order, each naming the higher-ranked passage (``of``) and the
        score behind it; ``kept`` lists the positions that stay.

    Raises:
        InvalidInputError: ``scorer`` is not a Scorer or is a relevance model, ``texts`` is not a list of
            str, a threshold is not in [0, 1], or ``on_contradiction`` is not one of its values.
    """
    if not isinstance(scorer, Scorer):
        raise InvalidInputError(
            f"scorer must implement the entailkit Scorer protocol, got {type(scorer).__name__}; "
            "build one with entailkit.load_scorer(model)."
        )
    head = scorer.info.head
    if not (scorer.info.can("entailment") or scorer.info.can("similarity")):
        raise InvalidInputError(
            f"filter_passages needs an NLI model (2 or 3 labels), GLiClass or an embedding model; "
            f"{scorer.info.model!r} has a {head!r} head (a relevance reranker cannot tell duplicates)."
        )
    dup = _threshold(duplicate_threshold, "duplicate_threshold")
    contra = _threshold(contradiction_threshold, "contradiction_threshold")
    if on_contradiction not in ("flag", "drop", "keep"):
        raise InvalidInputError(f"on_contradiction must be 'flag', 'drop' or 'keep', got {on_contradiction!r}.")
    passages = check_texts(texts, "texts")
    if not passages:
        return PassageFilterResult(decisions=(), head=head)
    contradicts = scorer.info.can("contradiction")
    if on_contradiction != "keep" and not contradicts:
        logger.info("filter_passages: %s has no contradiction class; only duplicates are filtered.", head)

    pairs = [
        (j, i)
        for i in range(len(passages))
        for j in range(i)
        if passages[i].strip() and passages[j].strip() and passages[i].strip() != passages[j].strip()
    ]
    scored: dict[tuple[int, int], PairScore] = {}
    if pairs:
        logger.debug("filter_passages: scoring %d pairs of %d passages.", len(pairs), len(passages))
        result = scorer.score_pairs(
            [passages[j] for j, _ in pairs], [passages[i] for _, i in pairs], show_progress=show_progress
        )
        scored = dict(zip(pairs, result, strict=True))

    decisions: list[PassageDecision] = []
    kept: list[int] = []
    for i, text in enumerate(passages):
        decision = _decide(i, text, kept, passages, scored, contradicts, dup, contra, on_contradiction)
        decisions.append(decision)
        if decision.action != "drop":
            kept.append(i)
    return PassageFilterResult(decisions=tuple(decisions), head=head, num_pairs=len(pairs))


def _decide(
    i: int,
    text: str,
    kept: list[int],
    passages: list[str],
    scored: dict[tuple[int, int], PairScore],
    contradicts: bool,
    dup: float,
    contra: float,
    on_contradiction: OnContradiction,
) -> PassageDecision:
    """The decision for passage ``i`` against the higher-ranked passages still kept (best match wins)."""
    if not text.strip():
        return PassageDecision(index=i, action="keep")
    best_dup: tuple[float, int] | None = None
    best_contra: tuple[float, int] | None = None
    for j in kept:
        if passages[j].strip() == text.strip():
            entail, contradiction = 1.0, None
        elif (j, i) in scored:
            item = scored[(j, i)]
            entail = item.entailment if item.entailment is not None else item.score
            contradiction = item.contradiction if contradicts else None
        else:
            continue
        if entail >= dup and (best_dup is None or entail > best_dup[0]):
            best_dup = (entail, j)
        if (
            contradiction is not None
            and contradiction >= contra
            and contradiction > entail
            and (best_contra is None or contradiction > best_contra[0])
        ):
            best_contra = (contradiction, j)
    if best_dup is not None:
        return PassageDecision(index=i, action="drop", reason="duplicate", of=best_dup[1], score=best_dup[0])
    if best_contra is not None and on_contradiction != "keep":
        action: Literal["flag", "drop"] = "drop" if on_contradiction == "drop" else "flag"
        return PassageDecision(index=i, action=action, reason="contradiction", of=best_contra[1], score=best_contra[0])
    return PassageDecision(index=i, action="keep")


def _threshold(value: float, name: str) -> float:
    checked = check_probability(value, name)
    if checked is None:
        raise InvalidInputError(f"{name} must be a number in [0, 1], got None.")
    return checked
