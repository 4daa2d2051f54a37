"""Routing: a route, the decision for one query, and how a router did on labelled queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from entailkit._validation import check_probability, check_text, check_texts
from entailkit.errors import InvalidInputError
from entailkit.types._base import _Frozen

__all__ = ["Route", "RouteDecision", "RouteMetrics", "RouteSignal", "RouterReport"]

RouteSignal = Literal["zero-shot", "knn", "both", "blend", "fallback"]
"""Which signal decided a route: zero-shot alone, kNN alone, both agreeing, only their blend, or none
(no route passed its threshold, so the fallback was taken)."""


class Route(_Frozen):
    """A destination for queries: a name, a description the zero-shot model reads, example utterances
    for the kNN signal, and an optional threshold under which the route is not taken."""

    name: str
    description: str
    examples: tuple[str, ...] = ()
    threshold: float | None = None

    def __init__(
        self,
        name: str,
        description: str,
        examples: Sequence[str] = (),
        threshold: float | None = None,
    ) -> None:
        """Check and store a route.

        Args:
            name: The route's name, returned in decisions (non-empty).
            description: What the zero-shot model reads as the route's label (non-empty).
            examples: Example utterances for the kNN signal.
            threshold: Probability in [0, 1] under which the route is not taken, or None.

        Raises:
            InvalidInputError: A blank name or description, a non-str example, or a threshold out of range.
        """
        for field, value in (("name", name), ("description", description)):
            if not isinstance(value, str) or not value.strip():
                raise InvalidInputError(f"Route {field} must be a non-empty str, got {value!r}.")
            check_text(value, f"Route {field}")
        texts = check_texts(examples, f"Route {name!r} examples")
        fields: dict[str, object] = {
            "name": name,
            "description": description,
            "examples": tuple(texts),
            "threshold": check_probability(threshold, f"Route {name!r} threshold"),
        }
        super().__init__(**fields)


class RouteDecision(_Frozen):
    """Where one query goes, with every route's score and the signal that decided."""

    query: str
    route: str | None
    """The chosen route, or the fallback (None when there is no fallback) if no route passed its threshold."""
    routes: tuple[str, ...] = ()
    """Every route that passed its threshold, best first (one at most unless the router is multi)."""
    scores: dict[str, float]
    """Final score of every route (blend of the signals, calibrated when the router has a calibrator)."""
    zero_shot: dict[str, float]
    """Zero-shot score of every route."""
    knn: dict[str, float] | None = None
    """kNN vote of every route, or None when the router has no example signal for this query."""
    decided_by: RouteSignal
    abstained: bool = False
    """True when no route passed its threshold (``route`` is then the fallback)."""
    blend_weight: float = 0.0
    """The kNN weight used for this query (0.0 when it had no kNN signal)."""


class RouteMetrics(_Frozen):
    """Precision and recall of one route on labelled queries."""

    precision: float
    recall: float
    f1: float
    support: int
    """Queries whose true routes include this one."""
    predicted: int
    """Queries routed here."""


class RouterReport(_Frozen):
    """How a router did on labelled queries (``Router.fit`` and ``Router.evaluate``)."""

    split: Literal["fit", "evaluate"]
    n: int
    accuracy: float
    """Share of queries whose decision matches the label exactly (abstaining on out-of-scope counts)."""
    abstention_rate: float
    """Share of queries for which no route was taken (sent to the fallback)."""
    per_route: dict[str, RouteMetrics]
    blend_weight: float
    thresholds: dict[str, float]
    """The threshold in force for every route."""
    signals: tuple[str, ...]
    """The signals the router used: ("zero-shot",) or ("zero-shot", "knn")."""
    blend_search: tuple[tuple[float, float], ...] = ()
    """(blend weight, accuracy) for every weight ``fit`` tried."""
