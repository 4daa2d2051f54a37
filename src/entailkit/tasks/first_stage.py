"""First-stage scores in reranking: one list per query, as long as its documents (the scorer fuses them)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from entailkit.errors import InvalidInputError
from entailkit.types import ScorerInfo

__all__ = ["flat_first_stage_scores"]

logger = logging.getLogger(__name__)


def flat_first_stage_scores(scores: Any, sizes: Sequence[int], info: ScorerInfo) -> list[Any] | None:
    """The per-query ``first_stage_scores`` of a rerank, flattened to one per pair; None when not given.

    Only the shape is checked here (one row per query, one entry per document); the scorer checks the
    values and refuses them unless it was trained on top of a retriever (``info.first_stage``).

    Args:
        scores: The caller's ``first_stage_scores``: one list per query, or None (logged as a warning when
            the model was trained on top of a retriever).
        sizes: How many documents each query has.
        info: The scorer's info.

    Raises:
        InvalidInputError: Not one list per query, or a list whose length is not its query's documents.
    """
    if scores is None:
        if info.first_stage is not None:
            logger.warning(
                "%s was trained on top of first-stage scores (%s); without first_stage_scores= it ranks by its "
                "correction alone, which is not its trained ranking",
                info.model,
                info.first_stage.source,
            )
        return None
    if isinstance(scores, (str, bytes)) or not isinstance(scores, Sequence) or len(scores) != len(sizes):
        got = len(scores) if isinstance(scores, Sequence) and not isinstance(scores, (str, bytes)) else None
        raise InvalidInputError(
            f"first_stage_scores must be one list of numbers per query: {len(sizes)} queries, "
            f"got {got if got is not None else type(scores).__name__}."
        )
    flat: list[Any] = []
    for q, (row, size) in enumerate(zip(scores, sizes, strict=True)):
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence) or len(row) != size:
            raise InvalidInputError(
                f"first_stage_scores[{q}] must hold one number per document ({size}), got {_describe(row)}."
            )
        flat.extend(row)
    return flat


def _describe(row: Any) -> str:
    if isinstance(row, Sequence) and not isinstance(row, (str, bytes)):
        return f"{len(row)} items"
    return type(row).__name__
