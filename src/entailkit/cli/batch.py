"""``entailkit batch rerank | classify | check``: score a parquet / JSON-lines data set on Ray, write the results.

A local Ray runtime is started by default (``--num-cpus`` CPUs); ``--address auto`` or
``--address ray://host:10001`` joins a cluster instead. Ray Data shows progress on stderr; a JSON
summary (rows, errors, seconds, rows/s, output) goes to stdout at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from entailkit.cli._common import (
    AggregateOption,
    LabelsOption,
    LanguageOption,
    ModelOption,
    MultiLabelOption,
    SpecOption,
    SupportThresholdOption,
    emit,
    exit_on_error,
    fail,
    split_labels,
    task_spec,
)
from entailkit.cli.app import app

__all__ = [
    "ActorDeviceOption",
    "ActorDtypeOption",
    "ActorsOption",
    "AddressOption",
    "BatchSizeOption",
    "CpusPerActorOption",
    "FormatOption",
    "GpusPerActorOption",
    "InputOption",
    "MaxActorsOption",
    "NumCpusOption",
    "OutputOption",
    "ProgressBarsOption",
    "RetriesOption",
    "batch_app",
    "batch_check",
    "batch_classify",
    "batch_rerank",
]

batch_app = typer.Typer(
    name="batch",
    help="Score large data sets on Ray Data (needs the 'ray' extra): rerank, classify, check.",
    no_args_is_help=True,
)

InputOption = Annotated[str, typer.Option("--input", "-i", help="Parquet, JSON-lines or CSV file (or directory).")]
OutputOption = Annotated[str, typer.Option("--output", "-o", help="Output directory (created; must be empty).")]
AddressOption = Annotated[
    str | None,
    typer.Option(help="Ray cluster to join ('auto', 'ray://host:10001'); default: start a local runtime."),
]
NumCpusOption = Annotated[int | None, typer.Option(help="CPUs of the local runtime (default: all).")]
ActorsOption = Annotated[int, typer.Option("--num-actors", help="Actors (model copies) scoring in parallel.")]
MaxActorsOption = Annotated[
    int | None,
    typer.Option("--max-actors", help="Let the actor pool autoscale from --num-actors up to this many."),
]
CpusPerActorOption = Annotated[float, typer.Option(help="CPUs reserved per actor.")]
GpusPerActorOption = Annotated[
    float | None,
    typer.Option(help="GPUs per actor (default: 1 if the cluster has GPUs, else 0)."),
]
BatchSizeOption = Annotated[
    int | None,
    typer.Option("--batch-size", help="Rows per Ray batch (default: derived from the token-budget batcher)."),
]
FormatOption = Annotated[str, typer.Option("--format", help="Output format: parquet or jsonl.")]
RetriesOption = Annotated[int, typer.Option(help="Retries of a batch whose scoring failed (not of bad rows).")]
ActorDeviceOption = Annotated[str | None, typer.Option(help="cpu or cuda (default: follows the GPUs per actor).")]
ActorDtypeOption = Annotated[str | None, typer.Option(help="float32, float16 or bfloat16.")]
ProgressBarsOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]


@dataclass(frozen=True)
class _Run:
    """The options every batch command shares."""

    input: str
    output: str
    model: str
    address: str | None
    num_cpus: int | None
    num_actors: int
    max_actors: int | None
    cpus_per_actor: float
    gpus_per_actor: float | None
    batch_size: int | None
    fmt: str
    max_retries: int
    device: str | None
    dtype: str | None
    quiet: bool

    def options(self) -> Any:
        """The ``BatchOptions`` of these command-line options.

        Returns:
            An ``entailkit.distributed.BatchOptions``.
        """
        from entailkit.distributed import BatchOptions  # ray: loaded only when a batch command runs

        scorer_kwargs = {k: v for k, v in (("device", self.device), ("dtype", self.dtype)) if v is not None}
        actors: int | tuple[int, int] = (
            (self.num_actors, self.max_actors) if self.max_actors is not None else self.num_actors
        )
        return BatchOptions(
            num_actors=actors,
            num_cpus=self.cpus_per_actor,
            num_gpus=self.gpus_per_actor,
            rows_per_batch=self.batch_size,
            max_retries=self.max_retries,
            scorer_kwargs=scorer_kwargs,
        )


def _execute(run: _Run, job: Callable[[Any], Any]) -> None:
    """Start or join Ray, run the job, write the output, print the summary; stop Ray if we started it.

    Args:
        run: The options the batch commands share.
        job: Builds the scored Ray dataset from the ``BatchOptions``.

    Raises:
        typer.Exit: With code 2 for refused options or a failed job.
    """
    if run.fmt not in ("parquet", "jsonl"):
        raise fail(f"--format must be parquet or jsonl, got {run.fmt!r}")
    out = Path(run.output)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise fail(f"--output {run.output} exists and is not an empty directory; choose a new one")
    if not Path(run.input).exists() and "://" not in run.input:
        raise fail(f"--input {run.input} does not exist")
    with exit_on_error():
        from entailkit.distributed.runtime import init_ray, ray_module

        ray = ray_module()
        started = init_ray(run.address, num_cpus=run.num_cpus if run.address is None else None)
    context = ray.data.DataContext.get_current()
    progress_before = context.enable_progress_bars
    try:
        context.enable_progress_bars = not run.quiet
        start = time.perf_counter()
        with exit_on_error():
            dataset = job(run.options())
        if run.fmt == "parquet":
            dataset.write_parquet(str(out))
        else:
            dataset.write_json(str(out))
        seconds = time.perf_counter() - start
        rows, errors = _count(ray, str(out), run.fmt)
    finally:
        context.enable_progress_bars = progress_before
        if started:
            ray.shutdown()
    emit(
        {
            "rows": rows,
            "errors": errors,
            "scored": rows - errors,
            "seconds": round(seconds, 3),
            "rows_per_s": round(rows / seconds, 2) if seconds > 0 else None,
            "output": str(out),
        }
    )


def _count(ray: Any, out: str, fmt: str) -> tuple[int, int]:
    """(rows, rows with an error) in the written output: only the error column is read back.

    Args:
        ray: The ``ray`` module.
        out: The output directory (or remote URI).
        fmt: ``parquet`` or ``jsonl``.

    Returns:
        The number of rows and the number of rows whose ``error`` is set.
    """
    if "://" in out:  # remote storage: let Ray read it
        dataset = ray.data.read_parquet(out) if fmt == "parquet" else ray.data.read_json(out, lines=True)
        batches = dataset.select_columns(["error"]).iter_batches(batch_format="pyarrow")
        tables = list(batches)
    else:
        import pyarrow.dataset as pads
        import pyarrow.json as pajson

        if fmt == "parquet":
            tables = [pads.dataset(out, format="parquet").to_table(columns=["error"])]
        else:
            tables = [pajson.read_json(path).select(["error"]) for path in sorted(Path(out).glob("*.json*"))]
    rows = sum(table.num_rows for table in tables)
    errors = sum(table.num_rows - table.column("error").null_count for table in tables)
    return rows, errors


@batch_app.command("rerank")
def batch_rerank(
    ctx: typer.Context,
    input: InputOption,
    output: OutputOption,
    model: ModelOption,
    query_column: Annotated[str, typer.Option(help="Column with the query.")] = "query",
    document_column: Annotated[str, typer.Option(help="Column with one document per row.")] = "document",
    documents_column: Annotated[
        str | None,
        typer.Option(help="Column with a list of documents per row (instead of --document-column)."),
    ] = None,
    query_template: Annotated[
        str | None,
        typer.Option(help="NLI hypothesis template with one {} for the query."),
    ] = None,
    language: LanguageOption = None,
    first_stage_column: Annotated[
        str | None,
        typer.Option(
            help="Column with the retriever's score (a number, or one per document), for a model trained on top of it."
        ),
    ] = None,
    spec: SpecOption = None,
    address: AddressOption = None,
    num_cpus: NumCpusOption = None,
    num_actors: ActorsOption = 1,
    max_actors: MaxActorsOption = None,
    cpus_per_actor: CpusPerActorOption = 1.0,
    gpus_per_actor: GpusPerActorOption = None,
    batch_size: BatchSizeOption = None,
    fmt: FormatOption = "parquet",
    max_retries: RetriesOption = 3,
    device: ActorDeviceOption = None,
    dtype: ActorDtypeOption = None,
    quiet: ProgressBarsOption = False,
) -> None:
    """Add 'score' (pairs) or 'scores' and 'ranking' (document lists), and 'error', to every row."""
    from entailkit.distributed import rerank_dataset
    from entailkit.tasks.specs import RerankSpec

    task = task_spec(ctx, RerankSpec, spec)  # --query-template, --language over the --spec file
    run = _Run(input, output, model, address, num_cpus, num_actors, max_actors, cpus_per_actor,
               gpus_per_actor, batch_size, fmt, max_retries, device, dtype, quiet)  # fmt: skip
    _execute(
        run,
        lambda options: rerank_dataset(
            input,
            model,
            query_column=query_column,
            document_column=document_column,
            documents_column=documents_column,
            task=task,
            options=options,
            first_stage_column=first_stage_column,
        ),
    )


@batch_app.command("classify")
def batch_classify(
    ctx: typer.Context,
    input: InputOption,
    output: OutputOption,
    model: ModelOption,
    labels: LabelsOption,
    text_column: Annotated[str, typer.Option(help="Column with the text to classify.")] = "text",
    multi_label: MultiLabelOption = False,
    threshold: Annotated[float | None, typer.Option(help="Score needed for 'predicted'.")] = None,
    hypothesis_template: Annotated[
        str | None,
        typer.Option(help="Hypothesis template with one {} for the label."),
    ] = None,
    language: LanguageOption = None,
    spec: SpecOption = None,
    address: AddressOption = None,
    num_cpus: NumCpusOption = None,
    num_actors: ActorsOption = 1,
    max_actors: MaxActorsOption = None,
    cpus_per_actor: CpusPerActorOption = 1.0,
    gpus_per_actor: GpusPerActorOption = None,
    batch_size: BatchSizeOption = None,
    fmt: FormatOption = "parquet",
    max_retries: RetriesOption = 3,
    device: ActorDeviceOption = None,
    dtype: ActorDtypeOption = None,
    quiet: ProgressBarsOption = False,
) -> None:
    """Add 'label', 'label_score', 'predicted', 'scores' (in --labels order) and 'error' to every row."""
    from entailkit.distributed import classify_dataset
    from entailkit.tasks.specs import ClassifySpec

    task = task_spec(ctx, ClassifySpec, spec)  # --hypothesis-template, --language over the --spec file
    names = split_labels(labels)
    run = _Run(input, output, model, address, num_cpus, num_actors, max_actors, cpus_per_actor,
               gpus_per_actor, batch_size, fmt, max_retries, device, dtype, quiet)  # fmt: skip
    _execute(
        run,
        lambda options: classify_dataset(
            input,
            model,
            labels=names,
            text_column=text_column,
            multi_label=multi_label,
            threshold=threshold,
            task=task,
            options=options,
        ),
    )


@batch_app.command("check")
def batch_check(
    ctx: typer.Context,
    input: InputOption,
    output: OutputOption,
    model: ModelOption,
    answer_column: Annotated[str, typer.Option(help="Column with the answer to check.")] = "answer",
    contexts_column: Annotated[str, typer.Option(help="Column with the list of context passages.")] = "contexts",
    question_column: Annotated[str, typer.Option(help="Column with the (optional) question.")] = "question",
    threshold: SupportThresholdOption = 0.5,
    aggregate: AggregateOption = "min",
    spec: SpecOption = None,
    address: AddressOption = None,
    num_cpus: NumCpusOption = None,
    num_actors: ActorsOption = 1,
    max_actors: MaxActorsOption = None,
    cpus_per_actor: CpusPerActorOption = 1.0,
    gpus_per_actor: GpusPerActorOption = None,
    batch_size: BatchSizeOption = None,
    fmt: FormatOption = "parquet",
    max_retries: RetriesOption = 3,
    device: ActorDeviceOption = None,
    dtype: ActorDtypeOption = None,
    quiet: ProgressBarsOption = False,
) -> None:
    """Add 'grounded', 'score', 'supported_fraction', 'verdicts' (JSON) and 'error' to every row."""
    from entailkit.distributed import check_dataset
    from entailkit.tasks.specs import CheckSpec

    task = task_spec(ctx, CheckSpec, spec)  # --threshold, --aggregate over the --spec file
    run = _Run(input, output, model, address, num_cpus, num_actors, max_actors, cpus_per_actor,
               gpus_per_actor, batch_size, fmt, max_retries, device, dtype, quiet)  # fmt: skip
    _execute(
        run,
        lambda options: check_dataset(
            input,
            model,
            answer_column=answer_column,
            contexts_column=contexts_column,
            question_column=question_column,
            task=task,
            options=options,
        ),
    )


app.add_typer(batch_app, name="batch")
