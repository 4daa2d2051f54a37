"""``entailkit classify``: the same command for a GLiClass model and an NLI cross-encoder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("gliclass")

from entailkit.cli import app
from fixtures.tiny_gliclass import tiny_gliclass_path

LINES = '{"id": 7, "text": "The team won the match."}\n"Stocks fell again."\n\nrain is expected\n'


def _run(*args: str, stdin: str | None = None) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, records, result.output


@pytest.fixture(scope="module")
def models(tiny_models: dict[str, Path]) -> dict[str, str]:
    return {"gliclass": str(tiny_gliclass_path()), "nli": str(tiny_models["bert-nli3-enc"])}


@pytest.mark.parametrize("kind", ["gliclass", "nli"])
def test_classify_single_label_from_a_file(models: dict[str, str], kind: str, tmp_path: Path) -> None:
    source = tmp_path / "texts.jsonl"
    source.write_text(LINES)
    code, records, output = _run(
        "classify", "--model", models[kind], "--labels", "sports, business,weather", str(source), "-q"
    )
    assert code == 0, output
    assert [r["text"] for r in records] == ["The team won the match.", "Stocks fell again.", "rain is expected"]
    assert records[0]["id"] == 7
    for record in records:
        assert sorted(record["labels"]) == ["business", "sports", "weather"]  # type: ignore[arg-type]
        assert sum(record["scores"]) == pytest.approx(1.0)  # type: ignore[arg-type]
        assert record["predicted"] == [record["labels"][0]]  # type: ignore[index]


@pytest.mark.parametrize("kind", ["gliclass", "nli"])
def test_classify_multi_label_from_stdin_with_threshold(models: dict[str, str], kind: str) -> None:
    code, records, output = _run(
        "classify", "-m", models[kind], "-l", "sports,business", "--multi-label", "--threshold", "0.3", "-", stdin=LINES
    )
    assert code == 0, output
    assert len(records) == 3
    for record in records:
        assert record["multi_label"] is True and record["threshold"] == 0.3
        scores = dict(zip(record["labels"], record["scores"], strict=True))  # type: ignore[call-overload]
        assert record["predicted"] == [label for label in record["labels"] if scores[label] >= 0.3]  # type: ignore[attr-defined]


def test_classify_reports_bad_input(models: dict[str, str], tmp_path: Path) -> None:
    code, _, output = _run("classify", "-m", models["gliclass"], "-l", " , ", "-", stdin=LINES)
    assert code == 2 and "--labels is empty" in output
    code, _, output = _run("classify", "-m", models["gliclass"], "-l", "a,b", "-", stdin='{"body": "x"}\n')
    assert code == 2 and "'text'" in output
    code, _, output = _run("classify", "-m", str(tmp_path / "missing"), "-l", "a,b", "-", stdin=LINES)
    assert code == 2 and "error:" in output
