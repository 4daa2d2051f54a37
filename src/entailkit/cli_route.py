"""``entailkit route``: route queries with a routes YAML file (or a saved router); JSON lines out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from entailkit.errors import EntailkitError

ModelOption = Annotated[str, typer.Option("--model", "-m", help="Local model directory or hub id.")]
DeviceOption = Annotated[Optional[str], typer.Option(help="cpu, cuda or mps (default: best available).")]  # noqa: UP045
DtypeOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(help="float32, float16 or bfloat16 (default: float32 on CPU)."),
]


def route(
    model: ModelOption,
    queries: Annotated[Optional[list[str]], typer.Argument(help="Queries to route.")] = None,  # noqa: UP045
    routes: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--routes", help="Routes YAML: routes (name, description, examples, threshold), fallback."),
    ] = None,
    router_file: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--router", help="A router saved by Router.save (JSON), instead of --routes."),
    ] = None,
    embedding_model: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Embedding model for the kNN signal over the routes' example utterances."),
    ] = None,
    source: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--input", help="JSON lines with a 'query' field (other fields copied), or - for stdin."),
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Pairs per forward pass.")] = 32,
    device: DeviceOption = None,
    dtype: DtypeOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Route queries: one JSON object per query (route, routes, every route's score, deciding signal)."""
    from entailkit.cli import emit, fail, load, read_jsonl
    from entailkit.tasks.routing import Router

    if (routes is None) == (router_file is None):
        raise fail("pass exactly one of --routes (a routes YAML) or --router (a saved router JSON)")
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
    try:
        if router_file is not None:
            router = Router.load(router_file, scorer, embedding_scorer=embedder)
        else:
            assert routes is not None
            router = Router.from_routes_file(routes, scorer, embedding_scorer=embedder)
        decisions = router.route_batch([r["query"] for r in records], show_progress=not quiet)
    except EntailkitError as exc:
        raise fail(str(exc)) from exc
    for record, decision in zip(records, decisions, strict=True):
        extra = {k: v for k, v in record.items() if k != "query"}
        emit({**extra, **decision.model_dump(mode="json")})


def register(app: typer.Typer) -> None:
    """Add ``route`` to the ``entailkit`` app."""
    app.command("route")(route)
