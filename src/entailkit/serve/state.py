"""What the endpoints share: the served scorer, its batcher, the tasks, the request limits and the metrics.

:func:`build_state` makes one :class:`ServerState` per app. A model given by id (a local directory or a
hub id) is loaded through :func:`entailkit.shared_scorer`, so a server in a process that already holds
that model (an adapter, a notebook) serves the same scorer object instead of a second copy.

The tasks are configured once, by a configured task (on the served scorer), its spec or a mapping of its
options (:class:`ServedTask`); a request's own options override the spec for that request only.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from entailkit._optional import require
from entailkit.batching.batcher import MicroBatcher
from entailkit.batching.jobs import CancelToken, request_context
from entailkit.batching.scoring import BatchingScorer
from entailkit.errors import (
    ApiError,
    BatcherClosed,
    InvalidInputError,
    Overloaded,
    RequestCancelled,
    RequestTimeout,
)
from entailkit.scorers.base import Scorer
from entailkit.scorers.shared import scorer_for
from entailkit.serve.config import ServeConfig
from entailkit.serve.guard import GuardMiddleware, current_cancel_token
from entailkit.serve.limits import RequestLimits
from entailkit.serve.metrics import ServerMetrics
from entailkit.tasks.classify import ZeroShotClassifier
from entailkit.tasks.groundedness import GroundednessChecker
from entailkit.tasks.rerank import Reranker
from entailkit.tasks.route_io import read_routes_file
from entailkit.tasks.routing import Router
from entailkit.tasks.specs import (
    OBJECT_OPTIONS,
    CheckSpec,
    ClassifySpec,
    RerankSpec,
    RouteSpec,
    TaskSpec,
)
from entailkit.types import Route

logger = logging.getLogger(__name__)

T = TypeVar("T")

ModelArg = Scorer | str | os.PathLike[str]
"""What the server serves: a Scorer, or a model id (a local directory or a hub id) to load once."""
RoutesArg = str | Path | Sequence[Route | Mapping[str, Any]] | Router | RouteSpec | Mapping[str, Any] | None
"""A routes YAML file, a list of Route / dicts, a configured Router, a RouteSpec or its mapping (enables ``/v1/route``)."""
RerankArg = Reranker | RerankSpec | Mapping[str, Any] | None
"""The rerank endpoints' Reranker: configured on the served scorer, its spec, its options; None: the defaults."""
CheckArg = GroundednessChecker | CheckSpec | Mapping[str, Any] | None
"""``/v1/check``'s GroundednessChecker: configured on the served scorer, its spec, its options; None: the defaults."""
ClassifyArg = ZeroShotClassifier | ClassifySpec | Mapping[str, Any] | None
"""``/v1/classify``'s ZeroShotClassifier: configured on the served scorer, its spec, its options; None: the defaults."""

# Object options a served task keeps from a configured one; its embedding scorer is not served (zero-shot).
_KEPT_OBJECTS = OBJECT_OPTIONS - {"scorer", "show_progress", "embedding_scorer"}


def public_model_name(model: str) -> str:
    """The name to show for ``model``: a local path's last component, a hub id as given; never a full path.

    Args:
        model: A scorer's ``info.model`` (a directory or a hub id).

    Returns:
        The name that ``/health`` and the responses report.
    """
    text = str(model).rstrip("/\\")
    local = os.path.isabs(text) or text.startswith((".", "~")) or "\\" in text or os.path.exists(text)
    return (Path(text).name or text) if local else text


def served_scorer(model: ModelArg) -> Scorer:
    """The scorer to serve: ``model`` itself, or the shared scorer of a model id.

    Args:
        model: A Scorer, or a local model directory / hub id (loaded with ``shared_scorer(model)``; to
            choose a device or dtype, pass ``shared_scorer(model, device=...)`` instead).

    Returns:
        The scorer the batcher's worker will call.
    """
    return scorer_for(model)


class ServedTask:
    """One task the server runs: its spec, its object options and the task built on the batching scorer.

    A request that overrides options gets a task built from ``spec.updated(...)`` on the same scorer
    (cheap: no model work); one that overrides none gets the task built once.
    """

    def __init__(self, spec_class: type[TaskSpec], given: Any, served: Scorer, scorer: Scorer, *, name: str) -> None:
        """Resolve ``given`` to a spec and build the task on ``scorer``.

        Args:
            spec_class: The task's spec class (``RerankSpec``, ``CheckSpec``, ...).
            given: A configured task on ``served``, a spec of ``spec_class``, a mapping of its options, or
                None (the spec's defaults; when the model cannot run that task, the server still serves
                the others and each request to this one is refused with the task's message, e.g. ``/v1/check``
                on a relevance model).
            served: The served scorer (a configured task must run on it).
            scorer: The batching scorer the task is built on.
            name: The argument's name, for errors (``rerank``, ``check``, ...).

        Raises:
            InvalidInputError: A task on another scorer, anything else than a task, a spec or a mapping,
                or options the task refuses (when ``given`` is not None).
        """
        task_class = spec_class.task_class
        self.scorer = scorer
        self.objects: dict[str, Any] = {}
        if isinstance(given, task_class):
            if given.scorer is not served:
                raise InvalidInputError(
                    f"{name}: the {task_class.__name__} runs on another scorer "
                    f"({public_model_name(given.scorer.info.model)}) than the one served "
                    f"({public_model_name(served.info.model)}); build it on the served scorer, or pass its "
                    f"spec ({spec_class.__name__}.of(task)) to run its options on the served model."
                )
            self.spec = spec_class.of(given)
            self.objects = {key: getattr(given, key) for key in sorted(_KEPT_OBJECTS) if _takes(task_class, key)}
        elif given is None or isinstance(given, (TaskSpec, Mapping)):
            self.spec = spec_class.parse(given)
        else:
            raise InvalidInputError(
                f"{name} must be a {task_class.__name__} (on the served scorer), a {spec_class.__name__} or a "
                f"mapping of its options, got {type(given).__name__}."
            )
        self._task: Any = None
        try:
            self._task = self.spec.build(scorer, **self.objects)
        except InvalidInputError:
            if given is not None:
                raise

    def get(self, **overrides: Any) -> Any:
        """The task, with ``overrides`` (None values ignored) replacing the spec's options for this call.

        Args:
            **overrides: Options of the spec (e.g. a request's ``threshold``); with none but None values,
                the task built at start is returned.

        Raises:
            InvalidInputError: An override the spec or the task refuses, or a model the task cannot run on.
        """
        spec = self.spec.updated(**overrides)
        if spec is self.spec and self._task is not None:
            return self._task
        return spec.build(self.scorer, **self.objects)


def _takes(task_class: type[Any], option: str) -> bool:
    """Whether ``task_class.__init__`` has a keyword ``option``."""
    return option in inspect.signature(task_class.__init__).parameters


class ServerState:
    """What the endpoints share: the config, the batcher, the tasks and the metrics.

    ``batcher.scorer`` is the served scorer (the model); ``scorer`` is the :class:`BatchingScorer` over it
    that the tasks call.
    """

    def __init__(
        self,
        scorer: Scorer,
        config: ServeConfig,
        router: Router | None,
        metrics: ServerMetrics,
        *,
        rerank: RerankArg = None,
        check: CheckArg = None,
        classify: ClassifyArg = None,
    ) -> None:
        """Wrap ``scorer`` in a batcher and build the tasks, the limits and the queue gauges.

        Args:
            scorer: The served scorer (only the batcher's worker calls its model).
            config: The server's options.
            router: The routes' Router, or None (routing off).
            metrics: Where the server counts requests, batches and refusals.
            rerank: The rerank endpoints' Reranker, its spec or options (see :class:`ServedTask`).
            check: ``/v1/check``'s GroundednessChecker, its spec or options.
            classify: ``/v1/classify``'s ZeroShotClassifier, its spec or options.
        """
        self.config = config
        self.metrics = metrics
        self.batcher = MicroBatcher(
            scorer,
            max_wait_ms=config.max_batch_wait_ms,
            max_batch_pairs=config.max_batch_pairs,
            max_queue=config.max_queue,
            metrics=metrics,
        )
        self.model_name = config.model_name or public_model_name(scorer.info.model)
        self.scorer = BatchingScorer(self.batcher, model_name=self.model_name)
        self.rerank_task = ServedTask(RerankSpec, rerank, scorer, self.scorer, name="rerank")
        self.check_task = ServedTask(CheckSpec, check, scorer, self.scorer, name="check")
        self.classify_task = ServedTask(ClassifySpec, classify, scorer, self.scorer, name="classify")
        self.router = router
        self.limits = RequestLimits(config, scorer.info.max_length, metrics, single_pass=scorer.info.native == "labels")
        self.limiter: Any = None
        self.guard: GuardMiddleware | None = None
        metrics.gauge("entailkit_queue_depth", "Scorer jobs waiting for the model worker.", lambda: self.batcher.depth)
        metrics.gauge(
            "entailkit_requests_in_flight", "Requests admitted and not finished.", lambda: self.batcher.admitted
        )

    async def run(self, function: Callable[[], T]) -> T:
        """Run a task call in a worker thread, inside an admission slot, the request deadline and its token.

        The token is the guard's (set when the client disconnects); when this coroutine is cancelled (the
        graceful shutdown timed out) it is set too, so the worker drops the request's remaining work.

        Args:
            function: The task call (no arguments), run off the event loop.

        Returns:
            What ``function`` returns.

        Raises:
            ApiError: 503 (overloaded, closing), 504 (timeout), 499 (cancelled) or 422 (invalid input).
        """
        anyio = require("anyio", extra="serve")
        token = current_cancel_token() or CancelToken()
        try:
            with self.batcher.admit():
                timeout = self.config.request_timeout_s or None
                call = functools.partial(_in_context, function, timeout, token)
                try:
                    result: T = await anyio.to_thread.run_sync(call, limiter=self.limiter, abandon_on_cancel=True)
                except anyio.get_cancelled_exc_class():
                    token.cancel("the server cancelled the request (shutdown).")
                    raise
                return result
        except (Overloaded, BatcherClosed) as exc:
            self.metrics.reject("overloaded" if isinstance(exc, Overloaded) else "closing")
            raise ApiError(503, "overloaded", str(exc), {"Retry-After": str(self.config.retry_after_s)}) from exc
        except RequestTimeout as exc:
            self.metrics.reject("timeout")
            raise ApiError(
                504, "timeout", f"no result within {self.config.request_timeout_s:g} s ({exc}); retry later."
            ) from exc
        except RequestCancelled as exc:
            self.metrics.reject("cancelled")
            raise ApiError(499, "cancelled", str(exc)) from exc
        except InvalidInputError as exc:
            raise ApiError(422, "invalid_request", str(exc)) from exc


def _in_context(function: Callable[[], T], timeout: float | None, token: CancelToken) -> T:
    """``function()`` with the request's deadline and cancel token set for this (worker) thread."""
    with request_context(timeout, token):
        return function()


def build_state(
    model: ModelArg,
    config: ServeConfig,
    routes: RoutesArg = None,
    *,
    rerank: RerankArg = None,
    check: CheckArg = None,
    classify: ClassifyArg = None,
) -> ServerState:
    """The state of one app: the served scorer (loaded once if given by id), fresh metrics, the tasks.

    Args:
        model: A Scorer, or a model id loaded through :func:`entailkit.shared_scorer`.
        config: The server's options.
        routes: A routes YAML file, a list of Route / dicts, a Router on the served scorer, a RouteSpec or
            its mapping; None leaves ``/v1/route`` off.
        rerank: The rerank endpoints' Reranker (on the served scorer), its RerankSpec or options.
        check: ``/v1/check``'s GroundednessChecker, its CheckSpec or options.
        classify: ``/v1/classify``'s ZeroShotClassifier, its ClassifySpec or options.

    Returns:
        The state the endpoints and the guard share.

    Raises:
        InvalidInputError: A task on another scorer, or options a task refuses.
    """
    served = served_scorer(model)
    state = ServerState(served, config, None, ServerMetrics(), rerank=rerank, check=check, classify=classify)
    if routes is not None:
        given: Any = routes
        if isinstance(routes, (str, Path)):
            given = read_routes_file(routes)
        elif not isinstance(routes, (Router, TaskSpec, Mapping)):
            given = {"routes": list(routes)}
        state.router = ServedTask(RouteSpec, given, served, state.scorer, name="routes").get()
        if any(route.examples for route in state.router.routes):
            logger.info("routes have example utterances; the server routes zero-shot (no embedding model served).")
    return state


__all__ = [
    "CheckArg",
    "ClassifyArg",
    "ModelArg",
    "RerankArg",
    "RoutesArg",
    "ServedTask",
    "ServerState",
    "build_state",
    "public_model_name",
    "served_scorer",
]
