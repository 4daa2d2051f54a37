"""Ray Data jobs with the real SICK NLI model on real SICK TEST rows: the same scores as in process.

Rerank reads a JSON-lines file (with malformed lines), classify takes a ray.data.Dataset, check takes
a list of dicts: the three input kinds the job functions accept.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from entailkit.distributed import ERROR_COLUMN, BatchOptions, check_dataset, classify_dataset, rerank_dataset

pytestmark = pytest.mark.real

TOL = 1e-6
N_ROWS = 40
LABELS = ["people", "animals", "sports", "music", "food"]


@pytest.fixture(scope="module")
def sick_rows(shared_dir: Path) -> list[dict[str, str]]:
    path = shared_dir / "data" / "sick" / "SICK.txt"
    if not path.is_file():
        pytest.skip(f"SICK data absent: {path}")
    with path.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["SemEval_set"] == "TEST"]
    return rows[:N_ROWS]


@pytest.fixture(scope="module")
def sick_scorer(sick_model_path: Path) -> Any:
    from entailkit.scorers.loading import load_scorer

    return load_scorer(sick_model_path, device="cpu")


def _errors(out: list[dict[str, Any]]) -> dict[int, str]:
    return {i: row[ERROR_COLUMN] for i, row in enumerate(out) if row[ERROR_COLUMN] is not None}


def test_rerank_jsonl_file_matches_the_in_process_reranker(
    ray_runtime: Any, sick_rows: list[dict[str, str]], sick_model_path: Path, sick_scorer: Any, tmp_path: Path
) -> None:
    from entailkit.tasks import Reranker

    records: list[dict[str, Any]] = [
        {"pair": r["pair_ID"], "query": r["sentence_B"], "document": r["sentence_A"]} for r in sick_rows
    ]
    bad = {5: {"pair": "x1", "query": "a query", "document": 42}, 17: {"pair": "x2", "document": "no query"},
           30: {"pair": "x3", "query": None, "document": "null query"}}  # fmt: skip
    for index, record in bad.items():
        records.insert(index, record)
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    out = rerank_dataset(path, sick_model_path, options=BatchOptions(rows_per_batch=16)).take_all()

    assert len(out) == len(records) == N_ROWS + len(bad)
    assert [r["pair"] for r in out] == [r["pair"] for r in records]
    errors = _errors(out)
    assert set(errors) == set(bad)
    assert "document: expected a str, got int" in errors[5]
    assert "query: null" in errors[17] and "query: null" in errors[30]
    assert all(out[i]["score"] is None for i in bad)
    good = [r for i, r in enumerate(records) if i not in bad]
    expected = Reranker(sick_scorer).rerank_many([r["query"] for r in good], [[r["document"]] for r in good])
    got = [r["score"] for i, r in enumerate(out) if i not in bad]
    assert got == pytest.approx([res.items[0].score for res in expected], abs=TOL)


def test_classify_dataset_matches_the_in_process_classifier(
    ray_runtime: Any, sick_rows: list[dict[str, str]], sick_model_path: Path, sick_scorer: Any
) -> None:
    from entailkit.tasks import ZeroShotClassifier

    texts: list[Any] = [r["sentence_A"] for r in sick_rows[:24]]
    texts[7] = None
    dataset = ray_runtime.data.from_items([{"text": t, "n": i} for i, t in enumerate(texts)])

    out = sorted(classify_dataset(dataset, sick_model_path, labels=LABELS).take_all(), key=lambda r: r["n"])

    assert len(out) == len(texts)
    assert _errors(out) == {7: "text: null, expected a str"}
    assert out[7]["scores"] is None and out[7]["label"] is None
    good = [t for t in texts if t is not None]
    expected = ZeroShotClassifier(sick_scorer).classify(good, LABELS)
    got = [r for r in out if r[ERROR_COLUMN] is None]
    for row, result in zip(got, expected, strict=True):
        assert row["scores"] == pytest.approx([result.as_dict()[label] for label in LABELS], abs=TOL)
        assert row["label"] == result.top and row["predicted"] == list(result.predicted)
        assert row["label_score"] == pytest.approx(result.top_score, abs=TOL)


def test_check_dataset_matches_the_in_process_checker(
    ray_runtime: Any, sick_rows: list[dict[str, str]], sick_model_path: Path, sick_scorer: Any
) -> None:
    from entailkit.distributed.udf import verdicts_json
    from entailkit.tasks import GroundednessChecker

    items: list[dict[str, Any]] = [
        {"answer": f"{a['sentence_B']}. {b['sentence_B']}.", "contexts": [a["sentence_A"], b["sentence_A"]]}
        for a, b in zip(sick_rows[0:20], sick_rows[20:40], strict=True)
    ]
    items[3] = {"answer": items[3]["answer"], "contexts": items[3]["contexts"][0]}  # a str, not a list
    items[11] = {"answer": 7, "contexts": ["A man is cooking."]}

    out = check_dataset(items, sick_model_path).take_all()

    assert len(out) == len(items)
    errors = _errors(out)
    assert set(errors) == {3, 11}
    assert "contexts: expected a list of str" in errors[3] and "answer: expected a str" in errors[11]
    assert out[3]["grounded"] is None and out[3]["verdicts"] is None
    good = [it for i, it in enumerate(items) if i not in errors]
    expected = GroundednessChecker(sick_scorer).check_many(good)
    got = [r for r in out if r[ERROR_COLUMN] is None]
    for row, report in zip(got, expected, strict=True):
        assert row["grounded"] == report.grounded
        assert row["score"] == pytest.approx(report.score, abs=TOL)
        assert row["supported_fraction"] == pytest.approx(report.supported_fraction, abs=TOL)
        verdicts = json.loads(row["verdicts"])
        assert [v["verdict"] for v in verdicts] == [s.verdict for s in report.sentences]
        assert [v["score"] for v in verdicts] == pytest.approx([s.score for s in report.sentences], abs=TOL)
        assert len(json.loads(verdicts_json(report))) == len(verdicts) == 2
