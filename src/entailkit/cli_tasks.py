"""``entailkit rerank`` and ``entailkit check``: the task commands, registered on the app in cli.py."""

from __future__ import annotations

import json
import sys
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
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
BatchOption = Annotated[int, typer.Option(help="Pairs per forward pass (also capped by a token budget).")]
IndentOption = Annotated[Optional[int], typer.Option(help="Pretty-print the JSON with this indent.")]  # noqa: UP045


def rerank(
    model: ModelOption,
    query: Annotated[str, typer.Option("--query", help="The query to rank the documents against.")],
    source: Annotated[
        str,
        typer.Argument(
            help="Documents, one per line: a JSON object with 'text' (other fields come back untouched), "
            "a JSON string, or plain text; - for stdin."
        ),
    ] = "-",
    top_n: Annotated[Optional[int], typer.Option(help="Keep the best N.")] = None,  # noqa: UP045
    threshold: Annotated[Optional[float], typer.Option(help="Drop documents scoring below this.")] = None,  # noqa: UP045
    query_template: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="NLI hypothesis template with one {} for the query (default: 'This text is about {}.')."),
    ] = None,
    text_key: Annotated[Optional[str], typer.Option(help="Field holding the text in JSON objects.")] = None,  # noqa: UP045
    first_stage_key: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Field of the JSON objects holding the retriever's score, for a model trained on top of it."),
    ] = None,
    batch_size: BatchOption = 32,
    device: DeviceOption = None,
    dtype: DtypeOption = None,
    indent: IndentOption = None,
    quiet: QuietOption = False,
) -> None:
    """Rerank documents for a query; prints one JSON object (items sorted by score, with their input index)."""
    from entailkit.cli import fail, load
    from entailkit.tasks.rerank import Reranker

    documents = _read_documents(source, fail)
    scorer = load(model, device, dtype, batch_size=batch_size)
    try:
        reranker = Reranker(
            scorer, query_template=query_template, top_n=top_n, threshold=threshold,
            text_key=text_key, show_progress=not quiet,
        )  # fmt: skip
        scores = None
        if first_stage_key is not None:
            missing = [i for i, d in enumerate(documents) if not isinstance(d, dict) or first_stage_key not in d]
            if missing:
                raise fail(f"--first-stage-key {first_stage_key}: documents {missing[:5]} are not JSON objects with it")
            scores = [d[first_stage_key] for d in documents]
        result = reranker.rerank(query, documents, first_stage_scores=scores)
    except EntailkitError as exc:
        raise fail(str(exc)) from exc
    _print(result.model_dump(mode="json"), indent)


def check(
    model: ModelOption,
    source: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(help="JSON lines with 'answer', 'contexts' (list) and optional 'question'; - for stdin."),
    ] = None,
    answer: Annotated[Optional[str], typer.Option(help="One answer to check (with --context).")] = None,  # noqa: UP045
    context: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--context", "-c", help="A context passage; repeat for several."),
    ] = None,
    question: Annotated[Optional[str], typer.Option(help="The question (with --answer).")] = None,  # noqa: UP045
    threshold: Annotated[float, typer.Option(help="Entailment needed for 'supported'.")] = 0.5,
    contradiction_threshold: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(help="Contradiction needed for 'contradicted' (default: --threshold)."),
    ] = None,
    aggregate: Annotated[str, typer.Option(help="min or mean of sentence scores decides 'grounded'.")] = "min",
    batch_size: BatchOption = 32,
    device: DeviceOption = None,
    dtype: DtypeOption = None,
    indent: IndentOption = None,
    quiet: QuietOption = False,
) -> None:
    """Check answers against their contexts sentence by sentence; prints one JSON report per answer."""
    from entailkit.cli import fail, load, read_jsonl
    from entailkit.tasks.groundedness import GroundednessChecker

    if answer is not None and source is not None:
        raise fail("give either --answer/--context or a JSON-lines file, not both")
    if answer is None and source is None:
        raise fail("nothing to check: pass --answer with --context ..., or a JSON-lines file (- for stdin)")
    if answer is not None and not context:
        raise fail("--answer needs at least one --context passage")
    if answer is None and (context or question is not None):
        raise fail("--context and --question go with --answer")
    items: list[Any]
    if answer is not None:
        items = [{"answer": answer, "contexts": list(context or []), "question": question}]
    else:
        items = list(read_jsonl(str(source)))
    scorer = load(model, device, dtype, batch_size=batch_size)
    try:
        checker = GroundednessChecker(
            scorer, threshold=threshold, contradiction_threshold=contradiction_threshold,
            aggregate=aggregate, show_progress=not quiet,  # type: ignore[arg-type]
        )  # fmt: skip
        reports = checker.check_many(items)
    except EntailkitError as exc:
        raise fail(str(exc)) from exc
    for report in reports:
        _print(report.model_dump(mode="json"), indent)


def register(app: typer.Typer) -> None:
    """Add the task commands to the ``entailkit`` app."""
    app.command("rerank")(rerank)
    app.command("check")(check)


def _read_documents(source: str, fail: Any) -> list[Any]:
    """Documents from a file or stdin: JSON objects and strings as parsed, anything else as plain text."""
    try:
        stream = sys.stdin if source == "-" else Path(source).open(encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise fail(f"cannot read {source}: {exc.strerror}") from exc
    documents: list[Any] = []
    try:
        for line in stream:
            stripped = line.strip()
            if not stripped:
                continue
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError:
                value = None
            documents.append(value if isinstance(value, (str, dict)) else line.rstrip("\r\n"))
    finally:
        if stream is not sys.stdin:
            stream.close()
    return documents


def _print(record: Any, indent: int | None) -> None:
    typer.echo(json.dumps(record, ensure_ascii=False, indent=indent))
