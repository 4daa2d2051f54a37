"""The ASGI application: FastAPI with the endpoints of :mod:`entailkit.serve.endpoints`, behind the guard.

No scoring happens here: every endpoint calls a task (Reranker, GroundednessChecker, ZeroShotClassifier,
Router) built on a :class:`~entailkit.batching.scoring.BatchingScorer`, in a worker thread (off the event
loop), inside one of ``max_queue`` admission slots and under the request deadline; what the endpoints
share is the :class:`~entailkit.serve.state.ServerState` built by :func:`~entailkit.serve.state.build_state`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from entailkit._optional import require
from entailkit.serve import endpoints
from entailkit.serve.config import ServeConfig
from entailkit.serve.guard import DOCS_ASSETS, GuardMiddleware
from entailkit.serve.state import CheckArg, ClassifyArg, ModelArg, RerankArg, RoutesArg, build_state

logger = logging.getLogger(__name__)


def create_app(
    scorer: ModelArg,
    config: ServeConfig | None = None,
    *,
    routes: RoutesArg = None,
    rerank: RerankArg = None,
    check: CheckArg = None,
    classify: ClassifyArg = None,
) -> Any:
    """The ASGI app (FastAPI behind the guard middleware) serving ``scorer``.

    The batcher's worker starts with the app (lifespan) and stops at shutdown, after the sub-call in progress.
    Each task argument is a task configured on ``scorer`` (its options and calibrator are used, on the
    server's batching scorer), its spec (``RerankSpec(top_n=5)``), a mapping of its options, or None (the
    task's defaults). A request's own options (``top_n``, ``threshold``, ``aggregate``, ``hypothesis_template``,
    ...) override the configured ones for that request; a request that leaves one out gets the configured value.

    Args:
        scorer: A Scorer, or a model id (local directory or hub id) loaded once per process through
            :func:`entailkit.shared_scorer`, so the app serves the scorer other components already hold.
        config: The server's options (default ``ServeConfig()``).
        routes: A routes YAML file, a list of Route / dicts, a Router on ``scorer``, a RouteSpec or its
            mapping: enables ``/v1/route``.
        rerank: The Reranker of ``/v1/rerank``, ``/v2/rerank``, ``/v1/rerank/full`` and ``/rerank``.
        check: The GroundednessChecker of ``/v1/check``.
        classify: The ZeroShotClassifier of ``/v1/classify``.

    Returns:
        The guard middleware wrapping the FastAPI app (``.app.state.entailkit`` is the ServerState).

    Raises:
        InvalidInputError: A task configured on another scorer, or options a task refuses.
    """
    offline_docs = require("fastapi_offline", extra="serve")
    anyio = require("anyio", extra="serve")

    cfg = config or ServeConfig()
    state = build_state(scorer, cfg, routes, rerank=rerank, check=check, classify=classify)

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

    # /docs and /redoc load Swagger UI and ReDoc from the server itself (DOCS_ASSETS), not from a CDN.
    app = offline_docs.FastAPIOffline(
        static_url=DOCS_ASSETS,
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
        metrics=state.metrics,
        endpoints=endpoints.ENDPOINTS,
        is_full=lambda: state.batcher.admitted >= cfg.max_queue,
        retry_after_s=cfg.retry_after_s,
        max_connections=cfg.max_connections,
        body_timeout_s=cfg.body_timeout_s,
    )
    state.metrics.gauge(
        "entailkit_open_requests", "HTTP requests open (reading or waiting).", lambda: guard.open_requests
    )
    return guard


__all__ = ["create_app"]
