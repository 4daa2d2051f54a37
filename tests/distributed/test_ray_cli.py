"""``entailkit batch`` end to end: a parquet file of document lists in, parquet out, a JSON summary on stdout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from entailkit.cli import app

runner = CliRunner()


def test_batch_rerank_parquet_document_lists_end_to_end(
    ray_runtime: Any, tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from entailkit.scorers.loading import load_scorer
    from entailkit.tasks import Reranker

    model = tiny_models["bert-nli2-ent1"]
    queries = [f"question {i % 4}" for i in range(25)]
    documents: list[list[str] | None] = [
        [f"passage {i}.{j} about topic {(i + j) % 4} and more words" for j in range(i % 4)] for i in range(25)
    ]
    documents[6] = None
    queries[19] = "   "  # blank: the Reranker rejects it
    source = tmp_path / "lists.parquet"
    pq.write_table(pa.table({"qid": list(range(25)), "query": queries, "passages": documents}), source)
    out_dir = tmp_path / "scored"
    spec = tmp_path / "rerank.yaml"  # the task's options reach the actors through --spec
    spec.write_text("query_template: 'Is this about {}?'\n", encoding="utf-8")

    result = runner.invoke(
        app,
        ["batch", "rerank", "--input", str(source), "--output", str(out_dir), "--model", str(model),
         "--documents-column", "passages", "--batch-size", "8", "--num-actors", "1", "-q", "--spec", str(spec)],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["rows"] == 25 and summary["errors"] == 2 and summary["scored"] == 23
    assert summary["rows_per_s"] > 0 and summary["output"] == str(out_dir)
    table = pq.read_table(out_dir).sort_by("qid")
    assert table.num_rows == 25 and table.column("qid").to_pylist() == list(range(25))
    rows = table.to_pylist()
    errors = {r["qid"]: r["error"] for r in rows if r["error"] is not None}
    assert set(errors) == {6, 19}
    assert "passages: null" in errors[6] and "query is empty" in errors[19]
    assert rows[6]["scores"] is None and rows[19]["ranking"] is None
    good = [i for i in range(25) if i not in errors]
    expected = Reranker(load_scorer(model, device="cpu"), query_template="Is this about {}?").rerank_many(
        [queries[i] for i in good], [documents[i] or [] for i in good]
    )
    for i, result_i in zip(good, expected, strict=True):
        by_index = {item.index: item.score for item in result_i.items}
        assert rows[i]["scores"] == pytest.approx([by_index[j] for j in range(len(by_index))], abs=1e-6)
        assert rows[i]["ranking"] == [item.index for item in result_i.items]
    assert rows[0]["scores"] == [] and rows[0]["ranking"] == []  # a query without documents


def test_batch_refuses_a_non_empty_output_directory(tmp_path: Path) -> None:
    (tmp_path / "taken.txt").write_text("x", encoding="utf-8")
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "a"}\n', encoding="utf-8")
    result = runner.invoke(
        app, ["batch", "classify", "-i", str(source), "-o", str(tmp_path), "-m", "any", "--labels", "a,b"]
    )
    assert result.exit_code == 2
    assert "not an empty directory" in result.output


def test_batch_refuses_a_bad_spec_before_ray_starts(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"answer": "a", "contexts": ["b"]}\n', encoding="utf-8")
    spec = tmp_path / "check.json"
    spec.write_text('{"threshold": 0.5, "treshold": 0.7}', encoding="utf-8")
    result = runner.invoke(
        app, ["batch", "check", "-i", str(source), "-o", str(tmp_path / "out"), "-m", "any", "--spec", str(spec)]
    )
    assert result.exit_code == 2
    assert "unknown option 'treshold'" in result.output
