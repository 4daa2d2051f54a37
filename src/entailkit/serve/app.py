"""The FastAPI application: endpoints translate HTTP shapes to entailkit's task classes and back.

No scoring happens here: every endpoint calls a task (Reranker, GroundednessChecker,
ZeroShotClassifier, Router) built on a :class:`~entailkit.serve.batcher.BatchingScorer`, in a worker
thread (off the event loop), inside one of ``max_queue`` admission slots and under the request deadline.
"""

from __future__ import annotations

import functools
import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from entailkit._optional import require
from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer
from entailkit.serve.batcher import MicroBatcher
from entailkit.serve.config import ServeConfig
from entailkit.serve.guard import ApiError, GuardMiddleware, current_cancel_token, error_body
from entailkit.serve.jobs import (
    BatcherClosed,
    CancelToken,
    Overloaded,
    RequestCancelled,
    RequestTimeout,
    request_context,
)
from entailkit.serve.limits import RequestLimits
from entailkit.serve.metrics import ServerMetrics
from entailkit.serve.scoring import BatchingScorer
from entailkit.tasks.classify import ZeroShotClassifier
from entailkit.tasks.rerank import Reranker
from entailkit.tasks.routing import Router
from entailkit.types import RerankResult, Route

logger = logging.getLogger(__name__)

T = TypeVar("T")

ENDPOINTS = frozenset(
    {
        "/v1/rerank",
        "/v2/rerank",
        "/v1/rerank/full",
        "/rerank",
        "/v1/classify",
        "/v1/check",
        "/v1/route",
        "/health",
        "/metrics",
    }
)


def public_model_name(model: str) -> str:
    """The name to show for ``model``: a local path's last component, a hub id as given; never a full path."""
    text = str(model).rstrip("/\\")
    local = os.path.isabs(text) or text.startswith((".", "~")) or "\\" in text or os.path.exists(text)
    return (Path(text).name or text) if local else text


class ServerState:
    """What the endpoints share: the config, the batcher, the tasks and the metrics."""

    def __init__(self, scorer: Scorer, config: ServeConfig, router: Router | None, metrics: ServerMetrics) -> None:
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
        self.limits = RequestLimits(
            config, scorer.info.max_length, metrics, single_pass=scorer.info.native == "labels"
        )
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
    with request_context(timeout, token):
        return function()


def create_app(
    scorer: Scorer, config: ServeConfig | None = None, *, routes: str | Path | Sequence[Route | Mapping[str, Any]] | None = None
) -> Any:
    """The ASGI app (FastAPI behind the guard middleware) serving ``scorer``.

    ``routes`` (a routes YAML file, or a list of Route / dicts) enables ``/v1/route``.

    The batcher's worker starts with the app (lifespan) and stops at shutdown, after the sub-call in progress.
    """
    fastapi = require("fastapi", extra="serve")
    anyio = require("anyio", extra="serve")
    from entailkit.serve import endpoints

    cfg = config or ServeConfig()
    metrics = ServerMetrics()
    state = ServerState(scorer, cfg, None, metrics)
    if routes is not None:
        if isinstance(routes, (str, Path)):
            state.router = Router.from_routes_file(routes, state.scorer)
        else:
            state.router = Router(state.scorer, list(routes))
        if any(route.examples for route in state.router.routes):
            logger.info("routes have example utterances; the server routes zero-shot (no embedding model served).")

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        state.limiter = anyio.CapacityLimiter(cfg.max_queue)
        state.batcher.start()
        logger.info("serving %s (max_queue=%d, wait=%g ms)", state.model_name, cfg.max_queue, cfg.max_batch_wait_ms)
        try:
            yield
        finally:
            # Off the event loop: the worker may still finish a sub-call, and responses must still go out.
            await anyio.to_thread.run_sync(functools.partial(state.batcher.close, timeout=cfg.graceful_timeout_s))
            logger.info("batcher stopped")

    app = fastapi.FastAPI(
        title="entailkit",
        description="Rerank (Cohere / Jina / TEI shapes), check, classify and route with one small NLI model.",
        lifespan=lifespan,
    )
    app.state.entailkit = state
    endpoints.install(app, state)
    guard = state.guard = GuardMiddleware(
        app,
        api_key=cfg.api_key,
        max_body_bytes=cfg.max_body_bytes,
        metrics=metrics,
        endpoints=ENDPOINTS,
        is_full=lambda: state.batcher.admitted >= cfg.max_queue,
        retry_after_s=cfg.retry_after_s,
        max_connections=cfg.max_connections,
        body_timeout_s=cfg.body_timeout_s,
    )
    metrics.gauge("entailkit_open_requests", "HTTP requests open (reading or waiting).", lambda: guard.open_requests)
    return guard


def rerank_payload(result: RerankResult, *, return_documents: bool, version: str, model: str) -> dict[str, Any]:
    """The Cohere / Jina response: ``{id, results: [{index, relevance_score, document?}], meta, model}``."""
    results: list[dict[str, Any]] = []
    for item in result.items:
        entry: dict[str, Any] = {"index": item.index, "relevance_score": item.score}
        if return_documents:
            entry["document"] = {"text": item.text}
        results.append(entry)
    return {
        "id": str(uuid.uuid4()),
        "results": results,
        "meta": {"api_version": {"version": version}, "billed_units": {"search_units": 1}},
        "model": model,
    }


__all__ = ["ApiError", "ServerState", "create_app", "error_body", "public_model_name", "rerank_payload"]
