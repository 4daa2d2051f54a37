"""A Router's input checks: scorers, routes, fallback, queries and their route labels, fit options."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from entailkit._validation import check_probability, check_query, check_text, check_texts
from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer
from entailkit.tasks.calibration import METHODS
from entailkit.tasks.route_fit import DEFAULT_BLEND_GRID
from entailkit.types import CalibrationMethod, Route

__all__ = [
    "RouteLabel",
    "check_fallback",
    "check_fit_options",
    "check_labelled",
    "check_queries",
    "check_routes",
    "check_scorers",
    "check_weight",
    "truth_matrix",
]

RouteLabel = str | Sequence[str] | None
"""The truth for one query: a route name, several (compound query), or None / the fallback (out of scope)."""


def truth_matrix(labels: Any, n: int, names: Sequence[str], fallback: str | None) -> NDArray[np.bool_]:
    """Boolean (n, routes) matrix of true routes; unknown names and length mismatches are typed errors.

    Args:
        labels: One label per query: a route name, a list of names, or None / the fallback (out of scope).
        n: How many queries there are.
        names: The route names, in column order.
        fallback: The fallback route name, or None.

    Raises:
        InvalidInputError: ``labels`` is not a list of ``n`` labels, or names an unknown route.
    """
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise InvalidInputError(
            f"route_names must be a list with one route name (or None) per query, got {type(labels).__name__}."
        )
    if len(labels) != n:
        raise InvalidInputError(f"queries and route_names must have the same length, got {n} and {len(labels)}.")
    column = {name: j for j, name in enumerate(names)}
    truth = np.zeros((n, len(names)), dtype=bool)
    for i, label in enumerate(labels):
        items = [label] if label is None or isinstance(label, str) else label
        if not isinstance(items, Sequence):
            raise InvalidInputError(f"route_names[{i}] must be a route name, a list of names or None, got {label!r}.")
        for item in items:
            if item is None or item == fallback:
                continue
            if item not in column:
                raise InvalidInputError(
                    f"route_names[{i}] is {item!r}, which is not a route; expected one of {list(names)!r}"
                    + (f" or the fallback {fallback!r}" if fallback else "")
                    + " (None marks an out-of-scope query)."
                )
            truth[i, column[item]] = True
    return truth


def check_routes(routes: Any) -> tuple[Route, ...]:
    """Routes (Route objects or dicts) as a tuple of Route with distinct names and descriptions.

    Args:
        routes: A non-empty list of ``Route`` or dicts with ``name``, ``description`` and optionally
            ``examples`` and ``threshold``.

    Raises:
        InvalidInputError: Not a non-empty list, a malformed route, or repeated names or descriptions.
    """
    if isinstance(routes, str | Mapping) or not isinstance(routes, Sequence):
        raise InvalidInputError(f"routes must be a list of Route, got {type(routes).__name__}.")
    if not routes:
        raise InvalidInputError("routes is empty; a Router needs at least one Route.")
    out: list[Route] = []
    for i, route in enumerate(routes):
        if isinstance(route, Route):
            out.append(route)
        elif isinstance(route, Mapping):
            try:
                out.append(Route(**route))
            except TypeError as exc:
                raise InvalidInputError(
                    f"routes[{i}] has unknown or missing fields ({exc}); use name, description, examples, threshold."
                ) from exc
        else:
            raise InvalidInputError(f"routes[{i}] must be a Route or a dict, got {type(route).__name__}.")
        checked = out[-1]  # a Route from model_validate / model_construct skipped Route.__init__'s checks
        check_text(checked.name, f"routes[{i}].name")
        check_text(checked.description, f"routes[{i}].description")
        check_texts(checked.examples, f"routes[{i}].examples")
    for attr in ("name", "description"):
        values = [getattr(r, attr) for r in out]
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise InvalidInputError(f"route {attr}s must be distinct; repeated: {dupes!r}.")
    return tuple(out)


def check_scorers(scorer: Any, embedding_scorer: Any) -> tuple[Scorer, Any]:
    """A Router's zero-shot scorer and embedding scorer (None, or anything with ``embed``), checked.

    Args:
        scorer: The zero-shot scorer.
        embedding_scorer: The embedding scorer for the kNN signal, or None.

    Raises:
        InvalidInputError: ``scorer`` is not a Scorer, or ``embedding_scorer`` has no ``embed``.
    """
    if not isinstance(scorer, Scorer):
        raise InvalidInputError(f"scorer must be an entailkit Scorer (from load_scorer), got {type(scorer).__name__}.")
    if embedding_scorer is not None and not callable(getattr(embedding_scorer, "embed", None)):
        raise InvalidInputError(
            "embedding_scorer must be an EmbeddingScorer (with embed()), "
            f"got {type(embedding_scorer).__name__}; "
            "load one with load_scorer(model, kind='embedding')."
        )
    return scorer, embedding_scorer


def check_fallback(fallback: Any, names: Sequence[str]) -> str | None:
    """A Router's fallback: None, or a non-blank text that is no route's name.

    Args:
        fallback: The fallback route name, or None.
        names: The route names.

    Raises:
        InvalidInputError: ``fallback`` is not a str or None, is blank or not valid text, or is a route name.
    """
    if fallback is not None and (not isinstance(fallback, str) or not fallback.strip()):
        raise InvalidInputError(f"fallback must be a non-empty str or None, got {fallback!r}.")
    if fallback is not None:
        check_text(fallback, "fallback")
    if fallback in names:
        raise InvalidInputError(f"fallback {fallback!r} is also a route name; the fallback must be distinct.")
    return fallback


def check_queries(queries: Any, name: str = "queries") -> list[str]:
    """A new list of the queries, each a valid, non-blank text (the rule ``Reranker`` applies too).

    Args:
        queries: The queries.
        name: Their argument name in messages.

    Raises:
        InvalidInputError: Not a list of str, or a query is blank.
    """
    texts = check_texts(queries, name)
    for i, text in enumerate(texts):
        if not text.strip():
            check_query(text, f"{name}[{i}]", purpose="route")
    return texts


def check_weight(value: Any) -> float:
    """A blend weight in [0, 1].

    Args:
        value: The weight.

    Raises:
        InvalidInputError: Not a number in [0, 1].
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
        raise InvalidInputError(f"blend weight must be a number in [0, 1], got {value!r}.")
    return float(value)


def check_fit_options(
    blend_weights: Any, calibration: CalibrationMethod | None, target_precision: Any
) -> tuple[list[float], float | None]:
    """The blend-weight grid and the target precision of ``Router.fit``, with its ``calibration`` checked.

    Args:
        blend_weights: The weights to try, each in [0, 1] (None: ``DEFAULT_BLEND_GRID``).
        calibration: ``"temperature"``, ``"platt"``, ``"isotonic"`` or None.
        target_precision: A precision in [0, 1] or None.

    Returns:
        ``(grid, target precision)``; the grid may be empty (refused by ``fit`` only with the kNN signal).

    Raises:
        InvalidInputError: An out-of-range ``target_precision``, ``blend_weights`` not a list of weights in
            [0, 1] or None, or an unknown ``calibration``.
    """
    goal = check_probability(target_precision, "target_precision")
    if isinstance(blend_weights, str) or not isinstance(blend_weights, Sequence | None):
        raise InvalidInputError(f"blend_weights must be a list of numbers or None, got {type(blend_weights).__name__}.")
    grid = [check_weight(w) for w in (DEFAULT_BLEND_GRID if blend_weights is None else blend_weights)]
    if calibration is not None and calibration not in METHODS:
        raise InvalidInputError(f"calibration must be one of {', '.join(METHODS)} or None, got {calibration!r}.")
    return grid, goal


def check_labelled(
    queries: Any, route_names: Any, names: Sequence[str], fallback: str | None, *, purpose: str
) -> tuple[list[str], NDArray[np.bool_]]:
    """Labelled queries (a non-empty list of non-blank texts) and their truth matrix (``truth_matrix``).

    Args:
        queries: The queries.
        route_names: Their labels, one per query.
        names: The route names, in column order.
        fallback: The fallback route name, or None.
        purpose: What needs them (``"fit"``, ``"evaluate"``), for the message.

    Raises:
        InvalidInputError: No queries, a blank query, or labels that do not match the queries or name an
            unknown route.
    """
    texts = check_queries(queries, "queries")
    if not texts:
        raise InvalidInputError(f"{purpose} needs at least one labelled query, got none.")
    return texts, truth_matrix(route_names, len(texts), names, fallback)
