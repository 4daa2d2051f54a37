"""The ``entailkit`` command line: score pairs, inspect models, and the task commands registered below."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from entailkit.errors import EntailkitError

app = typer.Typer(
    name="entailkit",
    help="Small local NLI and zero-shot models for RAG: rerank, check, route.",
    no_args_is_help=True,
    add_completion=False,
)

ModelOption = Annotated[str, typer.Option("--model", "-m", help="Local model directory or hub id.")]
DeviceOption = Annotated[str | None, typer.Option(help="cpu, cuda or mps (default: best available).")]
DtypeOption = Annotated[str | None, typer.Option(help="float32, float16 or bfloat16 (default: float32 on CPU).")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
BatchOption = Annotated[int, typer.Option(help="Pairs per forward pass (also capped by a token budget).")]


def fail(message: str) -> typer.Exit:
    """Print an error to stderr and return the exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def read_jsonl(source: str) -> Iterator[dict[str, Any]]:
    """Records from a JSON-lines file, or stdin for ``-``; blank lines are skipped."""
    stream = sys.stdin if source == "-" else Path(source).open(encoding="utf-8")  # noqa: SIM115
    try:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise fail(f"{source}:{number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(record, dict):
                raise fail(f"{source}:{number}: each line must be a JSON object")
            yield record
    finally:
        if stream is not sys.stdin:
            stream.close()


def emit(record: Any) -> None:
    """One JSON document per line on stdout."""
    typer.echo(json.dumps(record, ensure_ascii=False))


def load(model: str, device: str | None, dtype: str | None, **kwargs: Any) -> Any:
    """load_scorer with CLI-friendly errors."""
    from entailkit.scorers.loading import load_scorer

    try:
        return load_scorer(model, device=device, dtype=dtype, **kwargs)
    except EntailkitError as exc:
        raise fail(str(exc)) from exc


@app.callback()
def _setup(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log at INFO level.")] = False) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


@app.command()
def score(
    model: ModelOption,
    source: Annotated[
        str | None, typer.Argument(help="JSON lines with premise and hypothesis, or - for stdin.")
    ] = None,
    premise: Annotated[str | None, typer.Option(help="One premise (with --hypothesis).")] = None,
    hypothesis: Annotated[str | None, typer.Option(help="One hypothesis (with --premise).")] = None,
    normalization: Annotated[str, typer.Option(help="softmax or entailment_vs_contradiction.")] = "softmax",
    truncation: Annotated[str, typer.Option(help="window, head or error.")] = "window",
    batch_size: BatchOption = 32,
    device: DeviceOption = None,
    dtype: DtypeOption = None,
    quiet: QuietOption = False,
) -> None:
    """Score (premise, hypothesis) pairs; prints one JSON object per pair."""
    if (premise is None) != (hypothesis is None):
        raise fail("--premise and --hypothesis go together")
    if premise is not None and source is not None:
        raise fail("give either --premise/--hypothesis or a JSON-lines file, not both")
    if premise is None and source is None:
        raise fail("nothing to score: pass --premise and --hypothesis, or a JSON-lines file (- for stdin)")
    records = [{"premise": premise, "hypothesis": hypothesis}] if premise is not None else list(read_jsonl(str(source)))
    for i, record in enumerate(records):
        if not isinstance(record.get("premise"), str) or not isinstance(record.get("hypothesis"), str):
            raise fail(f"record {i + 1} needs string fields 'premise' and 'hypothesis', got {sorted(record)}")
    scorer = load(model, device, dtype, batch_size=batch_size)
    try:
        result = scorer.score_pairs(
            [r["premise"] for r in records],
            [r["hypothesis"] for r in records],
            normalization=normalization,
            truncation=truncation,
            show_progress=not quiet,  # type: ignore[arg-type]
        )
    except EntailkitError as exc:
        raise fail(str(exc)) from exc
    for record, item in zip(records, result, strict=True):
        emit(
            {**{k: v for k, v in record.items() if k not in ("premise", "hypothesis")}, **item.model_dump(mode="json")}
        )


@app.command()
def info(model: ModelOption, device: DeviceOption = None, dtype: DtypeOption = None) -> None:
    """Show what a model is: kind, head, label map, max length, device and dtype (JSON)."""
    scorer = load(model, device, dtype)
    emit(scorer.info.model_dump(mode="json"))


def _register_task_commands() -> None:
    from entailkit import cli_tasks

    cli_tasks.register(app)
    from entailkit import cli_train

    cli_train.register(app)
    from entailkit._cli_classify import classify

    app.command("classify")(classify)
    from entailkit import cli_route

    cli_route.register(app)
    from entailkit import cli_batch

    cli_batch.register(app)
    from entailkit import cli_serve

    cli_serve.register(app)
    from entailkit import cli_bench

    cli_bench.register(app)


_register_task_commands()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
