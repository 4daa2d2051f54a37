"""``entailkit rerank`` and ``entailkit check``: rerank documents for a query, check answers against contexts."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from entailkit._jsonl import json_or_none
from entailkit.cli._common import (
    AggregateOption,
    BatchOption,
    DeviceOption,
    DtypeOption,
    LanguageOption,
    ModelOption,
    QuietOption,
    SpecOption,
    SupportThresholdOption,
    emit,
    exit_on_error,
    fail,
    load,
    read_jsonl,
    read_lines,
    task_spec,
)
from entailkit.cli.app import app

__all__ = ["IndentOption", "check", "rerank"]

IndentOption = Annotated[int | None, typer.Option(help="Pretty-print the JSON with this indent.")]


@app.command("rerank")
def rerank(
    ctx: typer.Context,
    model: ModelOption,
    query: Annotated[str, typer.Option("--query", help="The query to rank the documents against.")],
    source: Annotated[
        str,
        typer.Argument(
            help="Documents, one per line: a JSON object with 'text' (other fields come back untouched), "
            "a JSON string, or plain text; - for stdin."
        ),
    ] = "-",
    top_n: Annotated[int | None, typer.Option(help="Keep the best N.")] = None,
    threshold: Annotated[float | None, typer.Option(help="Drop documents scoring below this.")] = None,
    query_template: Annotated[
        str | None,
        typer.Option(help="NLI hypothesis template with one {} for the query (default: '{}', the query as it is)."),
    ] = None,
    language: LanguageOption = None,
    text_key: Annotated[str | None, typer.Option(help="Field holding the text in JSON objects.")] = None,
    first_stage_key: Annotated[
        str | None,
        typer.Option(help="Field of the JSON objects holding the retriever's score, for a model trained on top of it."),
    ] = None,
    spec: SpecOption = None,
    batch_size: BatchOption = 32,
    device: DeviceOption = None,
    dtype: DtypeOption = None,
    indent: IndentOption = None,
    quiet: QuietOption = False,
) -> None:
    """Rerank documents for a query; prints one JSON object (items sorted by score, with their input index)."""
    from entailkit.tasks.specs import RerankSpec  # tasks import numpy: loaded only when the command runs

    options = task_spec(ctx, RerankSpec, spec)  # --top-n, --threshold, ... over the --spec file
    documents = _read_documents(source)
    scorer = load(model, device, dtype, batch_size=batch_size)
    with exit_on_error():
        reranker = options.build(scorer, show_progress=not quiet)
        scores = None
        if first_stage_key is not None:
            missing = [i for i, d in enumerate(documents) if not isinstance(d, dict) or first_stage_key not in d]
            if missing:
                raise fail(f"--first-stage-key {first_stage_key}: documents {missing[:5]} are not JSON objects with it")
            scores = [d[first_stage_key] for d in documents]
        result = reranker.rerank(query, documents, first_stage_scores=scores)
    emit(result.model_dump(mode="json"), indent)


@app.command("check")
def check(
    ctx: typer.Context,
    model: ModelOption,
    source: Annotated[
        str | None,
        typer.Argument(help="JSON lines with 'answer', 'contexts' (list) and optional 'question'; - for stdin."),
    ] = None,
    answer: Annotated[str | None, typer.Option(help="One answer to check (with --context).")] = None,
    context: Annotated[
        list[str] | None,
        typer.Option("--context", "-c", help="A context passage; repeat for several."),
    ] = None,
    question: Annotated[str | None, typer.Option(help="The question (with --answer).")] = None,
    threshold: SupportThresholdOption = 0.5,
    contradiction_threshold: Annotated[
        float | None,
        typer.Option(help="Contradiction needed for 'contradicted' (default: --threshold)."),
    ] = None,
    aggregate: AggregateOption = "min",
    spec: SpecOption = None,
    batch_size: BatchOption = 32,
    device: DeviceOption = None,
    dtype: DtypeOption = None,
    indent: IndentOption = None,
    quiet: QuietOption = False,
) -> None:
    """Check answers against their contexts sentence by sentence; prints one JSON report per answer."""
    from entailkit.tasks.specs import CheckSpec  # tasks import numpy: loaded only when the command runs

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
    options = task_spec(ctx, CheckSpec, spec)  # --threshold, --aggregate, ... over the --spec file
    scorer = load(model, device, dtype, batch_size=batch_size)
    with exit_on_error():
        checker = options.build(scorer, show_progress=not quiet)
        reports = checker.check_many(items)
    for report in reports:
        emit(report.model_dump(mode="json"), indent)


def _read_documents(source: str) -> list[Any]:
    """Documents from a file or stdin: JSON objects and strings as parsed, anything else as plain text.

    Args:
        source: A file path, or ``-`` for stdin.

    Returns:
        One document per non-blank line: a dict, a str parsed from JSON, or the raw line.

    Raises:
        typer.Exit: With code 2 when the file cannot be opened.
    """
    documents: list[Any] = []
    for _, line in read_lines(source):
        value = json_or_none(line.strip())
        documents.append(value if isinstance(value, (str, dict)) else line.rstrip("\r\n"))
    return documents
