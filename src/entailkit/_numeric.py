"""The one stable sigmoid, softmax and logistic-regression fit (numpy only), shared by every layer.

Scorers turn logits into probabilities with ``sigmoid`` / ``softmax``; calibration (Platt, temperature)
and first-stage fusion fit ``sigmoid(features @ weights + intercept)`` with ``fit_logistic``. Keeping one
definition here, below every layer that uses them, means a probability is computed the same way
everywhere and a fix to the numerics lands once.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["fit_logistic", "sigmoid", "softmax"]

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]


def sigmoid(x: ArrayLike) -> FloatArray:
    """The logistic function ``1 / (1 + exp(-x))`` in float64, without overflow.

    ``exp`` is only ever taken of a non-positive number, so huge inputs of either sign give exactly
    0.0 or 1.0 and no floating-point warning.

    Args:
        x: The values (any shape; a scalar gives a 0-d array).

    Returns:
        The probabilities, the shape of ``x``.
    """
    z = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.asarray(np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)), dtype=np.float64)


def softmax(logits: ArrayLike, axis: int = -1) -> FloatArray:
    """Softmax in float64 over ``axis``, shifted by the maximum so ``exp`` never overflows.

    Args:
        logits: The values.
        axis: The axis to normalise over.

    Returns:
        Probabilities summing to 1 along ``axis``.
    """
    z = np.asarray(logits, dtype=np.float64)
    with np.errstate(over="ignore"):  # a shift past -1.8e308 is -inf, whose exp is the exact 0 wanted
        e = np.exp(z - z.max(axis=axis, keepdims=True))
    return np.asarray(e / e.sum(axis=axis, keepdims=True), dtype=np.float64)


def _loss(f: FloatArray, y: FloatArray, w: FloatArray) -> float:
    """Weighted binary cross-entropy of logits ``f`` against (soft) targets ``y``: sum w (log(1+e^f) - y f)."""
    return float(np.sum(w * (np.logaddexp(0.0, f) - y * f)))


def fit_logistic(
    features: ArrayLike,
    y: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    fit_intercept: bool = True,
    ridge: float = 0.0,
    init: ArrayLike | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> tuple[FloatArray, float]:
    """Logistic regression of targets in [0, 1] on ``features`` by damped Newton's method (IRLS).

    Minimises ``sum_i w_i (log(1 + e^f_i) - y_i f_i) + ridge / 2 * |params|^2`` with
    ``f = features @ weights + intercept``. Soft targets are allowed (a target t counts as t of a
    positive and 1 - t of a negative), so Platt's smoothed targets and graded relevance labels fit
    directly. Each Newton step is halved until the loss does not rise (backtracking), so the loss
    never increases.

    With ``ridge=0`` (no penalty, the default) the fit is scikit-learn's
    ``LogisticRegression(C=np.inf)``. On separable data that optimum is at infinity: the weights then
    grow each step until the gradient falls below ``tol`` or ``max_iter`` steps have run, and the
    (large, finite) weights reached are returned, the same for the same input. Pass a small ``ridge``
    for a finite fit; it penalises the intercept too.

    Args:
        features: An (n, d) matrix (a 1-d array is one feature).
        y: n targets in [0, 1].
        sample_weight: n non-negative weights (None: all 1).
        fit_intercept: Fit an intercept (False: it is 0).
        ridge: L2 penalty on the weights and the intercept (0: none).
        init: Starting ``[*weights, intercept]`` (``[*weights]`` without an intercept); None starts at
            zero weights and the log-odds of the weighted mean target.
        max_iter: The most Newton steps.
        tol: Stop once a step moves no parameter by more than ``tol * max(1, |params|)``, or the
            largest gradient entry is below ``tol`` times the total weight.

    Returns:
        ``(weights, intercept)``: the d weights and the intercept (0.0 without one).

    Raises:
        ValueError: The shapes of ``features``, ``y`` and ``sample_weight`` do not agree.
    """
    x = np.asarray(features, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    t = np.asarray(y, dtype=np.float64).ravel()
    w = np.ones_like(t) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64).ravel()
    if x.ndim != 2 or x.shape[0] != t.size or w.size != t.size:
        raise ValueError(f"fit_logistic: features {x.shape}, targets {t.shape} and weights {w.shape} disagree")
    design = np.hstack([x, np.ones((x.shape[0], 1))]) if fit_intercept else x
    k = design.shape[1]
    if init is not None:
        params = np.asarray(init, dtype=np.float64).ravel().copy()
    else:
        params = np.zeros(k)
        if fit_intercept and w.sum() > 0:
            mean = float(np.clip(np.dot(w, t) / w.sum(), 1e-6, 1.0 - 1e-6))
            params[-1] = np.log(mean / (1.0 - mean))
    total = max(float(w.sum()), 1e-300)

    def objective(p: FloatArray) -> float:
        return _loss(design @ p, t, w) + 0.5 * ridge * float(p @ p)

    current = objective(params)
    for _ in range(max_iter):
        p = sigmoid(design @ params)
        grad = design.T @ (w * (p - t)) + ridge * params
        if float(np.max(np.abs(grad))) < tol * total:
            break
        hess = (design * (w * p * (1.0 - p))[:, None]).T @ design + (ridge + 1e-12) * np.eye(k)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = grad
        scale = 1.0
        while scale > 1e-10:
            candidate = params - scale * step
            value = objective(candidate)
            if value <= current + 1e-12 * max(1.0, abs(current)):
                break
            scale /= 2.0
        else:
            break  # no step lowers the loss: at the optimum to machine precision
        moved = float(np.max(np.abs(candidate - params)))
        params, current = candidate, value
        if moved <= tol * max(1.0, float(np.max(np.abs(params)))):
            break
    else:
        logger.debug("fit_logistic: %d Newton steps without converging (separable data?)", max_iter)
    if fit_intercept:
        return params[:-1].copy(), float(params[-1])
    return params.copy(), 0.0
