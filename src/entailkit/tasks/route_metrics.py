"""Measures of routing decisions: correctness, per-route precision / recall / F1, top-1 accuracy, reports.

Matrices are ``(n_queries, n_routes)``; ``truth`` is a boolean matrix (an all-False row is an
out-of-scope query that should go to the fallback).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from entailkit import metrics
from entailkit.types import RouteDecision, RouteMetrics, RouterReport

__all__ = [
    "BoolMatrix",
    "Matrix",
    "RouterState",
    "correct",
    "decision_matrices",
    "per_route_metrics",
    "router_report",
    "top1_accuracy",
]

Matrix = NDArray[np.float64]
BoolMatrix = NDArray[np.bool_]


class RouterState(Protocol):
    """What the routing functions read of a ``Router`` (these modules do not import routing.py)."""

    @property
    def names(self) -> list[str]: ...
    @property
    def fallback(self) -> str | None: ...
    @property
    def multi(self) -> bool: ...
    @property
    def blend_weight(self) -> float: ...
    @property
    def thresholds(self) -> dict[str, float]: ...
    @property
    def calibrator(self) -> Any: ...


def correct(pred: BoolMatrix, truth: BoolMatrix, multi: bool) -> NDArray[np.bool_]:
    """Per query: multi, the routes taken equal the true set; single, the route taken is a true route,
    or no route is taken and the query is out of scope.

    Args:
        pred: ``(n_queries, n_routes)`` routes taken.
        truth: ``(n_queries, n_routes)`` true routes.
        multi: Whether the router takes several routes.
    """
    if multi:
        return np.asarray(np.all(pred == truth, axis=1))
    hit = np.any(pred & truth, axis=1)
    both_empty = ~pred.any(axis=1) & ~truth.any(axis=1)
    return np.asarray(hit | both_empty)


def per_route_metrics(pred: BoolMatrix, truth: BoolMatrix, names: Sequence[str]) -> dict[str, RouteMetrics]:
    """Precision, recall and F1 of every route (``entailkit.metrics``; 0.0 where undefined).

    Args:
        pred: ``(n_queries, n_routes)`` routes taken.
        truth: ``(n_queries, n_routes)`` true routes.
        names: The route names, in column order.
    """
    out: dict[str, RouteMetrics] = {}
    for j, name in enumerate(names):
        taken, true = pred[:, j], truth[:, j]
        out[name] = RouteMetrics(
            precision=metrics.precision(true, taken, pos_label=True),
            recall=metrics.recall(true, taken, pos_label=True),
            f1=metrics.f1(true, taken, pos_label=True),
            support=int(np.sum(true)),
            predicted=int(np.sum(taken)),
        )
    return out


def top1_accuracy(scores: Matrix, truth: BoolMatrix) -> float:
    """Share of in-scope queries whose best-scoring route is a true route (no thresholds).

    Args:
        scores: ``(n_queries, n_routes)`` scores.
        truth: ``(n_queries, n_routes)`` true routes; with no query in scope the accuracy is 0.0.
    """
    rows = truth.any(axis=1)
    if not rows.any():
        return 0.0
    best = np.argmax(scores[rows], axis=1)
    return float(np.mean(truth[rows][np.arange(len(best)), best]))


def decision_matrices(decisions: Sequence[RouteDecision], names: Sequence[str]) -> tuple[BoolMatrix, BoolMatrix]:
    """The routes taken ``(n_decisions, n_routes)`` and the has-kNN mask of decisions already made.

    Args:
        decisions: The decisions (``Router.route_many``).
        names: The route names, in column order.
    """
    taken = np.array([[name in d.routes for name in names] for d in decisions], dtype=bool)
    has = np.array([d.knn is not None for d in decisions], dtype=bool)
    return taken, has


def router_report(
    router: RouterState,
    split: Any,
    taken: BoolMatrix,
    truth: BoolMatrix,
    has: NDArray[np.bool_],
    search: Sequence[tuple[float, float]] = (),
) -> RouterReport:
    """The ``RouterReport`` of decisions against the truth (``Router.fit``, ``evaluate`` and ``report``).

    Args:
        router: The router (its route names, ``multi``, blend weight and thresholds are reported).
        split: ``"fit"`` or ``"evaluate"``.
        taken: ``(n_queries, n_routes)`` routes taken.
        truth: ``(n_queries, n_routes)`` true routes.
        has: Per query, whether it had kNN hits.
        search: The ``(weight, top-1 accuracy)`` results of the blend-weight search, if one ran.
    """
    return RouterReport(
        split=split,
        n=len(taken),
        accuracy=float(np.mean(correct(taken, truth, router.multi))),
        abstention_rate=float(np.mean(~taken.any(axis=1))),
        per_route=per_route_metrics(taken, truth, router.names),
        blend_weight=router.blend_weight if has.any() else 0.0,
        thresholds=router.thresholds,
        signals=("zero-shot", "knn") if has.any() else ("zero-shot",),
        blend_search=tuple(search),
    )
