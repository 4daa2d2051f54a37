"""``entailkit serve``: the HTTP API with dynamic batching, registered on the app in cli.py."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from entailkit.errors import EntailkitError


def serve(
    model: Annotated[str, typer.Option("--model", "-m", help="Local model directory or hub id.")],
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback needs an API key.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    routes: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Routes YAML file: enables POST /v1/route."),
    ] = None,
    api_key: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Require 'Authorization: Bearer <key>' (default: $ENTAILKIT_API_KEY)."),
    ] = None,
    max_batch_wait_ms: Annotated[float, typer.Option(help="How long to wait for requests to merge (ms).")] = 5.0,
    max_batch_pairs: Annotated[int, typer.Option(help="Most pairs in one merged model call.")] = 256,
    max_queue: Annotated[int, typer.Option(help="Requests admitted at once; more get 503 + Retry-After.")] = 64,
    request_timeout: Annotated[float, typer.Option(help="Seconds before a request gets 504.")] = 30.0,
    max_body_bytes: Annotated[int, typer.Option(help="Largest request body (413 above).")] = 4 * 1024 * 1024,
    max_documents: Annotated[int, typer.Option(help="Documents (texts, contexts) per request.")] = 1000,
    max_document_chars: Annotated[int, typer.Option(help="Characters per document.")] = 50_000,
    batch_size: Annotated[int, typer.Option(help="Pairs per forward pass (also capped by a token budget).")] = 32,
    device: Annotated[Optional[str], typer.Option(help="cpu, cuda or mps (default: best available).")] = None,  # noqa: UP045
    dtype: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="float32, float16 or bfloat16 (default: float32 on CPU)."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve rerank (Cohere / Jina / TEI shapes), check, classify and route over HTTP with one model."""
    from entailkit.cli import fail, load
    from entailkit.serve.config import ServeConfig

    try:
        config = ServeConfig(
            host=host,
            port=port,
            api_key=api_key,
            max_batch_wait_ms=max_batch_wait_ms,
            max_batch_pairs=max_batch_pairs,
            max_queue=max_queue,
            request_timeout_s=request_timeout,
            max_body_bytes=max_body_bytes,
            max_documents=max_documents,
            max_document_chars=max_document_chars,
        ).with_env_key()
        config.check_exposure()  # before loading the model: refuse fast
    except EntailkitError as exc:
        raise fail(str(exc)) from exc
    scorer = load(model, device, dtype, batch_size=batch_size)
    from entailkit.serve.server import serve as run

    try:
        run(scorer, config, routes=routes, log_level=log_level)
    except EntailkitError as exc:
        raise fail(str(exc)) from exc


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``entailkit`` app."""
    app.command("serve")(serve)
