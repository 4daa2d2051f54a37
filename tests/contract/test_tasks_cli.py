"""``entailkit rerank`` and ``entailkit check`` end to end on tiny random-weight cross-encoders."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from entailkit.cli import app

runner = CliRunner()


def test_rerank_stdin_mixed_lines(tiny_models: dict[str, Path]) -> None:
    lines = ['{"text": "the cat sat on the mat", "id": "d1"}', '"a dog ran"', "plain text line", ""]
    result = runner.invoke(
        app,
        ["rerank", "-m", str(tiny_models["bert-nli3-cen"]), "--query", "cats", "-q", "--top-n", "2", "-"],
        input="\n".join(lines),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["num_documents"] == 3 and len(data["items"]) == 2 and data["top_n"] == 2
    assert data["hypothesis"] == "This text is about cats."
    by_index = {item["index"]: item for item in data["items"]}
    if 0 in by_index:
        assert by_index[0]["document"] == {"text": "the cat sat on the mat", "id": "d1"}
    assert data["items"][0]["score"] >= data["items"][1]["score"]


def test_rerank_relevance_model_file(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"body": "one"}\n{"body": "two"}\n', encoding="utf-8")
    result = runner.invoke(
        app, ["rerank", "-m", str(tiny_models["bert-rel1"]), "--query", "q", "--text-key", "body", "-q", str(docs)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["head"] == "relevance" and data["hypothesis"] == "q" and len(data["items"]) == 2


def test_check_one_answer_and_jsonl(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    model = str(tiny_models["bert-nli3-enc"])
    result = runner.invoke(
        app,
        ["check", "-m", model, "-q", "--answer", "The cat sat. The dog ran.", "-c", "a cat sat", "-c", "a dog"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [s["text"] for s in report["sentences"]] == ["The cat sat.", "The dog ran."]
    assert report["num_contexts"] == 2 and report["aggregate"] == "min"
    items = tmp_path / "items.jsonl"
    items.write_text(
        json.dumps({"answer": "A cat.", "contexts": ["a cat"], "question": "what?"}) + "\n"
        + json.dumps({"answer": "", "contexts": []}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    result = runner.invoke(app, ["check", "-m", model, "-q", "--aggregate", "mean", str(items)])
    assert result.exit_code == 0, result.output
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(reports) == 2 and reports[0]["question"] == "what?" and reports[1]["sentences"] == []
    assert reports[0]["aggregate"] == "mean"


def test_cli_errors(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    nli, rel = str(tiny_models["bert-nli3-cen"]), str(tiny_models["bert-rel1"])
    cases = [
        (["check", "-m", nli], "nothing to check"),
        (["check", "-m", nli, "--answer", "x"], "--answer needs at least one --context"),
        (["check", "-m", nli, "--answer", "x", "-c", "y", "file.jsonl"], "not both"),
        (["check", "-m", nli, "-c", "y", "-"], "--context and --question go with --answer"),
        (["check", "-m", rel, "--answer", "x", "-c", "y"], "is a 1-logit relevance model"),
        (["check", "-m", nli, "--answer", "x", "-c", "y", "--aggregate", "max"], "aggregate must be 'mean' or 'min'"),
        (["rerank", "-m", nli, "--query", " ", "-"], "query is empty"),
        (["rerank", "-m", nli, "--query", "q", "--top-n", "0", "-"], "top_n must be a positive int"),
        (["rerank", "-m", nli, "--query", "q", str(tmp_path / "missing.jsonl")], "cannot read"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args, input="a doc\n")
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
