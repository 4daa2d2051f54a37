"""``entailkit score`` and ``entailkit info``: score (premise, hypothesis) pairs, describe a model."""

from __future__ import annotations

from typing import Annotated

import typer

from entailkit.cli._common import (
    BatchOption,
    DeviceOption,
    DtypeOption,
    ModelOption,
    QuietOption,
    emit,
    exit_on_error,
    fail,
    load,
    read_jsonl,
)
from entailkit.cli.app import app

__all__ = ["info", "score"]


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
    with exit_on_error():
        result = scorer.score_pairs(
            [r["premise"] for r in records],
            [r["hypothesis"] for r in records],
            normalization=normalization,
            truncation=truncation,
            show_progress=not quiet,
        )
    for record, item in zip(records, result, strict=True):
        emit(
            {**{k: v for k, v in record.items() if k not in ("premise", "hypothesis")}, **item.model_dump(mode="json")}
        )


@app.command()
def info(model: ModelOption, device: DeviceOption = None, dtype: DtypeOption = None) -> None:
    """Show what a model is: kind, head, label map, max length, device and dtype (JSON)."""
    scorer = load(model, device, dtype)
    emit(scorer.info.model_dump(mode="json"))
