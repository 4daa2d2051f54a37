"""Numpy core of routing: decide with thresholds, fit a router's blend weight, calibrator and thresholds
(the signals and their blend are in route_signals.py, the measures in route_metrics.py).

Matrices are ``(n_queries, n_routes)``; ``truth`` is a boolean matrix (an all-False row is an
out-of-scope query that should go to the fallback).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from entailkit import metrics
from entailkit.errors import InvalidInputError
from entailkit.tasks.calibration import Calibrator, fit_calibrator
from entailkit.tasks.route_metrics import BoolMatrix, Matrix, RouterState, top1_accuracy
from entailkit.tasks.route_signals import Signals, blend, final_scores
from entailkit.types import CalibrationMethod, RouteDecision, RouteSignal

__all__ = [
    "DEFAULT_BLEND_GRID",
    "MAX_THRESHOLD_CANDIDATES",
    "BoolMatrix",
    "Matrix",
    "RouterFit",
    "choose_blend_weight",
    "decide",
    "decision",
    "fit_router",
    "fit_thresholds",
    "route_decisions",
]

logger = logging.getLogger(__name__)

DEFAULT_BLEND_GRID: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(11))
MAX_THRESHOLD_CANDIDATES = 200


def decide(scores: Matrix, thresholds: NDArray[np.float64], multi: bool) -> BoolMatrix:
    """Routes taken per query: every route at or above its threshold (multi), or the best route (first
    on ties) when it reaches its own threshold (single); an all-False row means the fallback.

    Args:
        scores: ``(n_queries, n_routes)`` final scores.
        thresholds: One threshold per route.
        multi: Take every passing route instead of the best one.
    """
    passing = scores >= thresholds[None, :]
    if multi:
        return passing
    best = np.argmax(scores, axis=1)  # first of equal maxima: route order breaks ties
    rows = np.arange(len(scores))
    chosen = np.zeros_like(passing)
    chosen[rows, best] = passing[rows, best]
    return chosen


def decision(
    query: str,
    names: Sequence[str],
    fallback: str | None,
    blend_weight: float,
    signals: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None],
    taken: NDArray[np.bool_],
) -> RouteDecision:
    """The RouteDecision of one query from its (final scores, zero-shot, kNN or None) rows and the routes
    it takes (``decide``): best route first, the fallback when none, and the signal that decided.

    Args:
        query: The query.
        names: The route names, in column order.
        fallback: The fallback route name, or None.
        blend_weight: The router's kNN weight.
        signals: The query's final scores, zero-shot scores and kNN votes (None without kNN hits).
        taken: The query's row of ``decide``.
    """
    scores, zero_shot, knn = signals
    order = sorted(np.flatnonzero(taken), key=lambda j: (-scores[j], j))
    chosen = [names[int(j)] for j in order]
    signal: RouteSignal
    if not chosen:
        signal = "fallback"
    elif knn is None or blend_weight == 0.0:
        signal = "zero-shot"
    elif blend_weight == 1.0:
        signal = "knn"
    else:
        best = order[0]
        by_zero_shot = int(np.argmax(zero_shot)) == best
        by_knn = int(np.argmax(knn)) == best
        signal = "both" if by_zero_shot and by_knn else "zero-shot" if by_zero_shot else "knn" if by_knn else "blend"
    return RouteDecision(
        query=query,
        route=chosen[0] if chosen else fallback,
        routes=tuple(chosen),
        scores=dict(zip(names, (float(s) for s in scores), strict=True)),
        zero_shot=dict(zip(names, (float(s) for s in zero_shot), strict=True)),
        knn=None if knn is None else dict(zip(names, (float(s) for s in knn), strict=True)),
        decided_by=signal,
        abstained=not chosen,
        blend_weight=blend_weight if knn is not None else 0.0,
    )


def route_decisions(router: RouterState, texts: Sequence[str], signals: Signals) -> list[RouteDecision]:
    """The decisions of ``Router.route_many``: the final scores of the queries' signals, thresholded.

    Args:
        router: The router (route names, fallback, ``multi``, blend weight, thresholds, calibrator).
        texts: The queries.
        signals: Their ``(zero-shot, kNN votes, has-kNN mask)``.
    """
    zero_shot, knn, has = signals
    scores = final_scores(zero_shot, knn, has, router.blend_weight, router.calibrator)
    thresholds = np.array([router.thresholds[n] for n in router.names], dtype=np.float64)
    taken = decide(scores, thresholds, router.multi)
    return [
        decision(
            text,
            router.names,
            router.fallback,
            router.blend_weight,
            (scores[i], zero_shot[i], knn[i] if has[i] else None),
            taken[i],
        )
        for i, text in enumerate(texts)
    ]


def choose_blend_weight(
    zero_shot: Matrix,
    knn: Matrix,
    has_knn: NDArray[np.bool_],
    truth: BoolMatrix,
    grid: Sequence[float],
) -> tuple[float, list[tuple[float, float]]]:
    """The weight of the grid with the best top-1 accuracy (ties: the one nearest 0.5), and every result.

    Args:
        zero_shot: ``(n_queries, n_routes)`` zero-shot scores.
        knn: ``(n_queries, n_routes)`` kNN votes.
        has_knn: Per query, whether it had kNN hits.
        truth: ``(n_queries, n_routes)`` true routes.
        grid: The weights to try (not empty).

    Returns:
        ``(best weight, [(weight, top-1 accuracy), ...])``.
    """
    search = [(float(w), top1_accuracy(blend(zero_shot, knn, has_knn, float(w)), truth)) for w in grid]
    best = max(acc for _, acc in search)
    tied = [w for w, acc in search if acc >= best - 1e-12]
    return min(tied, key=lambda w: (abs(w - 0.5), w)), search


def _candidates(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """0, the midpoints between consecutive distinct scores, and one above the top score: one threshold
    per distinct outcome, each halfway between the scores it separates (thinned to at most
    MAX_THRESHOLD_CANDIDATES quantiles of the scores)."""
    distinct = np.unique(values)
    if len(distinct) > MAX_THRESHOLD_CANDIDATES:
        distinct = np.unique(np.quantile(distinct, np.linspace(0.0, 1.0, MAX_THRESHOLD_CANDIDATES)))
    if len(distinct) == 0:
        return np.zeros(1)
    mids = (distinct[1:] + distinct[:-1]) / 2.0
    above = (distinct[-1] + 1.0) / 2.0 if distinct[-1] < 1.0 else 1.0
    return np.unique(np.concatenate([[0.0], mids, [above]]))


def fit_thresholds(
    scores: Matrix,
    truth: BoolMatrix,
    multi: bool,
    *,
    target_precision: float | None = None,
    names: Sequence[str] | None = None,
) -> NDArray[np.float64]:
    """Per-route thresholds.

    - target_precision: the lowest threshold at which the route's precision reaches the target (1.0,
      i.e. almost never taken, when no threshold does; logged).
    - multi: per route, the threshold with the best F1 of "score >= threshold" against the truth.
    - single: per route, over the queries it tops, the threshold with the most correct decisions
      (taken for a true route, abstaining on an out-of-scope query); lowest threshold on ties. Exact,
      because a route's threshold only decides the queries it tops.

    Args:
        scores: ``(n_queries, n_routes)`` final scores.
        truth: ``(n_queries, n_routes)`` true routes (an all-False row: out of scope).
        multi: Whether the router takes several routes.
        target_precision: The precision each route's threshold must reach (None: the rules above).
        names: The route names, for the warning when a route never reaches ``target_precision``.
    """
    n_routes = scores.shape[1]
    thresholds = np.zeros(n_routes, dtype=np.float64)
    if target_precision is not None:
        labels = list(names) if names is not None else [str(j) for j in range(n_routes)]
        return _precision_thresholds(scores, truth, multi, target_precision, labels)
    if multi:
        for j in range(n_routes):
            candidates = _candidates(scores[:, j])
            if not truth[:, j].any():  # never right: take it never
                thresholds[j] = float(candidates[-1])
                continue
            best_f1, best_t = -1.0, 0.0
            for t in candidates:
                f1 = metrics.f1(truth[:, j], scores[:, j] >= t, pos_label=True)
                if f1 > best_f1 + 1e-12:
                    best_f1, best_t = f1, float(t)
            thresholds[j] = best_t
        return thresholds
    best = np.argmax(scores, axis=1)
    abstain_ok: NDArray[np.bool_] = np.asarray(~truth.any(axis=1))
    for j in range(n_routes):
        top = best == j
        s, right, out_of_scope = scores[top, j], truth[top, j], abstain_ok[top]
        best_correct, best_t = -1, 0.0
        for t in _candidates(s):
            n_correct = int(np.sum((s >= t) & right) + np.sum((s < t) & out_of_scope))
            if n_correct > best_correct:
                best_correct, best_t = n_correct, float(t)
        thresholds[j] = best_t
    return thresholds


def _precision_thresholds(
    scores: Matrix, truth: BoolMatrix, multi: bool, target: float, names: Sequence[str]
) -> NDArray[np.float64]:
    n_routes = scores.shape[1]
    out = np.ones(n_routes, dtype=np.float64)
    top = decide(scores, np.zeros(n_routes), multi=False)
    for j in range(n_routes):
        eligible = np.ones(len(scores), dtype=bool) if multi else top[:, j]
        s, y = scores[eligible, j], truth[eligible, j]
        reached = [t for t in _candidates(s) if np.sum(s >= t) and np.mean(y[s >= t]) >= target - 1e-12]
        if reached:
            out[j] = float(min(reached))
        else:
            logger.warning("router fit: route %r never reaches precision %.2f; its threshold is 1.0.", names[j], target)
    return out


@dataclass(frozen=True)
class RouterFit:
    """What ``fit_router`` chose: the blend weight, the calibrator, the thresholds and the decisions."""

    blend_weight: float
    calibrator: Calibrator | None
    thresholds: NDArray[np.float64]
    taken: BoolMatrix
    search: list[tuple[float, float]]


def fit_router(
    router: RouterState,
    signals: Signals,
    truth: BoolMatrix,
    *,
    grid: Sequence[float],
    calibration: CalibrationMethod | None,
    target_precision: float | None,
    model: str | None,
) -> RouterFit:
    """The work of ``Router.fit`` on the fit queries' signals: blend weight, calibrator, thresholds.

    Args:
        router: The router (route names, ``multi``, and the blend weight kept when no query has kNN hits).
        signals: ``(zero-shot, kNN votes, has-kNN mask)`` of the fit queries (leave-one-out kNN).
        truth: ``(n_queries, n_routes)`` true routes.
        grid: The blend weights to try (used only when some query has kNN hits).
        calibration: The calibration method to fit on the blended scores, or None (no calibrator).
        target_precision: The precision each threshold must reach (None: see ``fit_thresholds``).
        model: The zero-shot scorer's model id, saved with the calibrator.

    Raises:
        InvalidInputError: ``grid`` is empty while some query has kNN hits, or as ``fit_calibrator``.
    """
    zero_shot, knn, has = signals
    weight, search = router.blend_weight, list[tuple[float, float]]()
    if has.any():
        if not grid:
            raise InvalidInputError("blend_weights is empty; pass weights in [0, 1] or None for the default grid.")
        weight, search = choose_blend_weight(zero_shot, knn, has, truth, grid)
    calibrator: Calibrator | None = None
    if calibration is not None:
        raw = blend(zero_shot, knn, has, weight)
        calibrator = fit_calibrator(
            [float(x) for x in raw.ravel()], [int(x) for x in truth.ravel()], calibration, model=model
        )
    scores = final_scores(zero_shot, knn, has, weight, calibrator)
    thresholds = fit_thresholds(scores, truth, router.multi, target_precision=target_precision, names=router.names)
    return RouterFit(weight, calibrator, thresholds, decide(scores, thresholds, router.multi), search)
