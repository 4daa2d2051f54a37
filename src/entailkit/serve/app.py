"""The FastAPI application: endpoints translate HTTP shapes to entailkit's task classes and back.

No scoring happens here: every endpoint calls a task (Reranker, GroundednessChecker,
ZeroShotClassifier, Router) built on a :class:`~entailkit.serve.batcher.BatchingScorer`, in a worker
thread (off the event loop), inside one of ``max_queue`` admission slots and under the request deadline.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from entailkit._optional import require
from entailkit.errors import EntailkitError, InvalidInputError
from entailkit.scorers.base import Scorer
from entailkit.serve.batcher import (
    BatcherClosed,
    BatchingScorer,
    MicroBatcher,
    Overloaded,
    RequestTimeout,
    request_deadline,
)
from entailkit.serve.config import ServeConfig
from entailkit.serve.guard import GuardMiddleware, error_body
from entailkit.serve.metrics import ServerMetrics
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


class ApiError(EntailkitError):
    """An error answered with ``status`` and the JSON error body."""

    def __init__(self, status: int, error_type: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.error_type, self.message, self.headers = status, error_type, message, headers or {}


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
        self.scorer = BatchingScorer(self.batcher)
        self.reranker = Reranker(self.scorer)
        self.classifier = ZeroShotClassifier(self.scorer)
        self.router = router
        self.model_name = config.model_name or scorer.info.model
        self.limiter: Any = None
        metrics.gauge("entailkit_queue_depth", "Scorer jobs waiting for the model worker.", lambda: self.batcher.depth)
        metrics.gauge(
            "entailkit_requests_in_flight", "Requests admitted and not finished.", lambda: self.batcher.admitted
        )

    async def run(self, function: Callable[[], T]) -> T:
        """Run a task call in a worker thread, inside an admission slot and the request deadline."""
        anyio = require("anyio", extra="serve")
        try:
            with self.batcher.admit():
                timeout = self.config.request_timeout_s or None
                call = functools.partial(_with_deadline, function, timeout)
                result: T = await anyio.to_thread.run_sync(call, limiter=self.limiter)
                return result
        except (Overloaded, BatcherClosed) as exc:
            self.metrics.rejected.inc("overloaded" if isinstance(exc, Overloaded) else "closing")
            raise ApiError(503, "overloaded", str(exc), {"Retry-After": str(self.config.retry_after_s)}) from exc
        except RequestTimeout as exc:
            self.metrics.rejected.inc("timeout")
            raise ApiError(
                504, "timeout", f"no result within {self.config.request_timeout_s:g} s ({exc}); retry later."
            ) from exc
        except InvalidInputError as exc:
            raise ApiError(422, "invalid_request", str(exc)) from exc

    # -- limits ------------------------------------------------------------------------------------

    def check_texts(self, texts: Sequence[Any], what: str, *, max_items: int | None = None) -> None:
        """422 when there are too many items or one is too long."""
        limit = max_items or self.config.max_documents
        if len(texts) > limit:
            raise ApiError(
                422,
                "too_many_items",
                f"{len(texts)} {what} in one request; the limit is {limit}. Split the request.",
            )
        for i, item in enumerate(texts):
            text = item if isinstance(item, str) else _text_of(item)
            if text is not None and len(text) > self.config.max_document_chars:
                raise ApiError(
                    422,
                    "document_too_long",
                    f"{what}[{i}] has {len(text)} characters; the limit is {self.config.max_document_chars}.",
                )


def _with_deadline(function: Callable[[], T], timeout: float | None) -> T:
    with request_deadline(timeout):
        return function()


def _text_of(item: Any) -> str | None:
    if isinstance(item, dict):
        for key in ("text", "page_content", "content"):
            if isinstance(item.get(key), str):
                return str(item[key])
    return None


def create_app(
    scorer: Scorer, config: ServeConfig | None = None, *, routes: str | Path | Sequence[Route | Mapping[str, Any]] | None = None
) -> Any:
    """The ASGI app (FastAPI behind the guard middleware) serving ``scorer``.

    ``routes`` (a routes YAML file, or a list of Route / dicts) enables ``/v1/route``.

    The batcher's worker starts with the app (lifespan) and drains its queue at shutdown.
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
            state.batcher.close(timeout=cfg.graceful_timeout_s)
            logger.info("batcher drained and stopped")

    app = fastapi.FastAPI(
        title="entailkit",
        description="Rerank (Cohere / Jina / TEI shapes), check, classify and route with one small NLI model.",
        lifespan=lifespan,
    )
    app.state.entailkit = state
    endpoints.install(app, state)
    return GuardMiddleware(
        app,
        api_key=cfg.api_key,
        max_body_bytes=cfg.max_body_bytes,
        metrics=metrics,
        endpoints=ENDPOINTS,
        is_full=lambda: state.batcher.admitted >= cfg.max_queue,
        retry_after_s=cfg.retry_after_s,
    )


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


__all__ = ["ApiError", "ServerState", "create_app", "error_body", "rerank_payload"]
