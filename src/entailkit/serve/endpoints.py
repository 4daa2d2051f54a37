"""The HTTP endpoints and error handlers, installed on a FastAPI app by :func:`install`."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import TYPE_CHECKING, Any

from entailkit._documents import TEXT_FIELDS
from entailkit._optional import require
from entailkit.errors import ApiError, InvalidInputError
from entailkit.serve.errors import error_body, error_headers
from entailkit.serve.metrics import CONTENT_TYPE
from entailkit.serve.payloads import rerank_payload
from entailkit.serve.schemas import (
    CheckRequest,
    CheckStreamRequest,
    ClassifyRequest,
    FullRerankRequest,
    RerankRequest,
    RouteRequest,
    TeiRerankRequest,
)
from entailkit.serve.state import ServerState
from entailkit.types import GroundednessReport, RerankResult

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["ENDPOINTS", "install"]

logger = logging.getLogger(__name__)

ENDPOINTS = frozenset(
    {
        "/v1/rerank",
        "/v2/rerank",
        "/v1/rerank/full",
        "/rerank",
        "/v1/classify",
        "/v1/check",
        "/v1/check/stream",
        "/v1/route",
        "/health",
        "/metrics",
    }
)
"""The paths :func:`install` serves (the guard counts requests to any other path under one label)."""


def install(app: FastAPI, state: ServerState) -> None:
    """Add every endpoint and the JSON error handlers to ``app``.

    Args:
        app: The FastAPI app.
        state: What the endpoints share (the batching scorer, the tasks, limits, metrics, config).
    """
    responses = require("fastapi.responses", extra="serve")
    exceptions = require("fastapi.exceptions", extra="serve")
    starlette_exceptions = require("starlette.exceptions", extra="serve")
    PlainTextResponse = responses.PlainTextResponse
    config = state.config

    from fastapi.responses import JSONResponse as BaseJSONResponse

    class JSONResponse(BaseJSONResponse):
        """Errors as ASCII-escaped JSON: a message may quote any string the client sent (lone surrogates too)."""

        def render(self, content: Any) -> bytes:
            return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")

    def _error(request: Any, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Any:
        body = error_body(kind, message, request.url.path)  # each API's own shape (Cohere, TEI, entailkit)
        return JSONResponse(body, status_code=status, headers=error_headers(kind, headers))

    @app.exception_handler(ApiError)
    async def _api_error(request: Any, exc: ApiError) -> Any:
        return _error(request, exc.status, exc.error_type, exc.message, exc.headers)

    @app.exception_handler(InvalidInputError)
    async def _invalid(request: Any, exc: InvalidInputError) -> Any:
        return _error(request, 422, "invalid_request", str(exc))

    @app.exception_handler(exceptions.RequestValidationError)
    async def _validation(request: Any, exc: Any) -> Any:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _error(request, 400, "invalid_json", "the request body is not valid JSON.")
        parts = []
        for e in errors[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
            parts.append(f"{where}: {e.get('msg')}")
        return _error(request, 422, "invalid_request", "; ".join(parts))

    @app.exception_handler(starlette_exceptions.HTTPException)
    async def _http(request: Any, exc: Any) -> Any:
        kind = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(request, exc.status_code, kind, str(exc.detail))

    @app.exception_handler(Exception)
    async def _internal(request: Any, exc: Exception) -> Any:
        reference = uuid.uuid4().hex[:12]
        logger.error("internal error %s: %s: %s", reference, type(exc).__name__, exc, exc_info=exc)
        message = f"internal error (reference {reference} in the server log)."  # no exception text: no local paths
        return _error(request, 500, "internal_error", message)

    # -- rerank ------------------------------------------------------------------------------------

    async def _rerank(
        query: str,
        documents: list[Any],
        top_n: int | None,
        threshold: float | None,
        first_stage_scores: list[float] | None = None,
        field: str = "documents",
    ) -> RerankResult:
        state.limits.rerank(query, documents, field=field)
        reranker = state.rerank_task.get()  # the request's top_n / threshold: per call, over the configured ones
        return await state.run(
            lambda: reranker.rerank(
                query, documents, top_n=top_n, threshold=threshold, first_stage_scores=first_stage_scores
            )
        )

    def _cohere_documents(body: RerankRequest) -> list[Any]:
        key = body.rank_fields[0] if body.rank_fields else None
        out: list[Any] = []
        for i, doc in enumerate(body.documents):
            if not isinstance(doc, dict):
                out.append(doc)
            elif key is not None:
                if not isinstance(doc.get(key), str):
                    raise ApiError(422, "invalid_request", f"documents[{i}] has no str field {key!r} (rank_fields).")
                out.append({"text": doc[key]})
            elif not any(field in doc for field in TEXT_FIELDS):  # the core's hint names a Python argument
                fields = ", ".join(repr(f) for f in TEXT_FIELDS)
                raise ApiError(
                    422,
                    "invalid_request",
                    f'documents[{i}] has no text field ({fields}); send rank_fields=["<field>"] to name the '
                    "field that holds the text.",
                )
            else:
                out.append(doc)
        return out

    @app.post("/v1/rerank", tags=["rerank"], summary="Rerank (Cohere v1 / Jina shape)")
    async def rerank_v1(body: RerankRequest) -> dict[str, Any]:
        result = await _rerank(body.query, _cohere_documents(body), body.top_n, None, body.first_stage_scores)
        return rerank_payload(result, return_documents=body.return_documents, version="1", model=state.model_name)

    @app.post("/v2/rerank", tags=["rerank"], summary="Rerank (Cohere v2 shape)")
    async def rerank_v2(body: RerankRequest) -> dict[str, Any]:
        result = await _rerank(body.query, _cohere_documents(body), body.top_n, None, body.first_stage_scores)
        return rerank_payload(result, return_documents=body.return_documents, version="2", model=state.model_name)

    @app.post("/v1/rerank/full", tags=["rerank"], summary="Rerank, entailkit's full RerankResult")
    async def rerank_full(body: FullRerankRequest) -> dict[str, Any]:
        result = await _rerank(body.query, list(body.documents), body.top_n, body.threshold, body.first_stage_scores)
        dumped: dict[str, Any] = result.model_dump(mode="json")
        return dumped

    @app.post("/rerank", tags=["rerank"], summary="Rerank (text-embeddings-inference shape)")
    async def rerank_tei(body: TeiRerankRequest) -> list[dict[str, Any]]:
        result = await _rerank(body.query, list(body.texts), None, None, field="texts")
        label_map = state.scorer.info.label_map
        index = label_map.get("entailment", 0)
        out: list[dict[str, Any]] = []
        for item in result.items:
            logits = item.pair.logits
            raw = logits[index] if len(logits) > index else item.raw_score
            entry: dict[str, Any] = {"index": item.index, "score": raw if body.raw_scores else item.score}
            if body.return_text:
                entry["text"] = item.text
            out.append(entry)
        if body.raw_scores:  # TEI sorts by the score it returns; a 3-way head's logit can order otherwise
            out.sort(key=lambda entry: (-entry["score"], entry["index"]))
        return out

    # -- check, classify, route --------------------------------------------------------------------

    @app.post(
        "/v1/check",
        tags=["tasks"],
        summary="Groundedness of an answer against its contexts",
        response_model=None,  # the dumped report goes out as it is; the schema below only documents it
        responses={200: {"model": GroundednessReport, "description": "The GroundednessReport as JSON."}},
    )
    async def check(body: CheckRequest) -> dict[str, Any]:
        state.limits.check(body.answer, body.contexts, body.question)
        try:  # the request's options over the configured checker's spec (None: the configured value)
            checker = state.check_task.get(
                threshold=body.threshold,
                contradiction_threshold=body.contradiction_threshold,
                aggregate=body.aggregate,
            )
        except InvalidInputError as exc:
            raise ApiError(422, "invalid_request", str(exc)) from exc
        report = await state.run(lambda: checker.check(body.answer, body.contexts, body.question))
        dumped: dict[str, Any] = report.model_dump(mode="json")
        return dumped

    @app.post("/v1/check/stream", tags=["tasks"], summary="Groundedness sentence by sentence, as NDJSON lines")
    async def check_stream(body: CheckStreamRequest) -> Any:
        if (body.answer is None) == (body.chunks is None):
            raise ApiError(422, "invalid_request", "give exactly one of 'answer' (a str) or 'chunks' (a list of str).")
        chunks = [body.answer] if body.answer is not None else list(body.chunks or [])
        state.limits.check("".join(chunks), body.contexts, body.question)
        try:
            checker = state.check_task.get(
                threshold=body.threshold,
                contradiction_threshold=body.contradiction_threshold,
                aggregate=body.aggregate,
            )
        except InvalidInputError as exc:
            raise ApiError(422, "invalid_request", str(exc)) from exc
        return responses.StreamingResponse(
            _check_lines(state, checker, chunks, body), media_type="application/x-ndjson"
        )

    @app.post("/v1/classify", tags=["tasks"], summary="Zero-shot classification")
    async def classify(body: ClassifyRequest) -> dict[str, Any]:
        state.limits.classify(body.texts, body.labels, body.hypothesis_template)
        classifier = state.classify_task.get()  # the request's template: per call, over the configured one
        results = await state.run(
            lambda: classifier.classify(
                body.texts,
                body.labels,
                multi_label=body.multi_label,
                threshold=body.threshold,
                hypothesis_template=body.hypothesis_template,
            )
        )
        return {"results": [r.model_dump(mode="json", exclude={"examples"}) for r in results]}

    @app.post("/v1/route", tags=["tasks"], summary="Route queries (needs --routes)")
    async def route(body: RouteRequest) -> dict[str, Any]:
        router = state.router
        if router is None:
            raise ApiError(404, "not_found", "routing is off: start the server with --routes routes.yaml.")
        if (body.query is None) == (body.queries is None):
            raise ApiError(422, "invalid_request", "give exactly one of 'query' (a str) or 'queries' (a list).")
        queries = [body.query] if body.query is not None else list(body.queries or [])
        state.limits.route(queries, [r.description for r in router.routes])
        decisions = await state.run(lambda: router.route_many(queries))
        return {"results": [d.model_dump(mode="json") for d in decisions]}

    # -- operations --------------------------------------------------------------------------------

    @app.get("/health", tags=["operations"], summary="Liveness and what is served")
    async def health() -> dict[str, Any]:
        info = state.scorer.info
        return {
            "status": "ok",
            "model": state.model_name,
            "kind": info.kind,
            "head": info.head,
            "device": info.device,
            "routes": state.router.names if state.router is not None else None,
            "queue_depth": state.batcher.depth,
            "in_flight": state.batcher.admitted,
            "max_queue": config.max_queue,
            "open_requests": state.guard.open_requests if state.guard is not None else 0,
            "max_connections": config.max_connections,
        }

    app.add_api_route("/health", health, methods=["HEAD"], include_in_schema=False)  # load balancers probe with HEAD

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=PlainTextResponse)
    async def metrics() -> Any:
        return PlainTextResponse(state.metrics.render(), media_type=CONTENT_TYPE)


async def _check_lines(state: ServerState, checker: Any, chunks: list[str], body: CheckStreamRequest) -> Any:
    """NDJSON lines of a streaming check: ``{"type": "sentence", ...}`` per sentence as soon as it is scored
    (a ``StreamedSentence``), then ``{"type": "report", "report": ...}``, or ``{"type": "error", "error": ...}``
    when the check fails once the response has started (overloaded, timed out, cancelled).

    The whole stream runs as one task call (``state.run``: one admission slot, the request's deadline and
    cancel token, the server's batching scorer); each verdict is handed to the event loop as it is made.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()

    def work() -> Any:
        stream = checker.stream(iter(chunks), body.contexts, policy=body.policy, question=body.question)
        for item in stream:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        return stream.report

    def line(payload: dict[str, Any]) -> bytes:
        return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n"

    task = asyncio.ensure_future(state.run(work))
    try:
        while not (task.done() and queue.empty()):
            get = asyncio.ensure_future(queue.get())
            await asyncio.wait({get, task}, return_when=asyncio.FIRST_COMPLETED)
            if not get.done():
                get.cancel()
                continue
            yield line({"type": "sentence", **get.result().model_dump(mode="json")})
        try:
            report = task.result()
        except ApiError as exc:
            yield line({"type": "error", **error_body(exc.error_type, exc.message)})
            return
        yield line({"type": "report", "report": report.model_dump(mode="json")})
    finally:
        task.cancel()
