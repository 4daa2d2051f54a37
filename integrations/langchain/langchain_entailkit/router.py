"""EntailkitRouter: route a query with entailkit's Router, and dispatch it to one of several runnables."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForChainRun, CallbackManagerForChainRun
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig, RunnableSerializable
from langchain_core.runnables.base import coerce_to_runnable
from langchain_core.runnables.config import patch_config
from pydantic import BaseModel, ConfigDict, Field

from entailkit.errors import InvalidInputError
from entailkit.tasks.routing import Router
from entailkit.types import Route, RouteDecision
from langchain_entailkit._batch import aper_item, per_item, split_errors
from langchain_entailkit._events import aemit, emit
from langchain_entailkit._scorers import resolve_scorer
from langchain_entailkit._serialisation import ModelIdSerializable

__all__ = ["ROUTE_EVENT", "EntailkitRoutedRunnable", "EntailkitRouter"]

ROUTE_EVENT = "entailkit_route"
"""Name of the custom callback event carrying every RouteDecision (route, scores, signal)."""


class EntailkitRouter(ModelIdSerializable, RunnableSerializable[Any, RouteDecision]):
    """A Runnable: query (str, chat message, or dict with ``input_key``) -> entailkit RouteDecision.

    Pass ``router=`` (an entailkit Router) or ``routes=`` with ``scorer=`` / ``model=`` and any Router
    options (``fallback``, ``multi``, ``embedding_scorer``, ...). ``as_runnable`` dispatches to chains.
    Serialisable (``dumpd`` / ``loads``) when built from ``routes=`` and ``model=`` with plain options;
    built from ``scorer=``, ``router=`` or an ``embedding_scorer`` object it serialises as not_implemented.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    scorer: Any = Field(default=None, exclude=True)
    """The scorer given (never serialised)."""
    model: str | None = None
    """The model id or path the scorer was loaded from (the serialised source), or None."""
    router: Router | None = Field(default=None, exclude=True)
    """The entailkit Router doing the work (built from the routes and options, or given)."""
    routes: list[Any] | None = Field(default=None, exclude=True)
    """The routes given (serialised as dicts)."""
    input_key: str = "query"
    load_options: dict[str, Any] = Field(default_factory=dict)
    router_options: dict[str, Any] = Field(default_factory=dict, exclude=True)
    """The Router options given (serialised flat, as they are passed)."""

    def __init__(
        self,
        router: Router | None = None,
        *,
        routes: Sequence[Route | Mapping[str, Any]] | None = None,
        scorer: Any = None,
        model: str | None = None,
        input_key: str = "query",
        load_options: Mapping[str, Any] | None = None,
        name: str | None = None,
        **router_options: Any,
    ) -> None:
        """Take the Router given, or build one from ``routes`` on the scorer given or loaded.

        Args:
            router: A configured entailkit Router, used as it is (alone: no routes, scorer, model or options).
            routes: The routes (``Route`` objects or dicts with ``name``, ``description``, ...), when no
                ``router`` is given.
            scorer: The zero-shot scorer; shared, never copied (not serialisable).
            model: A model id or path, loaded once per process and shared (instead of ``scorer``).
            input_key: The key of a dict input that holds the query (``"question"`` and ``"input"`` are
                tried after it).
            load_options: Extra ``load_scorer`` options used with ``model`` (device, batch_size, ...).
            name: The run name (LangChain's ``Runnable.name``).
            **router_options: Options of ``Router`` (``fallback``, ``multi``, ``embedding_scorer``,
                ``threshold``, ...).

        Raises:
            InvalidInputError: ``router`` given with other sources, neither ``router`` nor ``routes``, both or
                neither of ``scorer`` and ``model``, a bad route or Router option, or a blank ``input_key``.
            ModelLoadError: ``model`` cannot be loaded.
        """
        if router is not None:
            if routes is not None or scorer is not None or model is not None or router_options:
                raise InvalidInputError("pass router= alone, or routes= with scorer=/model= and Router options.")
            if not isinstance(router, Router):
                raise InvalidInputError(f"router must be an entailkit Router, got {type(router).__name__}.")
        else:
            if routes is None:
                raise InvalidInputError("pass router= (an entailkit Router) or routes= with scorer=/model=.")
            resolved = resolve_scorer(scorer, model, None, dict(load_options or {}))
            router = Router(resolved, routes, **router_options)
        if not isinstance(input_key, str) or not input_key:
            raise InvalidInputError(f"input_key must be a non-empty str, got {input_key!r}.")
        super().__init__(
            router=router,
            routes=list(routes) if routes is not None else None,
            scorer=scorer,
            model=model,
            input_key=input_key,
            load_options=dict(load_options or {}),
            router_options=dict(router_options),
            name=name,
        )

    @property
    def lc_attributes(self) -> dict[str, Any]:
        """The routes as dicts and the Router options, flat (as the constructor takes them)."""
        routes = [
            r.model_dump(mode="json", exclude_defaults=True) if isinstance(r, BaseModel) else r
            for r in self.routes or ()
        ]
        return {"routes": routes, **self.router_options}

    @property
    def InputType(self) -> Any:
        """A str, a chat message, or a dict holding the query under ``input_key``."""
        return str | BaseMessage | dict[str, Any]

    @property
    def OutputType(self) -> type[RouteDecision]:
        """The entailkit RouteDecision."""
        return RouteDecision

    def query_of(self, input: Any) -> str:
        """The query text in a str, a chat message or a dict (``input_key``, else 'question' / 'input').

        Args:
            input: A str, a chat message, or a dict holding one of those.

        Raises:
            InvalidInputError: A dict without the key, or another type.
        """
        if isinstance(input, str):
            return input
        if isinstance(input, BaseMessage):
            return str(input.text)
        if isinstance(input, Mapping):
            for key in (self.input_key, "question", "input"):
                if key in input:
                    return self.query_of(input[key])
            raise InvalidInputError(
                f"the router input has no {self.input_key!r} key (keys: {sorted(map(str, input))}); "
                "set input_key= to the key that holds the query."
            )
        raise InvalidInputError(f"the router takes a str, a chat message or a dict, got {type(input).__name__}.")

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> RouteDecision:
        """Route one query; the ``entailkit_route`` event carries the decision.

        Args:
            input: A str, a chat message or a dict (see ``query_of``).
            config: The LangChain run config.
            **kwargs: Ignored.

        Raises:
            InvalidInputError: No query in the input, or a blank one.
        """
        return self.batch([input], config)[0]

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> RouteDecision:
        """``invoke`` through ``Router.aroute_many``: the model never runs on the event loop.

        Args:
            input: A str, a chat message or a dict (see ``query_of``).
            config: The LangChain run config.
            **kwargs: Ignored.
        """
        return (await self.abatch([input], config))[0]

    def batch(
        self,
        inputs: list[Any],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[RouteDecision]:
        """Route all inputs with one batched ``route_many`` call; each input gets its own decision or error.

        Args:
            inputs: The queries (each as ``invoke`` takes it).
            config: One run config for all inputs, or one per input.
            return_exceptions: Return errors in place of decisions instead of raising them.
            **kwargs: Ignored.
        """
        return self._batch_with_config(self._run, inputs, config, return_exceptions=return_exceptions)

    async def abatch(
        self,
        inputs: list[Any],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[RouteDecision]:
        """``batch`` through one ``Router.aroute_many`` call: the model never runs on the event loop.

        Args:
            inputs: The queries (each as ``invoke`` takes it).
            config: One run config for all inputs, or one per input.
            return_exceptions: Return errors in place of decisions instead of raising them.
            **kwargs: Ignored.
        """
        return await self._abatch_with_config(self._arun, inputs, config, return_exceptions=return_exceptions)

    def _run(self, inputs: list[Any], run_manager: list[CallbackManagerForChainRun]) -> list[Exception | RouteDecision]:
        assert self.router is not None
        decisions = per_item(split_errors(inputs, self._query), self.router.route_many)
        for manager, decision in zip(run_manager, decisions, strict=True):
            if isinstance(decision, RouteDecision):
                emit(manager.get_child(), ROUTE_EVENT, decision.model_dump(mode="json"))
        return decisions

    async def _arun(
        self, inputs: list[Any], run_manager: list[AsyncCallbackManagerForChainRun]
    ) -> list[Exception | RouteDecision]:
        assert self.router is not None
        decisions = await aper_item(split_errors(inputs, self._query), self.router.aroute_many)
        for manager, decision in zip(run_manager, decisions, strict=True):
            if isinstance(decision, RouteDecision):
                await aemit(manager.get_child(), ROUTE_EVENT, decision.model_dump(mode="json"))
        return decisions

    def _query(self, input: Any) -> str:
        """The query of one input, refused here when blank (so only that input fails)."""
        query = self.query_of(input)
        if not query.strip():
            raise InvalidInputError("the query is empty or blank; route a non-blank text.")
        return query

    def as_runnable(
        self,
        destinations: Mapping[str, Runnable[Any, Any] | Callable[[Any], Any]],
        default: Runnable[Any, Any] | Callable[[Any], Any] | None = None,
        *,
        include_decision: bool = False,
    ) -> EntailkitRoutedRunnable:
        """A Runnable that routes its input and runs the destination named by the route on that input.

        Args:
            destinations: Route name (or the fallback's name) -> runnable or callable.
            default: What runs when the chosen route has no destination (None: that is an error).
            include_decision: Output ``{"output": ..., "decision": RouteDecision}`` instead of the output.

        Raises:
            InvalidInputError: ``destinations`` is empty or names an unknown route.
        """
        return EntailkitRoutedRunnable(self, destinations, default, include_decision=include_decision)


class EntailkitRoutedRunnable(Runnable[Any, Any]):
    """Route, then run ``destinations[route]`` (or ``default``) on the same input.

    The decision is the output of the child router run and a custom event; the destination's run carries
    ``entailkit_route`` and ``entailkit_route_scores`` in its metadata. With ``include_decision=True`` the
    output is ``{"output": ..., "decision": RouteDecision}``.
    """

    def __init__(
        self,
        router: EntailkitRouter,
        destinations: Mapping[str, Runnable[Any, Any] | Callable[[Any], Any]],
        default: Runnable[Any, Any] | Callable[[Any], Any] | None = None,
        *,
        include_decision: bool = False,
    ) -> None:
        """Check the destinations against the router's routes.

        Args:
            router: The router that decides.
            destinations: Route name (or the fallback's name) -> runnable or callable.
            default: What runs when the chosen route has no destination (None: that is an error).
            include_decision: Output ``{"output": ..., "decision": RouteDecision}`` instead of the output.

        Raises:
            InvalidInputError: ``destinations`` is empty or names an unknown route.
        """
        if not isinstance(destinations, Mapping) or not destinations:
            raise InvalidInputError("destinations must be a non-empty dict {route name: runnable}.")
        known = set(router.router.names) | ({router.router.fallback} if router.router.fallback else set())
        unknown = sorted(set(destinations) - known)
        if unknown:
            raise InvalidInputError(f"destinations name unknown routes {unknown}; routes are {sorted(known)}.")
        self.router = router
        self.destinations = {name: coerce_to_runnable(r) for name, r in destinations.items()}
        self.default = coerce_to_runnable(default) if default is not None else None
        self.include_decision = include_decision

    def _target(self, decision: RouteDecision) -> Runnable[Any, Any]:
        target = self.destinations.get(decision.route) if decision.route is not None else None
        target = target or self.default
        if target is None:
            raise InvalidInputError(
                f"query routed to {decision.route!r}, which has no destination and there is no default; "
                f"pass default= to as_runnable (scores: {decision.scores})."
            )
        return target

    def _child_config(self, config: RunnableConfig, decision: RouteDecision, name: str) -> RunnableConfig:
        metadata = {
            **config.get("metadata", {}),
            "entailkit_route": decision.route,
            "entailkit_route_scores": dict(decision.scores),
            "entailkit_decided_by": decision.decided_by,
        }
        child = patch_config(config, run_name=name)
        child["metadata"] = metadata
        return child

    def _output(self, output: Any, decision: RouteDecision) -> Any:
        return {"output": output, "decision": decision} if self.include_decision else output

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """Route ``input``, then run the chosen destination on it.

        Args:
            input: The input (the router reads the query from it; the destination gets it whole).
            config: The LangChain run config.
            **kwargs: Ignored.

        Raises:
            InvalidInputError: No query in the input, or the route has no destination and there is no
                default.
        """
        return self._call_with_config(self._run, input, config)

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """``invoke`` with the router's model run off the event loop and the destination awaited.

        Args:
            input: The input (the router reads the query from it; the destination gets it whole).
            config: The LangChain run config.
            **kwargs: Ignored.
        """
        return await self._acall_with_config(self._arun, input, config)

    def _run(self, input: Any, run_manager: CallbackManagerForChainRun, config: RunnableConfig) -> Any:
        decision = self.router.invoke(input, patch_config(config, run_name="EntailkitRouter"))
        target = self._target(decision)
        name = f"route:{decision.route}" if decision.route in self.destinations else "route:default"
        return self._output(target.invoke(input, self._child_config(config, decision, name)), decision)

    async def _arun(self, input: Any, run_manager: AsyncCallbackManagerForChainRun, config: RunnableConfig) -> Any:
        decision = await self.router.ainvoke(input, patch_config(config, run_name="EntailkitRouter"))
        target = self._target(decision)
        name = f"route:{decision.route}" if decision.route in self.destinations else "route:default"
        output = await target.ainvoke(input, self._child_config(config, decision, name))
        return self._output(output, decision)
