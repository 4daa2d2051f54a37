"""``entailkit route``: route queries with a routes YAML file (or a saved router); JSON lines out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from entailkit.cli._common import (
    DeviceOption,
    DtypeOption,
    ModelOption,
    QuietOption,
    emit,
    exit_on_error,
    fail,
    load,
    read_jsonl,
    task_spec,
)
from entailkit.cli.app import app

__all__ = ["route"]


@app.command("route")
def route(
    ctx: typer.Context,
    model: ModelOption,
    queries: Annotated[list[str] | None, typer.Argument(help="Queries to route.")] = None,
    routes_file: Annotated[
        Path | None,
        typer.Option("--routes", help="Routes YAML: routes (name, description, examples, threshold), fallback."),
    ] = None,
    router_file: Annotated[
        Path | None,
        typer.Option("--router", help="A router saved by Router.save (JSON), instead of --routes."),
    ] = None,
    embedding_model: Annotated[
        str | None,
        typer.Option(help="Embedding model for the kNN signal over the routes' example utterances."),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option("--input", help="JSON lines with a 'query' field (other fields copied), or - for stdin."),
    ] = None,
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            help="JSON or YAML file of the router's options (its spec: routes, fallback, threshold, ...); "
            "it overrides a --router's, and --routes overrides it.",
        ),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(
            help="Language of the queries (ISO 639-1: de, fr, zh, ...): its built-in NLI template; a "
            "hypothesis_template given (in --routes, --spec or a saved --router) wins."
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Pairs per forward pass.")] = 32,
    device: DeviceOption = None,
    dtype: DtypeOption = None,
    quiet: QuietOption = False,
) -> None:
    """Route queries: one JSON object per query (route, routes, every route's score, deciding signal)."""
    from entailkit.tasks.route_io import read_routes_file  # tasks import numpy: loaded only when run
    from entailkit.tasks.routing import Router
    from entailkit.tasks.specs import RouteSpec, read_spec_file

    with exit_on_error():
        spec_routes = spec is not None and "routes" in read_spec_file(spec)
    given = (routes_file is not None) + (router_file is not None)
    if given > 1 or not (given or spec_routes):
        raise fail(
            "pass exactly one of --routes (a routes YAML) or --router (a saved router JSON), or a --spec with routes"
        )
    records: list[dict[str, Any]] = [{"query": q} for q in queries or []]
    if source is not None:
        if records:
            raise fail("give queries as arguments or with --input, not both")
        records = list(read_jsonl(source))
        for i, record in enumerate(records):
            if not isinstance(record.get("query"), str):
                raise fail(f"record {i + 1} needs a string field 'query', got {sorted(record)}")
    if not records:
        raise fail("nothing to route: pass queries as arguments, or --input FILE (- for stdin)")
    scorer = load(model, device, dtype, batch_size=batch_size)
    embedder = load(embedding_model, device, dtype, kind="embedding") if embedding_model else None
    with exit_on_error():
        saved = Router.load(router_file, scorer, embedding_scorer=embedder) if router_file is not None else None
        over = read_routes_file(routes_file) if routes_file is not None else None
    options = task_spec(ctx, RouteSpec, spec, base=RouteSpec.of(saved).options() if saved else None, over=over)
    with exit_on_error():
        calibrator = saved.calibrator if saved is not None else None
        router = options.build(scorer, embedding_scorer=embedder, calibrator=calibrator)
        decisions = router.route_many([r["query"] for r in records], show_progress=not quiet)
    for record, decision in zip(records, decisions, strict=True):
        extra = {k: v for k, v in record.items() if k != "query"}
        emit({**extra, **decision.model_dump(mode="json")})
