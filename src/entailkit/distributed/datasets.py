"""rerank_dataset, classify_dataset, check_dataset: corpus-scale scoring as lazy Ray Data transforms.

Each function returns a new ``ray.data.Dataset``: the input rows, in order, with the score columns and
an ``error`` column appended. Nothing runs until the dataset is consumed (``write_parquet``,
``iter_batches``, ``take_all``, ...). The work is one ``map_batches`` over a pool of actors that load
the model once each; bad rows get an ``error`` message and null scores instead of failing the job.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from entailkit._labels import check_label_set
from entailkit.distributed.jobtask import JobTask, job_task
from entailkit.distributed.options import BatchOptions, ScorerSpec, rows_per_batch, scorer_spec
from entailkit.distributed.rows import ERROR_COLUMN
from entailkit.distributed.runtime import (
    Dataset,
    init_ray,
    operator_runtime_env,
    ray_module,
    read_input,
    resolve_gpus,
)
from entailkit.distributed.udf import CheckActor, ClassifyActor, RerankActor
from entailkit.errors import InvalidInputError
from entailkit.tasks.specs import CheckSpec, ClassifySpec, RerankSpec, TaskSpec

__all__ = ["DataArg", "ModelArg", "TaskArg", "check_dataset", "classify_dataset", "rerank_dataset", "split_errors"]

logger = logging.getLogger(__name__)

DataArg = Any
"""A ``ray.data.Dataset``, a path (parquet / JSON lines / CSV, file or directory), or a list of dicts."""
ModelArg = str | os.PathLike[str] | None
TaskArg = Any
"""A configured task (``Reranker``, ``ZeroShotClassifier``, ``GroundednessChecker``), its spec, a mapping of
the spec's options, or None (the task's defaults)."""

_PAIRS_PER_DOCUMENT_LIST = 10.0
"""Documents per row assumed when sizing Ray batches of (query, documents) rows."""
_PAIRS_PER_CHECK = 4.0
"""(Sentence, window) pairs per answer assumed when sizing Ray batches of groundedness checks."""


def rerank_dataset(
    data: DataArg,
    model: ModelArg = None,
    *,
    task: TaskArg = None,
    query_column: str = "query",
    document_column: str = "document",
    documents_column: str | None = None,
    first_stage_column: str | None = None,
    calibrator: Any = None,
    options: BatchOptions | None = None,
    **task_options: Any,
) -> Dataset:
    """Score query-document rows with a Reranker in a pool of Ray actors.

    Pairs (default): each row has ``query`` and ``document`` (str); adds ``score`` (float) and ``error``.
    Lists: pass ``documents_column`` (e.g. ``"documents"``): each row has ``query`` and a list of
    documents (str, or structs with a text field, ``text`` unless the task's ``text_key`` says otherwise);
    adds ``scores`` (one per document, input order), ``ranking`` (document indices, best first: the task's
    ``top_n`` and ``threshold`` cut this list only) and ``error``.

    Args:
        data: A ``ray.data.Dataset``, a path (parquet / JSON lines / CSV) or a list of dicts.
        model: What each actor loads (a directory or hub id), unless ``BatchOptions(scorer_factory=)``.
        task: A configured ``Reranker`` (its options and calibrator; the model comes from ``model``), a
            ``RerankSpec`` or a mapping of its options; None: the Reranker's defaults.
        query_column: Column with the query.
        document_column: Column with one document per row (pairs).
        documents_column: Column with a list of documents per row (instead of ``document_column``).
        first_stage_column: The retriever's score (pairs: a number; lists: one per document), for a
            relevance model trained on top of that retriever (``Reranker(first_stage_scores=)``).
        calibrator: A calibrator for the scores (over the configured task's, if any).
        options: How the job runs (actors, resources, batch size, retries).
        **task_options: Options of ``RerankSpec`` (``query_template``, ``normalization``, ``top_n``,
            ``threshold``, ``text_key``), merged over ``task``; None leaves an option as it is.

    Returns:
        The lazy scored dataset.

    Raises:
        InvalidInputError: A bad column name, task, task option or ``options``, before Ray starts.
    """
    list_mode = documents_column is not None
    column = documents_column if documents_column is not None else document_column
    _check_names(query=query_column, document=column)
    if first_stage_column is not None:
        _check_names(first_stage=first_stage_column)
    resolved = _job_task(RerankSpec, task, task_options, calibrator, model, options, "rerank_dataset")
    return _run(
        data,
        model,
        options,
        RerankActor,
        {
            "query_column": query_column,
            "document_column": column,
            "list_mode": list_mode,
            "task": resolved,
            "first_stage_column": first_stage_column,
        },
        pairs_per_row=_PAIRS_PER_DOCUMENT_LIST if list_mode else 1.0,
        name="entailkit_rerank",
    )


def classify_dataset(
    data: DataArg,
    model: ModelArg = None,
    *,
    labels: Sequence[str] | Mapping[str, str],
    task: TaskArg = None,
    text_column: str = "text",
    multi_label: bool = False,
    threshold: float | None = None,
    calibrator: Any = None,
    options: BatchOptions | None = None,
    **task_options: Any,
) -> Dataset:
    """Classify the ``text`` of every row into ``labels`` with a ZeroShotClassifier in Ray actors.

    Adds ``label`` (best label), ``label_score``, ``predicted`` (labels at/above the threshold,
    multi-label; the top label otherwise), ``scores`` (one per label, in the order given here) and ``error``.

    Args:
        data: A ``ray.data.Dataset``, a path (parquet / JSON lines / CSV) or a list of dicts.
        model: What each actor loads (a directory or hub id), unless ``BatchOptions(scorer_factory=)``.
        labels: Names, or ``{name: description}`` (the model reads the description); the same for every row.
        task: A configured ``ZeroShotClassifier`` (its options and calibrator; the model comes from
            ``model``), a ``ClassifySpec`` or a mapping of its options; None: the classifier's defaults.
        text_column: Column with the text.
        multi_label: Score each label on its own (``ZeroShotClassifier.classify(multi_label=)``).
        threshold: Score needed for ``predicted`` (``classify(threshold=)``; 0.5 with ``multi_label``).
        calibrator: A calibrator for the scores (over the configured task's, if any).
        options: How the job runs (actors, resources, batch size, retries).
        **task_options: Options of ``ClassifySpec`` (``hypothesis_template``, ``language``), merged over ``task``; None
            leaves an option as it is.

    Returns:
        The lazy scored dataset.

    Raises:
        InvalidInputError: A bad column name, label list, task, task option or ``options``, before Ray starts.
    """
    _check_names(text=text_column)
    names = list(check_label_set(labels))  # on the driver: a bad label list fails before any actor starts
    resolved = _job_task(ClassifySpec, task, task_options, calibrator, model, options, "classify_dataset")
    return _run(
        data,
        model,
        options,
        ClassifyActor,
        {
            "text_column": text_column,
            "labels": dict(labels) if isinstance(labels, Mapping) else list(names),
            "classify_kwargs": {"multi_label": multi_label, "threshold": threshold},
            "task": resolved,
        },
        pairs_per_row=float(len(names)),
        name="entailkit_classify",
    )


def check_dataset(
    data: DataArg,
    model: ModelArg = None,
    *,
    task: TaskArg = None,
    answer_column: str = "answer",
    contexts_column: str = "contexts",
    question_column: str | None = "question",
    calibrator: Any = None,
    options: BatchOptions | None = None,
    **task_options: Any,
) -> Dataset:
    """Check every ``answer`` against its ``contexts`` (list of str) with a GroundednessChecker in Ray actors.

    ``question`` is optional (a missing column or null is fine). Adds ``grounded`` (bool), ``score``
    (the report's ``score``: the aggregate sentence score, what decides ``grounded``),
    ``supported_fraction`` (the fraction of supported sentences), ``verdicts`` (JSON list, one object per
    sentence: sentence, verdict, score, entailment, contradiction, context_index) and ``error``.

    Args:
        data: A ``ray.data.Dataset``, a path (parquet / JSON lines / CSV) or a list of dicts.
        model: What each actor loads (a directory or hub id), unless ``BatchOptions(scorer_factory=)``.
        task: A configured ``GroundednessChecker`` (its options, calibrator and sentence splitter; the model
            comes from ``model``), a ``CheckSpec`` or a mapping of its options; None: the checker's defaults.
        answer_column: Column with the answer.
        contexts_column: Column with the list of context passages.
        question_column: Column with the question (optional per row), or None.
        calibrator: A calibrator for the scores (over the configured task's, if any).
        options: How the job runs (actors, resources, batch size, retries).
        **task_options: Options of ``CheckSpec`` (``threshold``, ``contradiction_threshold``, ``aggregate``,
            ``question_mode``), merged over ``task``; None leaves an option as it is.

    Returns:
        The lazy scored dataset.

    Raises:
        InvalidInputError: A bad column name, task, task option or ``options``, before Ray starts.
    """
    _check_names(answer=answer_column, contexts=contexts_column)
    if question_column is not None:
        _check_names(question=question_column)
    resolved = _job_task(CheckSpec, task, task_options, calibrator, model, options, "check_dataset")
    return _run(
        data,
        model,
        options,
        CheckActor,
        {
            "answer_column": answer_column,
            "contexts_column": contexts_column,
            "question_column": question_column,
            "task": resolved,
        },
        pairs_per_row=_PAIRS_PER_CHECK,
        name="entailkit_check",
    )


def split_errors(dataset: Dataset) -> tuple[Dataset, Dataset]:
    """(scored rows, rows with an error) of a result dataset; together they hold every input row.

    Both are lazy filters of ``dataset`` on its ``error`` column: consuming both runs the job twice
    unless ``dataset`` is materialized first (``dataset.materialize()``).

    Args:
        dataset: What ``rerank_dataset``, ``classify_dataset`` or ``check_dataset`` returned.

    Returns:
        The rows whose ``error`` is null, and the rows whose ``error`` holds a message.
    """
    import pyarrow.compute as pc

    def scored(batch: Any) -> Any:
        return batch.filter(pc.is_null(batch.column(ERROR_COLUMN)))

    def failed(batch: Any) -> Any:
        return batch.filter(pc.is_valid(batch.column(ERROR_COLUMN)))

    ok = dataset.map_batches(scored, batch_format="pyarrow", zero_copy_batch=True)
    bad = dataset.map_batches(failed, batch_format="pyarrow", zero_copy_batch=True)
    return ok, bad


# -- shared ----------------------------------------------------------------------------------------


def _job_task(
    spec_class: type[TaskSpec],
    task: TaskArg,
    task_options: Mapping[str, Any],
    calibrator: Any,
    model: ModelArg,
    options: BatchOptions | None,
    job: str,
) -> JobTask:
    """``job_task`` for one job; the actors' model is given by ``model`` or ``BatchOptions(scorer_factory=)``."""
    factory = options.scorer_factory if isinstance(options, BatchOptions) else None
    given = model is not None or factory is not None
    return job_task(spec_class, task, task_options, calibrator=calibrator, model_given=given, job=job)


def _run(
    data: DataArg,
    model: ModelArg,
    options: BatchOptions | None,
    actor: type,
    actor_kwargs: dict[str, Any],
    *,
    pairs_per_row: float,
    name: str,
) -> Dataset:
    opts = options if options is not None else BatchOptions()
    if not isinstance(opts, BatchOptions):
        raise InvalidInputError(f"options must be a BatchOptions, got {type(opts).__name__}.")
    ray = ray_module()
    if not ray.is_initialized():
        init_ray()
    gpus = resolve_gpus(opts.num_gpus)
    spec: ScorerSpec = scorer_spec(model, opts, gpus)
    rows = opts.rows_per_batch or rows_per_batch(
        pairs_per_row,
        batch_size=int(spec.kwargs.get("batch_size", 32)),
        token_budget=spec.kwargs.get("token_budget"),
    )
    dataset = _as_dataset(ray, data, rows)
    sizes = opts.num_actors if isinstance(opts.num_actors, tuple) else None
    compute = (
        ray.data.ActorPoolStrategy(min_size=sizes[0], max_size=sizes[1])
        if sizes is not None
        else ray.data.ActorPoolStrategy(size=opts.num_actors)
    )
    logger.info(
        "%s: %s rows per batch, actors %s, %.2g CPU and %.2g GPU each", name, rows, opts.num_actors, opts.num_cpus, gpus
    )
    # No repartition stage here: its tasks would need CPUs that a pool of actors sized to the cluster
    # already holds (a deadlock on a small machine). Lists of dicts are cut into batch-sized blocks
    # below; Ray's readers split files into blocks themselves.
    mapped = dataset.map_batches(
        actor,
        batch_size=rows,
        batch_format="pyarrow",
        zero_copy_batch=True,
        compute=compute,
        fn_constructor_args=(spec,),
        fn_constructor_kwargs=actor_kwargs,
        num_cpus=opts.num_cpus,
        num_gpus=gpus,
        runtime_env=operator_runtime_env(opts.runtime_env),
        udf_modifying_row_count=False,
    )
    return _with_own_context(mapped, opts.max_retries)


def _with_own_context(dataset: Dataset, max_retries: int) -> Dataset:
    """A copy of ``dataset`` whose own DataContext keeps input order and retries a failed batch.

    Ray Data hands out batches as actors finish them unless ``preserve_order`` is set; the jobs promise
    the input rows in input order. The copy keeps the caller's dataset (and its context, shared by
    every dataset derived from it) unchanged. Only errors that escape the actor reach Ray: row errors
    were already caught. Up to ``max_retries`` retries of a failed batch.
    """
    with warnings.catch_warnings():  # DataContext.copy() warns about Ray's own deprecated fields
        warnings.simplefilter("ignore", DeprecationWarning)
        own = type(dataset).copy(dataset, _deep_copy=True)
    own.context.execution_options.preserve_order = True
    own.context.retried_map_errors = max_retries > 0
    own.context.max_map_retries = max_retries
    return own


def _as_dataset(ray: Any, data: DataArg, block_rows: int) -> Dataset:
    if isinstance(data, (str, os.PathLike)):
        return read_input(data)
    if isinstance(data, ray.data.Dataset):
        return data
    if isinstance(data, Sequence) and not isinstance(data, str) and all(isinstance(r, Mapping) for r in data):
        return _from_rows(ray, [dict(row) for row in data], block_rows)
    raise InvalidInputError(
        f"data must be a ray.data.Dataset, a path to parquet / JSON-lines / CSV, or a list of dicts; "
        f"got {type(data).__name__}."
    )


def _from_rows(ray: Any, rows: list[dict[str, Any]], block_rows: int) -> Dataset:
    """Blocks of ``block_rows`` rows from a list of dicts, so that every actor gets work.

    Where a column mixes value types (a malformed row), the whole list becomes one block holding that
    column as Python objects: separate blocks would get clashing Arrow types.
    """
    import pyarrow as pa

    try:
        table = pa.Table.from_pylist(rows)
        return ray.data.from_arrow([table.slice(i, block_rows) for i in range(0, max(len(rows), 1), block_rows)])
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        import pandas as pd

        names = list(dict.fromkeys(key for row in rows for key in row))
        return ray.data.from_pandas(pd.DataFrame(rows, columns=names, dtype=object))


def _check_names(**columns: Any) -> None:
    for role, value in columns.items():
        if not isinstance(value, str) or not value:
            raise InvalidInputError(f"the {role} column name must be a non-empty str, got {value!r}.")
