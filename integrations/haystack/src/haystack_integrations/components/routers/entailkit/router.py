"""EntailkitRouter: route a text to the output socket of its route with an entailkit Router."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from haystack import component, default_from_dict, default_to_dict

from entailkit.errors import InvalidInputError
from entailkit.tasks.route_checks import check_fallback, check_routes
from entailkit.tasks.routing import DEFAULT_ROUTE_TEMPLATE, Router
from entailkit.tasks.specs import RouteSpec
from entailkit.types import Route, RouteDecision
from haystack_integrations.common.entailkit import LazyTask, LazyWarmUp, check_flag, check_probability
from haystack_integrations.common.entailkit.model import check_model

__all__ = ["DECISION_OUTPUT", "EntailkitRouter"]

DECISION_OUTPUT = "decision"
"""The output that always carries the RouteDecision (as a dict); no route may take this name."""


@component
class EntailkitRouter(LazyWarmUp):
    """Send ``text`` to the output named by its route, scored zero-shot against the route descriptions.

    As Haystack's ``TransformersZeroShotTextRouter``, each route is an output socket that receives the
    text when the route is taken; only the taken sockets fire, so only their branch runs. The best route
    is taken (every passing one with ``multi=True``); when none reaches its threshold the text goes to
    ``fallback`` (when set) or nowhere. The ``decision`` output always holds entailkit's RouteDecision.

    Usage:
        ```python
        from haystack_integrations.components.routers.entailkit import EntailkitRouter

        router = EntailkitRouter(
            model="MoritzLaurer/deberta-v3-base-zeroshot-v2.0",
            routes=[{"name": "billing", "description": "invoices and payments"},
                    {"name": "tech", "description": "software errors and crashes"}],
        )
        print(router.run(text="my invoice is wrong"))  # {"billing": "my invoice is wrong", "decision": {...}}
        ```
    """

    def __init__(
        self,
        model: str | os.PathLike[str],
        routes: list[str | dict[str, Any]],
        *,
        fallback: str | None = None,
        multi: bool = False,
        threshold: float | None = None,
        hypothesis_template: str = DEFAULT_ROUTE_TEMPLATE,
        embedding_model: str | None = None,
        blend_weight: float = 0.5,
        kind: str | None = None,
        load_options: dict[str, Any] | None = None,
    ) -> None:
        """Check the routes and options now and declare one output per route; the model loads at warm-up.

        Args:
            model: The zero-shot model (NLI cross-encoder or GLiClass) directory or hub id; loaded once, shared.
            routes: The routes: a str (name and description alike) or a dict with ``name``, ``description``
                and optionally ``examples`` (utterances for the kNN signal) and ``threshold``.
            fallback: The output that gets the text when no route passes its threshold (None: no output).
            multi: Send the text to every route passing its threshold, not only the best one.
            threshold: The threshold of routes without one, in [0, 1] (None: 0.0, or 0.5 when ``multi``).
            hypothesis_template: How a route description becomes the NLI hypothesis, with one ``{}``.
            embedding_model: An embedding model id for the kNN signal over the routes' ``examples``
                (None: zero-shot only).
            blend_weight: The kNN signal's weight in [0, 1] when ``embedding_model`` is set.
            kind: The kind ``model`` is loaded as (None: read from the model's config).
            load_options: Extra ``entailkit.load_scorer`` options for ``model`` (``device``, ``dtype``, ...).

        Raises:
            InvalidInputError: No routes, a malformed or repeated route, a route named ``decision`` or with a
                ``.`` in its name, a fallback that is a route's name, or a bad option.
        """
        owner = type(self).__name__
        self._routes = check_routes([_route(r, i) for i, r in enumerate(_route_list(routes))])
        self.fallback = check_fallback(fallback, [r.name for r in self._routes])
        names = [r.name for r in self._routes] + ([self.fallback] if self.fallback else [])
        for name in names:
            if name == DECISION_OUTPUT or "." in name:
                raise InvalidInputError(
                    f"{owner}: {name!r} cannot name an output (it is taken by the decision output, or has a '.' "
                    "that Pipeline.connect reads as 'component.socket'); rename the route."
                )
        self.multi = check_flag(multi, "multi")
        self.threshold = check_probability(threshold, "threshold")
        self.hypothesis_template = hypothesis_template
        self.blend_weight = blend_weight
        self.embedding_model = (
            None if embedding_model is None else check_model(embedding_model, owner, "embedding_model")
        )
        spec = RouteSpec.parse(
            {
                "routes": self._routes,
                "fallback": self.fallback,
                "multi": self.multi,
                "threshold": self.threshold,
                "hypothesis_template": hypothesis_template,
                "blend_weight": blend_weight,
            }
        )
        self._lazy: LazyTask[Router] = LazyTask(
            model,
            lambda scorer: spec.build(scorer, embedding_scorer=self._embedder()),
            owner=owner,
            kind=kind,
            load_options=load_options,
        )
        self.model = self._lazy.model
        self.kind = self._lazy.kind
        self.load_options = load_options
        component.set_output_types(self, **{name: str for name in names}, **{DECISION_OUTPUT: dict[str, Any]})

    @property
    def routes(self) -> list[dict[str, Any]]:
        """The routes as ``to_dict`` writes them."""
        return [
            {"name": r.name, "description": r.description, "examples": list(r.examples), "threshold": r.threshold}
            for r in self._routes
        ]

    def to_dict(self) -> dict[str, Any]:
        """The component's init parameters: the model ids, routes and options, never a loaded model."""
        return default_to_dict(
            self,
            model=self.model,
            routes=self.routes,
            fallback=self.fallback,
            multi=self.multi,
            threshold=self.threshold,
            hypothesis_template=self.hypothesis_template,
            embedding_model=self.embedding_model,
            blend_weight=self.blend_weight,
            kind=self.kind,
            load_options=self.load_options,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EntailkitRouter:
        """The component ``to_dict`` described (its models are loaded again at warm-up, shared)."""
        return default_from_dict(cls, data)

    def run(self, text: str) -> dict[str, Any]:
        """Route ``text``: it goes out on the taken route's output (or the fallback's), with the decision.

        Args:
            text: The query (a non-blank str).

        Returns:
            ``{route: text, ..., "decision": {...}}``: one entry per taken route (or the fallback), and the
            RouteDecision as a dict.

        Raises:
            InvalidInputError: ``text`` is not a str, or is blank.
        """
        _check_text(text)
        return _outputs(text, self._lazy.get().route(text))

    async def run_async(self, text: str) -> dict[str, Any]:
        """``run`` off the event loop, on entailkit's shared micro-batcher (``Router.aroute``)."""
        _check_text(text)
        router = await self._lazy.aget()
        return _outputs(text, await router.aroute(text))

    def _embedder(self) -> Any:
        if self.embedding_model is None:
            return None
        from entailkit import shared_scorer

        return shared_scorer(self.embedding_model, "embedding")


def _route_list(routes: Any) -> list[Any]:
    if isinstance(routes, (str, Mapping)) or not isinstance(routes, Sequence):
        raise InvalidInputError(
            f"routes must be a list of route names or {{'name', 'description'}} dicts, got {type(routes).__name__}."
        )
    return list(routes)


def _route(value: Any, index: int) -> Any:
    """A str route becomes ``Route(name=s, description=s)``; dicts and Routes are checked by entailkit."""
    if isinstance(value, str):
        return Route(name=value, description=value)
    if isinstance(value, (Mapping, Route)):
        return value
    raise InvalidInputError(f"routes[{index}] must be a str or a {{'name', 'description'}} dict, got {value!r:.80}.")


def _check_text(text: Any) -> None:
    if not isinstance(text, str):
        raise InvalidInputError(f"text must be a str, got {type(text).__name__}.")


def _outputs(text: str, decision: RouteDecision) -> dict[str, Any]:
    taken = list(decision.routes) or ([decision.route] if decision.route is not None else [])
    return {**{name: text for name in taken}, DECISION_OUTPUT: decision.model_dump(mode="json")}
