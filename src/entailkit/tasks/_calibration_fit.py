"""Pure-numpy fitting for calibration: temperature, Platt, isotonic (PAV), ECE and precision curves.

No scipy: each fit is a small convex problem (Newton with backtracking) or pool-adjacent-violators.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import NDArray

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


def sigmoid(z: FloatArray) -> FloatArray:
    """Numerically stable logistic function."""
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _nll(f: FloatArray, t: FloatArray) -> float:
    """Binary cross-entropy of logits ``f`` against (possibly soft) targets ``t``, summed."""
    # log(1 + e^f) - t f, written stably.
    return float(np.sum(np.logaddexp(0.0, f) - t * f))


def fit_temperature(z: FloatArray, y: FloatArray, *, max_iter: int = 100) -> float:
    """The temperature T > 0 minimising the NLL of sigmoid(z / T); Newton on a = 1 / T (convex in a)."""
    a = 1.0
    for _ in range(max_iter):
        p = sigmoid(a * z)
        grad = float(np.sum((p - y) * z))
        hess = float(np.sum(p * (1.0 - p) * z * z)) + 1e-12
        step = grad / hess
        current = _nll(a * z, y)
        scale = 1.0
        while scale > 1e-10:
            candidate = max(a - scale * step, MIN_SLOPE)
            if _nll(candidate * z, y) <= current + 1e-12:
                break
            scale /= 2.0
        new_a = max(a - scale * step, MIN_SLOPE)
        if abs(new_a - a) < 1e-10 * max(1.0, abs(a)):
            a = new_a
            break
        a = new_a
    if a <= MIN_SLOPE:
        logger.warning("calibration: scores do not increase with the labels; the temperature fit is flat.")
    return 1.0 / a


def fit_platt(z: FloatArray, y: FloatArray, *, max_iter: int = 100) -> tuple[float, float]:
    """Platt scaling: (slope, intercept) of sigmoid(slope * z + intercept), fitted by Newton's method on
    Platt's smoothed targets ((N+ + 1) / (N+ + 2) for positives, 1 / (N- + 2) for negatives)."""
    n_pos = float(np.sum(y))
    n_neg = float(len(y)) - n_pos
    t = np.where(y > 0.5, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))
    params = np.array([1.0, float(np.log((n_pos + 1.0) / (n_neg + 1.0)))])
    design = np.stack([z, np.ones_like(z)], axis=1)
    for _ in range(max_iter):
        f = design @ params
        p = sigmoid(f)
        grad = design.T @ (p - t)
        w = p * (1.0 - p)
        hess = (design * w[:, None]).T @ design + 1e-12 * np.eye(2)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = grad
        current = _nll(f, t)
        scale = 1.0
        while scale > 1e-10 and _nll(design @ (params - scale * step), t) > current + 1e-12:
            scale /= 2.0
        new = params - scale * step
        if float(np.max(np.abs(new - params))) < 1e-10:
            params = new
            break
        params = new
    return float(params[0]), float(params[1])


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


def expected_calibration_error(probs: FloatArray, labels: FloatArray, n_bins: int = 15) -> float:
    """ECE of positive-class probabilities: sum over equal-width bins of |positive rate - mean score|,
    weighted by the share of items in the bin (item p falls in bin min(floor(p * n_bins), n_bins - 1))."""
    bins = np.minimum((probs * n_bins).astype(np.int64), n_bins - 1)
    bins = np.maximum(bins, 0)
    counts = np.bincount(bins, minlength=n_bins).astype(np.float64)
    conf = np.bincount(bins, weights=probs, minlength=n_bins)
    acc = np.bincount(bins, weights=labels, minlength=n_bins)
    nonempty = counts > 0
    gap = np.abs(acc[nonempty] - conf[nonempty])
    return float(np.sum(gap) / len(probs))


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
