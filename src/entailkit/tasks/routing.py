"""Router: send a query to one of several routes (or several, or a fallback) with one NLI model.

Each route gets a score in [0, 1] that blends a zero-shot and a kNN signal (route_signals.py). A route is
taken when its score reaches its threshold: the best such route, or all of them with ``multi=True``; when
none does, the fallback. ``fit`` tunes the blend weight and the thresholds (route_fit.py).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from entailkit._validation import check_bool, check_finite, check_positive_int, check_probability, check_query
from entailkit.batching.aio import async_method
from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer
from entailkit.tasks import route_fit
from entailkit.tasks._calibration_protocol import check_calibrator
from entailkit.tasks._route_knn import UtteranceIndex
from entailkit.tasks.route_checks import (
    RouteLabel,
    check_fallback,
    check_fit_options,
    check_labelled,
    check_queries,
    check_routes,
    check_scorers,
    check_weight,
    truth_matrix,
)
from entailkit.tasks.route_io import load_router, read_routes_file, save_router
from entailkit.tasks.route_metrics import decision_matrices, router_report
from entailkit.tasks.route_signals import Signals, blend, route_signals
from entailkit.tasks.templates import DEFAULT_ROUTE_TEMPLATE, check_template_options, template_for
from entailkit.types import CalibrationMethod, Route, RouteDecision, RouterReport

logger = logging.getLogger(__name__)

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
        hypothesis_template: str | None = None,
        language: str | None = None,
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
            hypothesis_template: How a route description becomes the hypothesis, with one ``{}`` (None:
                ``DEFAULT_ROUTE_TEMPLATE``, the description as it is; ``"This example is {}."`` suits one-word
                route names); it wins over ``language``.
            language: ISO 639-1 code of the queries (``"de"``), checked like every task's; its built-in route
                template (``entailkit.template_for("route", language)``) is the description as it is.
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
        self.scorer, self.embedding_scorer = check_scorers(scorer, embedding_scorer)
        self._routes = check_routes(routes)
        self.fallback = check_fallback(fallback, self.names)
        self.multi = check_bool(multi, "multi")
        self.hypothesis_template, self.language = check_template_options(
            hypothesis_template, language, "route", "hypothesis_template"
        )
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
    def template(self) -> str:
        """The template in force: ``hypothesis_template`` if given, else the built-in one of ``language``."""
        return self.hypothesis_template or template_for("route", self.language)

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
            query: The query (a non-blank str; for a list use ``route_many``).

        Returns:
            The chosen route (or the fallback), every route's score and the signal that decided.

        Raises:
            InvalidInputError: ``query`` is not a str, or is empty or blank.
        """
        if not isinstance(query, str):
            raise InvalidInputError(f"query must be a str, got {type(query).__name__}; use route_many for lists.")
        return self.route_many([check_query(query, "query", purpose="route")])[0]

    def route_many(self, queries: Sequence[str], *, show_progress: bool = False) -> list[RouteDecision]:
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
        return route_fit.route_decisions(self, texts, self._signals(texts, show_progress=show_progress))

    aroute, aroute_many = async_method(route), async_method(route_many, items="queries")

    def _signals(self, texts: list[str], *, show_progress: bool = False, exclude_self: bool = False) -> Signals:
        """Zero-shot matrix, kNN vote matrix and has-kNN mask of ``texts``."""
        return route_signals(self, texts, self._utterances, show_progress=show_progress, exclude_self=exclude_self)

    def _utterances(self) -> UtteranceIndex:
        if self._index is None:
            pairs = [(r.name, text) for r in self._routes for text in r.examples]
            self._index = UtteranceIndex(self.embedding_scorer, pairs)
        return self._index

    # -- fitting and evaluation --------------------------------------------------------------------

    def route_batch(self, queries: Sequence[str], *, show_progress: bool = False) -> list[RouteDecision]:
        """Deprecated name of ``route_many``, with the same arguments (batch methods are ``*_many``)."""
        warnings.warn("Router.route_batch is deprecated; use route_many", DeprecationWarning, stacklevel=2)
        return self.route_many(queries, show_progress=show_progress)

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
        texts, truth = check_labelled(queries, route_names, self.names, self.fallback, purpose="fit")
        grid, goal = check_fit_options(blend_weights, calibration, target_precision)
        signals = self._signals(texts, show_progress=show_progress, exclude_self=True)
        fit = route_fit.fit_router(
            self,
            signals,
            truth,
            grid=grid,
            calibration=calibration,
            target_precision=goal,
            model=self.scorer.info.model,
        )
        self.blend_weight, self._calibrator = fit.blend_weight, fit.calibrator
        self._routes = tuple(
            r.model_copy(update={"threshold": float(t)}) for r, t in zip(self._routes, fit.thresholds, strict=True)
        )
        logger.info("router fit: blend weight %.2f, thresholds %s", self.blend_weight, self.thresholds)
        return router_report(self, "fit", fit.taken, truth, signals[2], fit.search)

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
        texts, _ = check_labelled(queries, route_names, self.names, self.fallback, purpose="evaluate")
        return self.report(self.route_many(texts, show_progress=show_progress), route_names)

    def report(self, decisions: Sequence[RouteDecision], route_names: Sequence[RouteLabel]) -> RouterReport:
        """The evaluation report of decisions already made (``route_many``), against their true routes.

        Args:
            decisions: The decisions (a non-empty list from ``route_many``).
            route_names: The truth, one per decision, as in ``fit``.

        Returns:
            The report (split ``"evaluate"``), scored without running the model again.

        Raises:
            InvalidInputError: ``decisions`` is empty or not a list, or the labels do not match it or name an
                unknown route.
        """
        if isinstance(decisions, RouteDecision) or not isinstance(decisions, Sequence) or not decisions:
            raise InvalidInputError("decisions must be a non-empty list of RouteDecision (from route_many).")
        truth = truth_matrix(route_names, len(decisions), self.names, self.fallback)
        taken, has = decision_matrices(decisions, self.names)
        return router_report(self, "evaluate", taken, truth, has)

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
        raw = blend(zero_shot, knn, has, self.blend_weight)
        return [float(x) for x in raw.ravel()], [int(x) for x in truth.ravel()]

    # -- persistence -------------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write routes, thresholds, blend weight, calibrator and model ids as JSON.

        The template saved is the one in force (``template``): the thresholds were fitted with it. Only an
        entailkit ``Calibrator`` is saved; another calibrator object is left out (with a warning).

        Args:
            path: The file to write (replaced if it exists).
        """
        save_router(path, self)

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
        options = load_router(path, scorer.info.model, has_embedding=embedding_scorer is not None)
        return cls(scorer, embedding_scorer=embedding_scorer, **options)

    @classmethod
    def from_routes_file(cls, path: str | Path, scorer: Scorer, *, embedding_scorer: Any = None) -> Router:
        """A router from a routes YAML file (a list of routes, or ``routes`` plus Router options).

        Args:
            path: The YAML (or JSON) file: a list of routes (``name``, ``description``, optional
                ``examples`` and ``threshold``), or a mapping with ``routes`` and any of the Router options
                (``route_io.ROUTER_OPTIONS``: ``fallback``, ``multi``, ``hypothesis_template``, ``language``, ...).
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
