"""What the endpoints share: the served scorer, its batcher, the tasks, the request limits and the metrics.

:func:`build_state` makes one :class:`ServerState` per app. A model given by id (a local directory or a
hub id) is loaded through :func:`entailkit.shared_scorer`, so a server in a process that already holds
that model (an adapter, a notebook) serves the same scorer object instead of a second copy.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from entailkit._optional import require
from entailkit.errors import (
    ApiError,
    BatcherClosed,
    InvalidInputError,
    Overloaded,
    RequestCancelled,
    RequestTimeout,
)
from entailkit.scorers.base import Scorer
from entailkit.scorers.shared import shared_scorer
from entailkit.serve.batcher import MicroBatcher
from entailkit.serve.config import ServeConfig
from entailkit.serve.guard import GuardMiddleware, current_cancel_token
from entailkit.serve.jobs import CancelToken, request_context
from entailkit.serve.limits import RequestLimits
from entailkit.serve.metrics import ServerMetrics
from entailkit.serve.scoring import BatchingScorer
from entailkit.tasks.classify import ZeroShotClassifier
from entailkit.tasks.rerank import Reranker
from entailkit.tasks.routing import Router
from entailkit.types import Route

logger = logging.getLogger(__name__)

T = TypeVar("T")

ModelArg = Scorer | str | os.PathLike[str]
"""What the server serves: a Scorer, or a model id (a local directory or a hub id) to load once."""
RoutesArg = str | Path | Sequence[Route | Mapping[str, Any]] | None
"""A routes YAML file, or a list of Route / dicts (enables ``/v1/route``)."""


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
    if isinstance(model, (str, os.PathLike)):
        return shared_scorer(model)
    return model


class ServerState:
    """What the endpoints share: the config, the batcher, the tasks and the metrics.

    ``batcher.scorer`` is the served scorer (the model); ``scorer`` is the :class:`BatchingScorer` over it
    that the tasks call.
    """

    def __init__(self, scorer: Scorer, config: ServeConfig, router: Router | None, metrics: ServerMetrics) -> None:
        """Wrap ``scorer`` in a batcher and build the tasks, the limits and the queue gauges.

        Args:
            scorer: The served scorer (only the batcher's worker calls its model).
            config: The server's options.
            router: The routes' Router, or None (routing off).
            metrics: Where the server counts requests, batches and refusals.
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
        self.reranker = Reranker(self.scorer)
        self.classifier = ZeroShotClassifier(self.scorer)
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
            self.metrics.rejected.inc("overloaded" if isinstance(exc, Overloaded) else "closing")
            raise ApiError(503, "overloaded", str(exc), {"Retry-After": str(self.config.retry_after_s)}) from exc
        except RequestTimeout as exc:
            self.metrics.rejected.inc("timeout")
            raise ApiError(
                504, "timeout", f"no result within {self.config.request_timeout_s:g} s ({exc}); retry later."
            ) from exc
        except RequestCancelled as exc:
            self.metrics.rejected.inc("cancelled")
            raise ApiError(499, "cancelled", str(exc)) from exc
        except InvalidInputError as exc:
            raise ApiError(422, "invalid_request", str(exc)) from exc


def _in_context(function: Callable[[], T], timeout: float | None, token: CancelToken) -> T:
    """``function()`` with the request's deadline and cancel token set for this (worker) thread."""
    with request_context(timeout, token):
        return function()


def build_state(model: ModelArg, config: ServeConfig, routes: RoutesArg = None) -> ServerState:
    """The state of one app: the served scorer (loaded once if given by id), fresh metrics, the router.

    Args:
        model: A Scorer, or a model id loaded through :func:`entailkit.shared_scorer`.
        config: The server's options.
        routes: A routes YAML file, or a list of Route / dicts; None leaves ``/v1/route`` off.

    Returns:
        The state the endpoints and the guard share.
    """
    state = ServerState(served_scorer(model), config, None, ServerMetrics())
    if routes is not None:
        if isinstance(routes, (str, Path)):
            state.router = Router.from_routes_file(routes, state.scorer)
        else:
            state.router = Router(state.scorer, list(routes))
        if any(route.examples for route in state.router.routes):
            logger.info("routes have example utterances; the server routes zero-shot (no embedding model served).")
    return state


__all__ = ["ModelArg", "RoutesArg", "ServerState", "build_state", "public_model_name", "served_scorer"]
