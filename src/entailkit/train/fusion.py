"""Fit how a retriever's score enters a relevance cross-encoder trained on top of it (``FirstStageFusion``).

The cross-encoder is then trained on ``logit + scale * first_stage + bias``: it starts as the retriever's
own ranking and learns only what the retriever gets wrong, which few training queries can teach.
"""

from __future__ import annotations

import numpy as np

from entailkit._numeric import fit_logistic
from entailkit.errors import InvalidInputError
from entailkit.types import FirstStageFusion

__all__ = ["fit_fusion"]


def fit_fusion(
    scores: np.ndarray, labels: np.ndarray, *, source: str = "first-stage retriever score", ridge: float = 1e-3
) -> FirstStageFusion:
    """Logistic regression of the (soft, in [0, 1]) labels on the retriever's scores (``fit_logistic``).

    Damped Newton from zero scale and bias, with an L2 penalty ``ridge`` on both.

    Args:
        scores: The retriever's score of each training pair (e.g. its cosine).
        labels: The pairs' relevance labels in [0, 1] (graded labels count as soft targets).
        source: What the scores are, saved with the fusion so inference can pass the same.
        ridge: L2 penalty on scale and bias, which keeps the fit finite when the labels are separable.

    Returns:
        The fitted ``scale`` and ``bias`` (``sigmoid(scale * score + bias)`` fits the labels).

    Raises:
        InvalidInputError: No scores, as many labels as scores not given, or a score that is not finite.
    """
    x = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(labels, dtype=np.float64).ravel()
    if x.size == 0 or x.size != y.size:
        raise InvalidInputError(f"fit_fusion needs as many labels as scores (>0), got {x.size} and {y.size}")
    if not np.isfinite(x).all():
        raise InvalidInputError("first-stage scores must be finite numbers")
    weights, bias = fit_logistic(x, y, ridge=ridge, init=[0.0, 0.0])
    return FirstStageFusion(scale=float(weights[0]), bias=bias, source=source)
