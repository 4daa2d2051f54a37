"""Router: send a query to one of several routes (or several, or a fallback) with one NLI model.

Two signals, each a score per route in [0, 1]:

- zero-shot: ``scorer.score_labels(query, descriptions, hypothesis_template)``; a softmax over routes
  (single) or an independent entailment score per route (``multi=True``);
- kNN (when routes have example utterances and an embedding scorer is given): the similarity-weighted
  vote of the query's k nearest utterances (see ``_route_knn``).

score[r] = w * knn[r] + (1 - w) * zero_shot[r]  (zero_shot alone for a query with no kNN hit), then the
calibrator if any. A route is taken when its score reaches its threshold: the best such route, or all of
them with ``multi=True``; when none does, the fallback. ``fit`` tunes w and the thresholds.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from entailkit._validation import (
    check_bool,
    check_finite,
    check_positive_int,
    check_probability,
    check_query,
    check_template,
    check_text,
)
from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer
from entailkit.tasks import route_fit
from entailkit.tasks._calibration_protocol import apply_calibrator, check_calibrator
from entailkit.tasks._route_knn import UtteranceIndex, knn_votes
from entailkit.tasks.calibration import METHODS, Calibrator, fit_calibrator
from entailkit.tasks.route_io import (
    RouteLabel,
    RouterFile,
    check_queries,
    check_routes,
    check_weight,
    read_routes_file,
    truth_matrix,
)
from entailkit.types import CalibrationMethod, Route, RouteDecision, RouterReport

logger = logging.getLogger(__name__)

DEFAULT_ROUTE_TEMPLATE = "This text is about {}."
MULTI_DEFAULT_THRESHOLD = 0.5


class Router:
    """Route queries with a Scorer (zero-shot over route descriptions), optionally blended with kNN over
    example utterances embedded by ``embedding_scorer``."""

    def __init__(
        self,
        scorer: Scorer,
        routes: Sequence[Route | Mapping[str, Any]],
        *,
        fallback: str | None = None,
        multi: bool = False,
        embedding_scorer: Any = None,
        hypothesis_template: str = DEFAULT_ROUTE_TEMPLATE,
        blend_weight: float = 0.5,
        k: int = 10,
        knn_temperature: float = 0.05,
        min_similarity: float = 0.0,
        threshold: float | None = None,
        calibrator: Any = None,
    ) -> None:
        """Check the scorers, the routes and every option once.

        Args:
            scorer: The zero-shot scorer (an NLI cross-encoder or GLiClass model) that reads the route
                descriptions.
            routes: The routes: ``Route`` objects or dicts with ``name``, ``description`` and optionally
                ``examples`` and ``threshold``; names and descriptions must be distinct.
            fallback: The route name returned when no route passes its threshold (None: ``route`` is None);
                must not be a route's name.
            multi: Take every route that passes its threshold (compound queries) instead of the best one;
                zero-shot scores are then independent per route.
            embedding_scorer: An embedding scorer (``load_scorer(model, kind="embedding")``) for the kNN
                signal over the routes' example utterances; None: zero-shot only.
            hypothesis_template: How a route description becomes the hypothesis, with one ``{}``.
            blend_weight: ``w`` in ``score = w * knn + (1 - w) * zero_shot``, in [0, 1]; ``fit`` tunes it.
            k: How many nearest utterances vote in the kNN signal.
            knn_temperature: The temperature of the similarity-weighted vote (> 0; lower: the nearest
                utterances weigh more).
            min_similarity: Utterances less similar than this (cosine) do not vote.
            threshold: The threshold of routes that have none of their own, in [0, 1]; None: 0.5 for multi
                routers, 0.0 (always take the best route) otherwise. ``fit`` sets per-route thresholds.
            calibrator: Maps blended scores to calibrated probabilities (anything with ``transform``);
                ``fit(calibration=)`` fits one.

        Raises:
            InvalidInputError: ``scorer`` is not a Scorer, ``embedding_scorer`` has no ``embed``, the routes
                are empty, malformed or repeated, ``fallback`` is blank or a route name, or an option is out
                of range or of the wrong type.
        """
        if not isinstance(scorer, Scorer):
            raise InvalidInputError(
                f"scorer must be an entailkit Scorer (from load_scorer), got {type(scorer).__name__}."
            )
        if embedding_scorer is not None and not callable(getattr(embedding_scorer, "embed", None)):
            raise InvalidInputError(
                "embedding_scorer must be an EmbeddingScorer (with embed()), "
                f"got {type(embedding_scorer).__name__}; "
                "load one with load_scorer(model, kind='embedding')."
            )
        self.scorer = scorer
        self.embedding_scorer = embedding_scorer
        self._routes = check_routes(routes)
        if fallback is not None and (not isinstance(fallback, str) or not fallback.strip()):
            raise InvalidInputError(f"fallback must be a non-empty str or None, got {fallback!r}.")
        if fallback is not None:
            check_text(fallback, "fallback")
        if fallback in self.names:
            raise InvalidInputError(f"fallback {fallback!r} is also a route name; the fallback must be distinct.")
        self.fallback = fallback
        self.multi = check_bool(multi, "multi")
        self.hypothesis_template = check_template(hypothesis_template)
        self.blend_weight = check_weight(blend_weight)
        self.k = int(check_positive_int(k, "k", allow_none=False) or 1)
        self.knn_temperature = check_finite(knn_temperature, "knn_temperature", low=0.0, low_open=True)
        self.min_similarity = check_finite(min_similarity, "min_similarity")
        self.threshold = check_probability(threshold, "threshold")
        self.calibrator = calibrator
        self._index: UtteranceIndex | None = None
        if embedding_scorer is None and any(r.examples for r in self._routes):
            logger.info("router: routes have example utterances but no embedding_scorer; kNN signal off.")

    # -- configuration -----------------------------------------------------------------------------

    @property
    def routes(self) -> tuple[Route, ...]:
        """The routes, with the thresholds ``fit`` set."""
        return self._routes

    @property
    def names(self) -> list[str]:
        """The route names, in route order (the order that breaks ties)."""
        return [r.name for r in self._routes]

    @property
    def blend_weight(self) -> float:
        """w in score = w * knn + (1 - w) * zero_shot."""
        return self._blend_weight

    @blend_weight.setter
    def blend_weight(self, value: float) -> None:
        self._blend_weight = check_weight(value)

    @property
    def calibrator(self) -> Any:
        """The calibrator applied to blended scores, or None (set by ``fit(calibration=)`` or by hand)."""
        return self._calibrator

    @calibrator.setter
    def calibrator(self, value: Any) -> None:
        self._calibrator = check_calibrator(value)

    @property
    def thresholds(self) -> dict[str, float]:
        """The threshold in force for every route (its own, else the router's, else the default)."""
        default = self.threshold if self.threshold is not None else (MULTI_DEFAULT_THRESHOLD if self.multi else 0.0)
        return {r.name: r.threshold if r.threshold is not None else default for r in self._routes}

    @property
    def uses_knn(self) -> bool:
        """Whether the kNN signal is on: an embedding scorer is set and some route has example utterances."""
        return self.embedding_scorer is not None and any(r.examples for r in self._routes)

    # -- routing -----------------------------------------------------------------------------------

    def route(self, query: str) -> RouteDecision:
        """The decision for one query (an empty or blank query is refused, as by Reranker).

        Args:
            query: The query (a non-blank str; for a list use ``route_batch``).

        Returns:
            The chosen route (or the fallback), every route's score and the signal that decided.

        Raises:
            InvalidInputError: ``query`` is not a str, or is empty or blank.
        """
        if not isinstance(query, str):
            raise InvalidInputError(f"query must be a str, got {type(query).__name__}; use route_batch for lists.")
        return self.route_batch([check_query(query, "query", purpose="route")])[0]

    def route_batch(self, queries: Sequence[str], *, show_progress: bool = False) -> list[RouteDecision]:
        """Decisions for many queries, batched, in input order (empty gives empty; a blank query is refused).

        Args:
            queries: The queries (a list of non-blank str).
            show_progress: Show a progress bar while scoring.

        Returns:
            One ``RouteDecision`` per query.

        Raises:
            InvalidInputError: ``queries`` is not a list of str, a query is blank, or ``show_progress`` is not
                a bool.
        """
        check_bool(show_progress, "show_progress")
        texts = check_queries(queries, "queries")
        if not texts:
            return []
        zero_shot, knn, has_knn = self._signals(texts, show_progress=show_progress)
        scores = self._final(zero_shot, knn, has_knn, self.blend_weight)
        thresholds = np.array([self.thresholds[n] for n in self.names], dtype=np.float64)
        taken = route_fit.decide(scores, thresholds, self.multi)
        return [
            route_fit.decision(
                text,
                self.names,
                self.fallback,
                self.blend_weight,
                (scores[i], zero_shot[i], knn[i] if has_knn[i] else None),
                taken[i],
            )
            for i, text in enumerate(texts)
        ]

    def _signals(
        self, texts: list[str], *, show_progress: bool = False, exclude_self: bool = False
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
        """Zero-shot matrix, kNN vote matrix and has-kNN mask of ``texts``."""
        descriptions = [r.description for r in self._routes]
        result = self.scorer.score_labels(
            texts,
            descriptions,
            hypothesis_template=self.hypothesis_template,
            multi_label=self.multi,
            show_progress=show_progress,
        )
        zero_shot = np.array([list(item.scores) for item in result.items], dtype=np.float64).reshape(
            len(texts), len(descriptions)
        )
        if not self.uses_knn:
            return zero_shot, np.zeros_like(zero_shot), np.zeros(len(texts), dtype=bool)
        hits = self._utterances().search(texts, self.k, self.min_similarity, exclude_self=exclude_self)
        knn, has = knn_votes(hits, self.names, temperature=self.knn_temperature)
        return zero_shot, knn, has

    def _utterances(self) -> UtteranceIndex:
        if self._index is None:
            pairs = [(r.name, text) for r in self._routes for text in r.examples]
            self._index = UtteranceIndex(self.embedding_scorer, pairs)
        return self._index

    def _final(
        self, zero_shot: NDArray[np.float64], knn: NDArray[np.float64], has: NDArray[np.bool_], weight: float
    ) -> NDArray[np.float64]:
        mixed = route_fit.blend(zero_shot, knn, has, weight)
        if self._calibrator is None:
            return mixed
        flat = apply_calibrator(self._calibrator, [float(x) for x in mixed.ravel()])
        return np.array(flat, dtype=np.float64).reshape(mixed.shape)

    # -- fitting and evaluation --------------------------------------------------------------------

    def fit(
        self,
        queries: Sequence[str],
        route_names: Sequence[RouteLabel],
        *,
        blend_weights: Sequence[float] | None = None,
        calibration: CalibrationMethod | None = None,
        target_precision: float | None = None,
        show_progress: bool = False,
    ) -> RouterReport:
        """Tune the blend weight, an optional calibrator and the per-route thresholds on labelled queries.

        Queries equal to an example utterance do not vote for themselves (leave-one-out). The router is
        changed in place: its blend weight (when the kNN signal is on), calibrator (replaced, or removed
        when ``calibration`` is None) and every route's threshold.

        Args:
            queries: The labelled queries (a non-empty list of non-blank str).
            route_names: The truth, one per query: a route name, a list of names (compound query, multi
                routers), or None / the fallback name for an out-of-scope query.
            blend_weights: The blend weights to try, each in [0, 1] (None: 0.0, 0.1, ..., 1.0); the one with
                the best top-1 accuracy is kept (ties: the nearest to 0.5). Used only with the kNN signal.
            calibration: Fit a calibrator on the blended scores: ``"temperature"``, ``"platt"`` or
                ``"isotonic"`` (None: no calibrator).
            target_precision: Set each route's threshold to the lowest one reaching this precision (1.0 when
                none does, logged); None: the thresholds with the most correct decisions (single) or the
                best F1 per route (multi).
            show_progress: Show a progress bar while scoring.

        Returns:
            The report on the fit queries, with the thresholds and blend weight chosen.

        Raises:
            InvalidInputError: No queries, a blank query, labels that do not match the queries or name an
                unknown route, an out-of-range (or, with the kNN signal, empty) ``blend_weights``, or an
                unknown ``calibration``.
        """
        check_bool(show_progress, "show_progress")
        texts = check_queries(queries, "queries")
        if not texts:
            raise InvalidInputError("fit needs at least one labelled query, got none.")
        truth = truth_matrix(route_names, len(texts), self.names, self.fallback)
        goal = check_probability(target_precision, "target_precision")
        if isinstance(blend_weights, str) or not isinstance(blend_weights, Sequence | None):
            raise InvalidInputError(
                f"blend_weights must be a list of numbers or None, got {type(blend_weights).__name__}."
            )
        grid = [check_weight(w) for w in (route_fit.DEFAULT_BLEND_GRID if blend_weights is None else blend_weights)]
        if calibration is not None and calibration not in METHODS:
            raise InvalidInputError(f"calibration must be one of {', '.join(METHODS)} or None, got {calibration!r}.")
        zero_shot, knn, has = self._signals(texts, show_progress=show_progress, exclude_self=True)
        search: list[tuple[float, float]] = []
        if has.any():
            if not grid:
                raise InvalidInputError("blend_weights is empty; pass weights in [0, 1] or None for the default grid.")
            self.blend_weight, search = route_fit.choose_blend_weight(zero_shot, knn, has, truth, grid)
        self._calibrator = None
        raw = route_fit.blend(zero_shot, knn, has, self.blend_weight)
        if calibration is not None:
            self._calibrator = fit_calibrator(
                [float(x) for x in raw.ravel()],
                [int(x) for x in truth.ravel()],
                calibration,
                model=self.scorer.info.model,
            )
        scores = self._final(zero_shot, knn, has, self.blend_weight)
        thresholds = route_fit.fit_thresholds(scores, truth, self.multi, target_precision=goal, names=self.names)
        self._routes = tuple(
            r.model_copy(update={"threshold": float(t)}) for r, t in zip(self._routes, thresholds, strict=True)
        )
        logger.info("router fit: blend weight %.2f, thresholds %s", self.blend_weight, self.thresholds)
        taken = route_fit.decide(scores, thresholds, self.multi)
        return self._report("fit", taken, truth, has, search)

    def evaluate(
        self, queries: Sequence[str], route_names: Sequence[RouteLabel], *, show_progress: bool = False
    ) -> RouterReport:
        """Accuracy, per-route precision / recall and abstention rate on labelled queries (no tuning).

        Args:
            queries: The labelled queries (a non-empty list of non-blank str).
            route_names: The truth, one per query, as in ``fit``.
            show_progress: Show a progress bar while scoring.

        Returns:
            The report (split ``"evaluate"``).

        Raises:
            InvalidInputError: No queries, a blank query, or labels that do not match the queries or name an
                unknown route (checked before anything is scored).
        """
        check_bool(show_progress, "show_progress")
        texts = check_queries(queries, "queries")
        if not texts:
            raise InvalidInputError("evaluate needs at least one labelled query, got none.")
        truth_matrix(route_names, len(texts), self.names, self.fallback)  # bad labels fail before scoring
        return self.report(self.route_batch(texts, show_progress=show_progress), route_names)

    def report(self, decisions: Sequence[RouteDecision], route_names: Sequence[RouteLabel]) -> RouterReport:
        """The evaluation report of decisions already made (``route_batch``), against their true routes.

        Args:
            decisions: The decisions (a non-empty list from ``route_batch``).
            route_names: The truth, one per decision, as in ``fit``.

        Returns:
            The report (split ``"evaluate"``), scored without running the model again.

        Raises:
            InvalidInputError: ``decisions`` is empty or not a list, or the labels do not match it or name an
                unknown route.
        """
        if isinstance(decisions, RouteDecision) or not isinstance(decisions, Sequence) or not decisions:
            raise InvalidInputError("decisions must be a non-empty list of RouteDecision (from route_batch).")
        truth = truth_matrix(route_names, len(decisions), self.names, self.fallback)
        taken = np.array([[name in d.routes for name in self.names] for d in decisions], dtype=bool)
        has = np.array([d.knn is not None for d in decisions], dtype=bool)
        return self._report("evaluate", taken, truth, has, [])

    def _report(
        self,
        split: Any,
        taken: NDArray[np.bool_],
        truth: NDArray[np.bool_],
        has: NDArray[np.bool_],
        search: list[tuple[float, float]],
    ) -> RouterReport:
        return RouterReport(
            split=split,
            n=len(taken),
            accuracy=float(np.mean(route_fit.correct(taken, truth, self.multi))),
            abstention_rate=float(np.mean(~taken.any(axis=1))),
            per_route=route_fit.per_route_metrics(taken, truth, self.names),
            blend_weight=self.blend_weight if has.any() else 0.0,
            thresholds=self.thresholds,
            signals=("zero-shot", "knn") if has.any() else ("zero-shot",),
            blend_search=tuple(search),
        )

    def calibration_data(self, inputs: Sequence[str], labels: Sequence[RouteLabel]) -> tuple[list[float], list[int]]:
        """For ``calibrate(router, queries, route_names)``: the uncalibrated score of every (query, route)
        pair with label 1 when the route is a true route of the query.

        Args:
            inputs: The labelled queries (a list of non-blank str).
            labels: The truth, one per query, as ``route_names`` in ``fit``.

        Returns:
            ``(scores, labels)``, flattened query by query, route by route (empty for no queries).

        Raises:
            InvalidInputError: A blank query, or labels that do not match the queries or name an unknown route.
        """
        texts = check_queries(inputs, "inputs")
        truth = truth_matrix(labels, len(texts), self.names, self.fallback)
        if not texts:
            return [], []
        zero_shot, knn, has = self._signals(texts)
        raw = route_fit.blend(zero_shot, knn, has, self.blend_weight)
        return [float(x) for x in raw.ravel()], [int(x) for x in truth.ravel()]

    # -- persistence -------------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write routes, thresholds, blend weight, calibrator and model ids as JSON.

        Only an entailkit ``Calibrator`` is saved; another calibrator object is left out (with a warning).

        Args:
            path: The file to write (replaced if it exists).
        """
        calibrator = self._calibrator if isinstance(self._calibrator, Calibrator) else None
        if self._calibrator is not None and calibrator is None:
            logger.warning(
                "router save: a %s calibrator cannot be saved; only entailkit Calibrators are.",
                type(self._calibrator).__name__,
            )
        emb_info = getattr(self.embedding_scorer, "info", None)
        record = RouterFile(
            model=self.scorer.info.model,
            embedding_model=getattr(emb_info, "model", None),
            routes=self._routes,
            fallback=self.fallback,
            multi=self.multi,
            hypothesis_template=self.hypothesis_template,
            blend_weight=self.blend_weight,
            k=self.k,
            knn_temperature=self.knn_temperature,
            min_similarity=self.min_similarity,
            threshold=self.threshold,
            calibrator=calibrator,
        )
        Path(path).write_text(record.model_dump_json(indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path, scorer: Scorer, *, embedding_scorer: Any = None) -> Router:
        """A router saved by ``save``, on ``scorer`` (and ``embedding_scorer`` for the kNN signal).

        A scorer other than the one the router was fitted with, or a missing embedding scorer the router
        used, is logged as a warning, not refused.

        Args:
            path: The JSON file ``save`` wrote.
            scorer: The zero-shot scorer (the one it was fitted with, for its thresholds to hold).
            embedding_scorer: The embedding scorer for the kNN signal (None: zero-shot only).

        Returns:
            The router with the saved routes, thresholds, options and calibrator.

        Raises:
            InvalidInputError: The file cannot be read or is not an entailkit router file, or as the
                constructor.
        """
        record = RouterFile.read(path)
        if record.model != scorer.info.model:
            logger.warning(
                "router %s was fitted with model %r, loading it on %r: refit its thresholds.",
                path,
                record.model,
                scorer.info.model,
            )
        if record.embedding_model is not None and embedding_scorer is None:
            logger.warning(
                "router %s used the kNN signal of %r; without an embedding_scorer it routes zero-shot only.",
                path,
                record.embedding_model,
            )
        return cls(
            scorer,
            [r.model_dump() for r in record.routes],
            fallback=record.fallback,
            multi=record.multi,
            embedding_scorer=embedding_scorer,
            hypothesis_template=record.hypothesis_template,
            blend_weight=record.blend_weight,
            k=record.k,
            knn_temperature=record.knn_temperature,
            min_similarity=record.min_similarity,
            threshold=record.threshold,
            calibrator=record.calibrator,
        )

    @classmethod
    def from_routes_file(cls, path: str | Path, scorer: Scorer, *, embedding_scorer: Any = None) -> Router:
        """A router from a routes YAML file (a list of routes, or ``routes`` plus Router options).

        Args:
            path: The YAML (or JSON) file: a list of routes (``name``, ``description``, optional
                ``examples`` and ``threshold``), or a mapping with ``routes`` and any of ``fallback``,
                ``multi``, ``hypothesis_template``, ``blend_weight``, ``k``, ``knn_temperature``,
                ``min_similarity``, ``threshold``.
            scorer: The zero-shot scorer.
            embedding_scorer: The embedding scorer for the kNN signal (None: zero-shot only).

        Returns:
            The router, not yet fitted.

        Raises:
            InvalidInputError: The file cannot be read, is not valid YAML, or has an unknown key or a
                malformed route; or as the constructor.
        """
        return cls(scorer, embedding_scorer=embedding_scorer, **read_routes_file(path))

    def __repr__(self) -> str:
        return f"Router(routes={self.names!r}, fallback={self.fallback!r}, multi={self.multi}, knn={self.uses_knn})"


__all__ = ["DEFAULT_ROUTE_TEMPLATE", "Router"]
