"""First-stage scores in reranking: checked, and fused into relevance models trained on top of them."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

from entailkit.errors import InvalidInputError
from entailkit.types import FirstStageFusion, PairScore, ScorerInfo

logger = logging.getLogger(__name__)


def check_first_stage_scores(scores: Any, sizes: Sequence[int], info: ScorerInfo) -> list[list[float]] | None:
    """One list of finite numbers per query, as long as its documents; None when not given.

    Only a relevance model trained on top of a retriever (``info.first_stage``) knows what to do with them.
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
    if info.first_stage is None:
        raise InvalidInputError(
            f"first_stage_scores were given but {info.model} was not trained on top of a retriever "
            "(its config has no first-stage fusion); drop first_stage_scores= or train one with "
            "RelevanceExample(first_stage=...)."
        )
    if isinstance(scores, (str, bytes)) or not isinstance(scores, Sequence) or len(scores) != len(sizes):
        got = len(scores) if isinstance(scores, Sequence) and not isinstance(scores, (str, bytes)) else None
        raise InvalidInputError(
            f"first_stage_scores must be one list of numbers per query: {len(sizes)} queries, "
            f"got {got if got is not None else type(scores).__name__}."
        )
    out: list[list[float]] = []
    for q, (row, size) in enumerate(zip(scores, sizes, strict=True)):
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence) or len(row) != size:
            raise InvalidInputError(
                f"first_stage_scores[{q}] must hold one number per document ({size}), got {_describe(row)}."
            )
        values = []
        for i, value in enumerate(row):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InvalidInputError(f"first_stage_scores[{q}][{i}] must be a finite number, got {value!r}.")
            values.append(float(value))
        out.append(values)
    return out


def fused_relevance(pair: PairScore, fusion: FirstStageFusion, first_stage_score: float) -> float:
    """sigmoid(relevance logit + scale * first-stage score + bias): the trained model's relevance."""
    if len(pair.logits) != 1:
        raise InvalidInputError("first-stage fusion needs a 1-logit relevance head")
    z = pair.logits[0] + fusion.scale * first_stage_score + fusion.bias
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def _describe(row: Any) -> str:
    if isinstance(row, Sequence) and not isinstance(row, (str, bytes)):
        return f"{len(row)} items"
    return type(row).__name__
