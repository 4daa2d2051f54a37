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
    assert data["hypothesis"] == "cats"  # the default query template is the query as it is
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
        (["check", "-m", nli, "--answer", "x", "-c", "y", "--aggregate", "max"], "aggregate: Input should be 'mean'"),
        (["rerank", "-m", nli, "--query", " ", "-"], "query is empty"),
        (["rerank", "-m", nli, "--query", "q", "--top-n", "0", "-"], "top_n must be a positive int"),
        (["rerank", "-m", nli, "--query", "q", str(tmp_path / "missing.jsonl")], "cannot read"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args, input="a doc\n")
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)


# -- --spec: the task's options from a JSON or YAML file ---------------------------------------------

DOCS = "the cat sat on the mat\na dog ran\nplain text line\n"


def _json(args: list[str], stdin: str | None = None) -> list[dict[str, object]]:
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_rerank_spec_file_is_the_flags(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    model = str(tiny_models["bert-nli3-cen"])
    spec = tmp_path / "rerank.json"
    spec.write_text(json.dumps({"top_n": 2, "query_template": "Topic: {}", "normalization": "softmax"}))
    base = ["rerank", "-m", model, "--query", "cats", "-q"]
    from_file = _json([*base, "--spec", str(spec), "-"], DOCS)
    from_flags = _json([*base, "--top-n", "2", "--query-template", "Topic: {}", "-"], DOCS)
    assert from_file == from_flags
    assert from_file[0]["top_n"] == 2 and from_file[0]["hypothesis"] == "Topic: cats"
    overridden = _json([*base, "--spec", str(spec), "--top-n", "1", "-"], DOCS)[0]  # the flag wins
    assert overridden["top_n"] == 1 and len(overridden["items"]) == 1  # type: ignore[arg-type]
    assert overridden["hypothesis"] == "Topic: cats"  # the spec's other fields stay


def test_check_spec_yaml_is_the_flags(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    model = str(tiny_models["bert-nli3-enc"])
    spec = tmp_path / "check.yaml"
    spec.write_text("threshold: 0.9\naggregate: mean\nquestion_mode: prefix\n")
    base = ["check", "-m", model, "-q", "--answer", "The cat sat. The dog ran.", "-c", "a cat sat", "--question", "q?"]
    from_file = _json([*base, "--spec", str(spec)])
    assert from_file[0]["threshold"] == 0.9 and from_file[0]["aggregate"] == "mean"
    from_flags_and_file = _json([*base, "--threshold", "0.9", "--aggregate", "mean", "--spec", str(spec)])
    assert from_file == from_flags_and_file
    overridden = _json([*base, "--spec", str(spec), "--threshold", "0.1"])[0]
    assert overridden["threshold"] == 0.1 and overridden["aggregate"] == "mean"


def test_classify_spec_file_is_the_template_flag(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    model = str(tiny_models["bert-nli3-cen"])
    spec = tmp_path / "classify.yaml"
    spec.write_text("hypothesis_template: 'It is about {}.'\n")
    base = ["classify", "-m", model, "-l", "sports,music", "-q"]
    texts = "the team wins\na man plays guitar\n"
    from_file = _json([*base, "--spec", str(spec), "-"], texts)
    assert from_file == _json([*base, "--template", "It is about {}.", "-"], texts)
    assert from_file == _json([*base, "--hypothesis-template", "It is about {}.", "-"], texts)
    assert from_file != _json([*base, "--spec", str(spec), "--template", "Not {} at all.", "-"], texts)


def test_bad_spec_files_exit_2(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    model = str(tiny_models["bert-nli3-cen"])
    files = {
        "unknown.json": ('{"top_m": 3}', "RerankSpec: unknown option 'top_m'"),
        "mistyped.yaml": ("top_n: '3'\n", "RerankSpec: top_n: Input should be a valid integer"),
        "list.yaml": ("- 1\n", "must hold a mapping of option names"),
        "broken.json": ("{", "is not valid JSON"),
        "range.json": ('{"top_n": 0}', "top_n must be a positive int"),  # a value out of range: the task's check
    }
    for name, (text, message) in files.items():
        (tmp_path / name).write_text(text)
        result = runner.invoke(app, ["rerank", "-m", model, "--query", "q", "--spec", str(tmp_path / name), "-"])
        assert result.exit_code == 2 and message in result.output, (name, result.output)
    result = runner.invoke(app, ["check", "-m", model, "--answer", "a", "-c", "b", "--spec", str(tmp_path / "no.yaml")])
    assert result.exit_code == 2 and "cannot read spec file" in result.output


def test_flag_defaults_are_the_specs() -> None:
    """A flag named like a spec field defaults to the spec's default (or None, "the spec's"): one default."""
    import typer.main

    from entailkit.tasks.specs import CheckSpec, ClassifySpec, RerankSpec, RouteSpec

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    specs = {"rerank": RerankSpec, "check": CheckSpec, "classify": ClassifySpec, "route": RouteSpec}
    mapped = set()
    for command, spec in specs.items():
        for param in commands[command].params:
            if param.name in spec.model_fields:
                mapped.add((command, param.name))
                assert param.default in (None, spec.model_fields[param.name].default), (command, param.name)
    assert {("rerank", "top_n"), ("check", "threshold"), ("classify", "hypothesis_template")} <= mapped
