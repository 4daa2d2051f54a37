"""The callable classes Ray Data runs in its actors: load the model once, score Arrow batches with a task.

Each class reads its input columns, turns bad rows into ``error`` messages, hands the good rows to
the entailkit task (Reranker, ZeroShotClassifier, GroundednessChecker) in one call, and appends typed
score columns to the batch. No scoring logic lives here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from entailkit.distributed.jobtask import JobTask
from entailkit.distributed.options import ScorerSpec
from entailkit.distributed.rows import (
    ERROR_COLUMN,
    RowError,
    column_values,
    document_list_field,
    number_list_field,
    parse_rows,
    score_rows,
    text_field,
    text_list_field,
)
from entailkit.tasks.classify import ZeroShotClassifier
from entailkit.tasks.groundedness import GroundednessChecker
from entailkit.tasks.rerank import Reranker
from entailkit.tasks.specs import CheckSpec, ClassifySpec, RerankSpec
from entailkit.types import Classification, GroundednessReport, RerankResult

__all__ = ["CheckActor", "ClassifyActor", "Columns", "RerankActor", "verdicts_json"]

logger = logging.getLogger(__name__)

Columns = dict[str, list[Any]]


class _ScoringActor:
    """Base: holds the scorer (shared per worker process) and turns per-row results into Arrow columns."""

    def __init__(self, spec: ScorerSpec, output_types: Mapping[str, str]) -> None:
        """Load the scorer through ``spec`` (``shared_scorer``: once per process) and keep the output types.

        Args:
            spec: What to load (a model id and ``load_scorer`` options, or a factory).
            output_types: Output column -> Arrow type name.
        """
        self.output_types = dict(output_types)
        """Output column -> Arrow type name (see ``_arrow_type``)."""
        self.scorer = spec.load()
        logger.info(
            "actor loaded %s (%s on %s)", self.scorer.info.model, self.scorer.info.head, self.scorer.info.device
        )

    def __call__(self, batch: Any) -> Any:
        """Score one ``pyarrow.Table`` batch; returns it with the output columns appended (same rows, order)."""
        n_rows = batch.num_rows
        columns = {name: batch.column(name).to_pylist() for name in self.input_columns() if name in batch.column_names}
        results = self.score(columns, n_rows)
        out = self.empty_columns(n_rows)
        for i, result in enumerate(results):
            if isinstance(result, RowError):
                out[ERROR_COLUMN][i] = result.message
            else:
                for name, value in self.row_values(result).items():
                    out[name][i] = value
        return _append(batch, out, self.output_types)

    def empty_columns(self, n_rows: int) -> Columns:
        return {name: [None] * n_rows for name in (*self.output_types, ERROR_COLUMN)}

    # -- per task ------------------------------------------------------------------------------------

    def input_columns(self) -> Sequence[str]:
        raise NotImplementedError

    def score(self, columns: Mapping[str, list[Any]], n_rows: int) -> list[Any]:
        raise NotImplementedError

    def row_values(self, result: Any) -> dict[str, Any]:
        raise NotImplementedError


class RerankActor(_ScoringActor):
    """Pairs: (query, document) -> ``score``. Lists: (query, documents) -> ``scores`` (input order), ``ranking``.

    Every document is scored; the task's ``top_n`` and ``threshold`` cut only ``ranking`` (best first,
    as the Reranker would return them), so ``scores`` always has one score per document.
    """

    def __init__(
        self,
        spec: ScorerSpec,
        *,
        query_column: str,
        document_column: str,
        list_mode: bool,
        task: JobTask | None = None,
        first_stage_column: str | None = None,
    ) -> None:
        """Load the scorer and build the Reranker of ``task`` (the defaults when None) on it.

        Args:
            spec: What to load.
            query_column: Column with the query.
            document_column: Column with the document (pairs) or the list of documents.
            list_mode: Whether each row holds a list of documents.
            task: The Reranker's spec and objects (calibrator).
            first_stage_column: Column with the retriever's score(s), or None.
        """
        outputs = {"scores": "list<float64>", "ranking": "list<int64>"} if list_mode else {"score": "float64"}
        super().__init__(spec, outputs)
        job = task if task is not None else JobTask(RerankSpec())
        options = job.spec.options()
        self.top_n: int | None = options["top_n"]
        self.threshold: float | None = options["threshold"]
        uncut = type(job.spec)(**{**options, "top_n": None, "threshold": None})
        self.reranker: Reranker = JobTask(uncut, job.objects).build(self.scorer)
        self.query_column = query_column
        self.document_column = document_column
        self.list_mode = list_mode
        self.first_stage_column = first_stage_column

    def input_columns(self) -> Sequence[str]:
        extra = (self.first_stage_column,) if self.first_stage_column else ()
        return (self.query_column, self.document_column, *extra)

    def score(self, columns: Mapping[str, list[Any]], n_rows: int) -> list[Any]:
        """Rerank the batch's rows in one ``rerank_many`` call (uncut: ``row_values`` applies the cut).

        Args:
            columns: The input columns by name, as Python lists.
            n_rows: The batch's rows.

        Returns:
            One RerankResult or RowError per row (a bad field, a bad first-stage score, a rejected row).
        """
        queries = column_values(columns, self.query_column, n_rows)
        documents = column_values(columns, self.document_column, n_rows)
        first = column_values(columns, self.first_stage_column, n_rows) if self.first_stage_column else None

        def parse(i: int) -> tuple[str, list[Any], list[float] | None]:
            query = text_field(queries[i], self.query_column)
            assert query is not None
            scores = None
            if first is not None and self.first_stage_column is not None:
                scores = number_list_field(first[i], self.first_stage_column, single=not self.list_mode)
            if self.list_mode:
                return query, document_list_field(documents[i], self.document_column), scores
            document = text_field(documents[i], self.document_column)
            assert document is not None
            return query, [document], scores

        def run(rows: list[tuple[str, list[Any], list[float] | None]]) -> list[RerankResult]:
            fused = [s for _, _, s in rows if s is not None] if first is not None else None  # all set when given
            return self.reranker.rerank_many(
                [q for q, _, _ in rows],
                [d for _, d, _ in rows],
                top_n=None,
                threshold=None,
                first_stage_scores=fused,
            )

        return score_rows(parse_rows(n_rows, parse), run)

    def row_values(self, result: RerankResult) -> dict[str, Any]:
        """The output columns of one row: ``score``, or ``scores`` and ``ranking`` (top_n / threshold cut).

        Args:
            result: The row's uncut RerankResult.
        """
        if not self.list_mode:
            return {"score": result.items[0].score}
        scores = [0.0] * result.num_documents
        for item in result.items:
            scores[item.index] = item.score
        ranked = [item for item in result.items if self.threshold is None or item.score >= self.threshold]
        return {"scores": scores, "ranking": [item.index for item in ranked[: self.top_n]]}


class ClassifyActor(_ScoringActor):
    """text -> ``label`` (best), ``label_score``, ``predicted`` (list), ``scores`` (in the call's label order)."""

    def __init__(
        self,
        spec: ScorerSpec,
        *,
        text_column: str,
        labels: Sequence[str] | Mapping[str, str],
        classify_kwargs: Mapping[str, Any],
        task: JobTask | None = None,
    ) -> None:
        """Load the scorer and build the ZeroShotClassifier of ``task`` (the defaults when None) on it.

        Args:
            spec: What to load.
            text_column: Column with the text.
            labels: The labels of every row (names, or ``{name: description}``).
            classify_kwargs: Per-call options of ``classify`` (``multi_label``, ``threshold``).
            task: The classifier's spec and objects (calibrator).
        """
        outputs = {"label": "string", "label_score": "float64", "predicted": "list<string>", "scores": "list<float64>"}
        super().__init__(spec, outputs)
        self.classifier: ZeroShotClassifier = (task if task is not None else JobTask(ClassifySpec())).build(self.scorer)
        self.text_column = text_column
        self.labels = dict(labels) if isinstance(labels, Mapping) else list(labels)
        self.names = list(self.labels)
        self.classify_kwargs = dict(classify_kwargs)

    def input_columns(self) -> Sequence[str]:
        return (self.text_column,)

    def score(self, columns: Mapping[str, list[Any]], n_rows: int) -> list[Any]:
        """Classify the batch's texts into the job's labels in one ``classify`` call.

        Args:
            columns: The input columns by name, as Python lists.
            n_rows: The batch's rows.

        Returns:
            One Classification or RowError per row.
        """
        texts = column_values(columns, self.text_column, n_rows)

        def parse(i: int) -> str:
            text = text_field(texts[i], self.text_column)
            assert text is not None
            return text

        def run(rows: list[str]) -> list[Classification]:
            return self.classifier.classify(rows, self.labels, **self.classify_kwargs)

        return score_rows(parse_rows(n_rows, parse), run)

    def row_values(self, result: Classification) -> dict[str, Any]:
        """The output columns of one row: best label and score, predicted labels, scores in label order.

        Args:
            result: The row's Classification.
        """
        by_name = result.as_dict()
        return {
            "label": result.top,
            "label_score": result.top_score,
            "predicted": list(result.predicted),
            "scores": [by_name[name] for name in self.names],
        }


class CheckActor(_ScoringActor):
    """(answer, contexts[, question]) -> ``grounded``, ``score``, ``supported_fraction``, ``verdicts`` (JSON)."""

    def __init__(
        self,
        spec: ScorerSpec,
        *,
        answer_column: str,
        contexts_column: str,
        question_column: str | None,
        task: JobTask | None = None,
    ) -> None:
        """Load the scorer and build the GroundednessChecker of ``task`` (the defaults when None) on it.

        Args:
            spec: What to load.
            answer_column: Column with the answer.
            contexts_column: Column with the list of context passages.
            question_column: Column with the (optional) question, or None.
            task: The checker's spec and objects (calibrator, splitter).
        """
        outputs = {"grounded": "bool", "score": "float64", "supported_fraction": "float64", "verdicts": "string"}
        super().__init__(spec, outputs)
        self.checker: GroundednessChecker = (task if task is not None else JobTask(CheckSpec())).build(self.scorer)
        self.answer_column = answer_column
        self.contexts_column = contexts_column
        self.question_column = question_column

    def input_columns(self) -> Sequence[str]:
        return tuple(c for c in (self.answer_column, self.contexts_column, self.question_column) if c)

    def score(self, columns: Mapping[str, list[Any]], n_rows: int) -> list[Any]:
        """Check the batch's answers in one ``check_many`` call (a null question counts as none).

        Args:
            columns: The input columns by name, as Python lists.
            n_rows: The batch's rows.

        Returns:
            One GroundednessReport or RowError per row.
        """
        answers = column_values(columns, self.answer_column, n_rows)
        contexts = column_values(columns, self.contexts_column, n_rows)
        questions = column_values(columns, self.question_column, n_rows) if self.question_column else None

        def parse(i: int) -> dict[str, Any]:
            question = (
                text_field(questions[i], self.question_column, optional=True)
                if questions is not None and self.question_column is not None
                else None
            )
            return {
                "answer": text_field(answers[i], self.answer_column),
                "contexts": text_list_field(contexts[i], self.contexts_column),
                "question": question,
            }

        return score_rows(parse_rows(n_rows, parse), self.checker.check_many)

    def row_values(self, result: GroundednessReport) -> dict[str, Any]:
        """The output columns of one row: ``grounded``, ``score``, ``supported_fraction``, ``verdicts``.

        ``score`` and ``supported_fraction`` are the report's fields of the same names (``score`` decides
        ``grounded``).

        Args:
            result: The row's GroundednessReport.
        """
        return {
            "grounded": result.grounded,
            "score": result.score,
            "supported_fraction": result.supported_fraction,
            "verdicts": verdicts_json(result),
        }


def verdicts_json(report: GroundednessReport) -> str:
    """The per-sentence verdicts of a report as a compact JSON list (one object per answer sentence).

    Each object holds ``sentence``, ``verdict``, ``score``, ``entailment``, ``contradiction`` and
    ``context_index`` (the best evidence's context, or null); non-ASCII text is kept as is.

    Args:
        report: The report of one answer.
    """
    return json.dumps(
        [
            {
                "sentence": s.text,
                "verdict": s.verdict,
                "score": s.score,
                "entailment": s.entailment,
                "contradiction": s.contradiction,
                "context_index": s.evidence.context_index if s.evidence is not None else None,
            }
            for s in report.sentences
        ],
        ensure_ascii=False,
    )


def _arrow_type(pa: Any, name: str) -> Any:
    scalar = {"float64": pa.float64(), "int64": pa.int64(), "string": pa.string(), "bool": pa.bool_()}
    if name.startswith("list<"):
        return pa.list_(scalar[name[5:-1]])
    return scalar[name]


def _append(batch: Any, columns: Columns, types: Mapping[str, str]) -> Any:
    """The batch with the output columns appended (typed, so every block has the same schema)."""
    import pyarrow as pa

    out = batch
    clashes = [name for name in columns if name in out.column_names]
    if clashes:
        logger.warning("input columns %s are replaced by the output columns of the same name", clashes)
        out = out.drop_columns(clashes)
    for name, values in columns.items():
        arrow_type = pa.string() if name == ERROR_COLUMN else _arrow_type(pa, types[name])
        out = out.append_column(name, pa.array(values, type=arrow_type))
    return out
