"""The two signals a Router blends, each a score per route in [0, 1]:

- zero-shot: ``scorer.score_labels(query, descriptions, hypothesis_template=router.template)``; a softmax
  over routes (single) or an independent entailment score per route (``multi=True``);
- kNN (when routes have example utterances and an embedding scorer is given): the similarity-weighted
  vote of the query's k nearest utterances (see ``_route_knn``).

score[r] = w * knn[r] + (1 - w) * zero_shot[r]  (zero_shot alone for a query with no kNN hit), then the
calibrator if any.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from entailkit.scorers.base import Scorer
from entailkit.tasks._calibration_protocol import apply_calibrator
from entailkit.tasks._route_knn import UtteranceIndex, knn_votes
from entailkit.types import Route

__all__ = ["SignalSource", "Signals", "blend", "final_scores", "route_signals"]

Signals = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]
"""``(zero-shot scores, kNN votes, has-kNN mask)``: two ``(n_queries, n_routes)`` matrices and a mask."""


class SignalSource(Protocol):
    """What ``route_signals`` reads of a ``Router`` (this module does not import routing.py)."""

    @property
    def scorer(self) -> Scorer: ...
    @property
    def routes(self) -> tuple[Route, ...]: ...
    @property
    def names(self) -> list[str]: ...
    @property
    def template(self) -> str: ...
    @property
    def multi(self) -> bool: ...
    @property
    def uses_knn(self) -> bool: ...
    @property
    def k(self) -> int: ...
    @property
    def min_similarity(self) -> float: ...
    @property
    def knn_temperature(self) -> float: ...


def route_signals(
    router: SignalSource,
    texts: Sequence[str],
    utterances: Callable[[], UtteranceIndex],
    *,
    show_progress: bool = False,
    exclude_self: bool = False,
) -> Signals:
    """The zero-shot matrix, the kNN vote matrix and the has-kNN mask of ``texts``.

    Args:
        router: The router (scorer, routes, template, ``multi`` and the kNN options).
        texts: The queries.
        utterances: Gives the index of the routes' example utterances (called only with the kNN signal on).
        show_progress: Show a progress bar while scoring.
        exclude_self: Utterances equal to a query do not vote for it (leave-one-out, when fitting).
    """
    descriptions = [r.description for r in router.routes]
    result = router.scorer.score_labels(
        list(texts),
        descriptions,
        hypothesis_template=router.template,
        multi_label=router.multi,
        show_progress=show_progress,
    )
    zero_shot = np.array([list(item.scores) for item in result.items], dtype=np.float64).reshape(
        len(texts), len(descriptions)
    )
    if not router.uses_knn:
        return zero_shot, np.zeros_like(zero_shot), np.zeros(len(texts), dtype=bool)
    hits = utterances().search(texts, router.k, router.min_similarity, exclude_self=exclude_self)
    knn, has = knn_votes(hits, router.names, temperature=router.knn_temperature)
    return zero_shot, knn, has


def blend(
    zero_shot: NDArray[np.float64], knn: NDArray[np.float64], has_knn: NDArray[np.bool_], weight: float
) -> NDArray[np.float64]:
    """score = weight * knn + (1 - weight) * zero_shot where a query has kNN hits, else zero_shot.

    Args:
        zero_shot: ``(n_queries, n_routes)`` zero-shot scores.
        knn: ``(n_queries, n_routes)`` kNN votes.
        has_knn: Per query, whether it had kNN hits.
        weight: The kNN weight in [0, 1].
    """
    mixed = weight * knn + (1.0 - weight) * zero_shot
    return np.where(has_knn[:, None], mixed, zero_shot)


def final_scores(
    zero_shot: NDArray[np.float64], knn: NDArray[np.float64], has_knn: NDArray[np.bool_], weight: float, calibrator: Any
) -> NDArray[np.float64]:
    """The blended scores (``blend``), calibrated by ``calibrator`` when there is one.

    Args:
        zero_shot: ``(n_queries, n_routes)`` zero-shot scores.
        knn: ``(n_queries, n_routes)`` kNN votes.
        has_knn: Per query, whether it had kNN hits.
        weight: The kNN weight in [0, 1].
        calibrator: Anything with ``transform``, or None.
    """
    mixed = blend(zero_shot, knn, has_knn, weight)
    if calibrator is None:
        return mixed
    flat = apply_calibrator(calibrator, [float(x) for x in mixed.ravel()])
    return np.array(flat, dtype=np.float64).reshape(mixed.shape)
