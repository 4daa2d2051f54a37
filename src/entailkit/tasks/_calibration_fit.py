"""Pure-numpy fitting for calibration: temperature, Platt, isotonic (PAV), ECE and precision curves.

No scipy: temperature and Platt are logistic regressions fitted by the one damped-Newton helper
(``entailkit._numeric.fit_logistic``); isotonic is pool-adjacent-violators, predicting as scikit-learn's
``IsotonicRegression(out_of_bounds="clip")`` does (pinned by tests/unit/test_logistic_parity.py).
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import NDArray

from entailkit._numeric import fit_logistic, sigmoid

__all__ = [
    "EPS",
    "MAX_CURVE_POINTS",
    "MIN_SLOPE",
    "FloatArray",
    "fit_isotonic",
    "fit_platt",
    "fit_temperature",
    "log_odds",
    "platt_targets",
    "precision_curve",
    "sigmoid",
]

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]

EPS = 1e-7
"""Probabilities are clipped to [EPS, 1 - EPS] before taking log-odds (a saturated 1.0 becomes 16.1)."""
MIN_SLOPE = 1e-4
"""Smallest inverse temperature: scores that anti-correlate with the labels give a flat calibrator."""
MAX_CURVE_POINTS = 256


def log_odds(p: FloatArray) -> FloatArray:
    """logit(p) with clipping, so 0 and 1 stay finite."""
    q = np.clip(p, EPS, 1.0 - EPS)
    return np.asarray(np.log(q) - np.log1p(-q), dtype=np.float64)


def fit_temperature(z: FloatArray, y: FloatArray, *, max_iter: int = 100) -> float:
    """The temperature T > 0 minimising the NLL of sigmoid(z / T).

    A logistic regression of ``y`` on ``z`` with no intercept (Newton on a = 1 / T, convex in a, by
    ``fit_logistic``), started at a = 1. Being one-dimensional and convex, the fit under the bound
    a >= MIN_SLOPE is the unbounded fit raised to the bound.

    Args:
        z: Log-odds of the raw scores.
        y: Labels in {0, 1}.
        max_iter: The most Newton steps.

    Returns:
        T (1 / MIN_SLOPE when the scores fall as the labels rise).
    """
    weights, _ = fit_logistic(z, y, fit_intercept=False, init=[1.0], max_iter=max_iter)
    a = max(float(weights[0]), MIN_SLOPE)
    if a <= MIN_SLOPE:
        logger.warning("calibration: scores do not increase with the labels; the temperature fit is flat.")
    return 1.0 / a


def platt_targets(y: FloatArray) -> FloatArray:
    """Platt's smoothed targets: (N+ + 1) / (N+ + 2) for positives, 1 / (N- + 2) for negatives.

    They keep the fit finite on separable scores and correct for the class prior (Platt, 1999).

    Args:
        y: Labels in {0, 1}.
    """
    n_pos = float(np.sum(y))
    n_neg = float(len(y)) - n_pos
    return np.where(y > 0.5, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))


def fit_platt(z: FloatArray, y: FloatArray, *, max_iter: int = 100) -> tuple[float, float]:
    """Platt scaling: (slope, intercept) of sigmoid(slope * z + intercept).

    An unpenalised logistic regression (``fit_logistic``) of Platt's smoothed targets
    (``platt_targets``) on ``z``, started at slope 1 and the prior log-odds.

    Args:
        z: Log-odds of the raw scores.
        y: Labels in {0, 1}.
        max_iter: The most Newton steps.
    """
    n_pos = float(np.sum(y))
    n_neg = float(len(y)) - n_pos
    start = [1.0, float(np.log((n_pos + 1.0) / (n_neg + 1.0)))]
    weights, intercept = fit_logistic(z, platt_targets(y), init=start, max_iter=max_iter)
    return float(weights[0]), intercept


def fit_isotonic(x: FloatArray, y: FloatArray) -> tuple[list[float], list[float]]:
    """Isotonic (non-decreasing) regression of ``y`` on ``x`` by pool-adjacent-violators.

    Returns knots (xs, ys) for linear interpolation: the first and last x of every pooled block with the
    block's mean label, which is how scikit-learn's IsotonicRegression predicts between blocks.
    """
    order = np.argsort(x, kind="stable")
    xs_sorted = x[order]
    ys_sorted = y[order]
    unique_x, start = np.unique(xs_sorted, return_index=True)
    weights = np.diff(np.append(start, len(xs_sorted))).astype(np.float64)
    sums = np.add.reduceat(ys_sorted, start)
    # Blocks: mean value, weight, first and last unique-x index.
    means: list[float] = []
    wts: list[float] = []
    first: list[int] = []
    last: list[int] = []
    for i in range(len(unique_x)):
        means.append(float(sums[i] / weights[i]))
        wts.append(float(weights[i]))
        first.append(i)
        last.append(i)
        while len(means) > 1 and means[-2] >= means[-1]:
            w = wts[-2] + wts[-1]
            m = (means[-2] * wts[-2] + means[-1] * wts[-1]) / w
            means[-2:] = [m]
            wts[-2:] = [w]
            first[-2:] = [first[-2]]
            last[-2:] = [last[-1]]
    knots_x: list[float] = []
    knots_y: list[float] = []
    for m, lo, hi in zip(means, first, last, strict=True):
        knots_x.append(float(unique_x[lo]))
        knots_y.append(m)
        if hi != lo:
            knots_x.append(float(unique_x[hi]))
            knots_y.append(m)
    return knots_x, knots_y


def precision_curve(scores: FloatArray, labels: FloatArray) -> list[tuple[float, float, float, int]]:
    """(threshold, precision, recall, support) of ``score >= threshold`` at every distinct score, thinned
    to at most MAX_CURVE_POINTS thresholds (highest and lowest always kept); thresholds descend."""
    order = np.argsort(-scores, kind="stable")
    s = scores[order]
    y = labels[order]
    tp = np.cumsum(y)
    support = np.arange(1, len(s) + 1)
    # Last index of every run of equal scores: 'score >= t' includes the whole run.
    ends = np.flatnonzero(np.append(s[1:] != s[:-1], True))
    if len(ends) > MAX_CURVE_POINTS:
        keep = np.unique(np.linspace(0, len(ends) - 1, MAX_CURVE_POINTS).round().astype(np.int64))
        ends = ends[keep]
    total_pos = float(tp[-1]) if len(tp) else 0.0
    out: list[tuple[float, float, float, int]] = []
    for e in ends:
        precision = float(tp[e] / support[e])
        recall = float(tp[e] / total_pos) if total_pos > 0 else 0.0
        out.append((float(s[e]), precision, recall, int(support[e])))
    return out
