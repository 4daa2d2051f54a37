"""``entailkit route``: routes YAML or a saved router, queries as arguments or JSON lines, JSON out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from entailkit.cli import app

ROUTES = """\
fallback: other
routes:
  - name: billing
    description: billing and payments
    examples: [my card was charged twice, where is my refund]
  - name: tech
    description: technical problems
    examples: [the app crashes on start]
    threshold: 0.2
"""


def _run(*args: str, stdin: str | None = None) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, records, result.output


@pytest.fixture(scope="module")
def setup(tiny_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("routes")
    (folder / "routes.yaml").write_text(ROUTES)
    return {
        "nli": str(tiny_models["bert-nli3-enc"]),
        "embed": str(tiny_models["bert-embed"]),
        "routes": str(folder / "routes.yaml"),
        "dir": str(folder),
    }


def test_route_queries_as_arguments(setup: dict[str, str]) -> None:
    code, records, output = _run("route", "-m", setup["nli"], "--routes", setup["routes"], "refund?", "crash", "-q")
    assert code == 0, output
    assert [r["query"] for r in records] == ["refund?", "crash"]
    for record in records:
        assert set(record["scores"]) == {"billing", "tech"}  # type: ignore[arg-type]
        assert record["route"] in ("billing", "tech", "other")
        assert record["knn"] is None and record["decided_by"] in ("zero-shot", "fallback")


def test_route_json_lines_with_the_knn_signal(setup: dict[str, str]) -> None:
    pytest.importorskip("faiss")
    lines = '{"id": 1, "query": "my card was charged twice"}\n\n{"id": 2, "query": "it crashes"}\n'
    code, records, output = _run(
        "route", "-m", setup["nli"], "--routes", setup["routes"], "--embedding-model", setup["embed"],
        "--input", "-", "-q", stdin=lines,
    )  # fmt: skip
    assert code == 0, output
    assert [r["id"] for r in records] == [1, 2]
    assert all(r["knn"] is not None for r in records)
    assert sum(records[0]["knn"].values()) == pytest.approx(1.0)  # type: ignore[union-attr]


def test_route_with_a_saved_router(setup: dict[str, str]) -> None:
    from entailkit.scorers.loading import load_scorer
    from entailkit.tasks.routing import Router

    router = Router.from_routes_file(setup["routes"], load_scorer(setup["nli"]))
    saved = Path(setup["dir"]) / "router.json"
    router.save(saved)
    code, records, output = _run("route", "-m", setup["nli"], "--router", str(saved), "refund?", "-q")
    assert code == 0, output
    assert records[0]["scores"] == router.route("refund?").scores


@pytest.mark.parametrize(
    ("extra", "stdin", "message"),
    [
        ([], None, "pass exactly one of --routes"),
        (["--routes", "R", "--router", "R"], None, "pass exactly one of --routes"),
        (["--routes", "R"], None, "nothing to route"),
        (["--routes", "R", "q", "--input", "-"], '{"query": "x"}\n', "not both"),
        (["--routes", "R", "--input", "-"], '{"text": "x"}\n', "needs a string field 'query'"),
        (["--routes", "R", "--input", "-"], "[1]\n", "each line must be a JSON object"),
    ],
)
def test_route_errors(setup: dict[str, str], extra: list[str], stdin: str | None, message: str) -> None:
    args = [setup["routes"] if a == "R" else a for a in extra]
    code, _, output = _run("route", "-m", setup["nli"], *args, stdin=stdin)
    assert code == 2 and message in output


def test_route_bad_routes_file(setup: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("routes: []\n")
    code, _, output = _run("route", "-m", setup["nli"], "--routes", str(bad), "q")
    assert code == 2 and "'routes' must be a non-empty list" in output


def test_route_spec_holds_the_routes(setup: dict[str, str], tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(ROUTES)  # a routes file is a RouteSpec
    code, from_spec, output = _run("route", "-m", setup["nli"], "--spec", str(spec), "refund?", "crash", "-q")
    assert code == 0, output
    _, from_routes, _ = _run("route", "-m", setup["nli"], "--routes", setup["routes"], "refund?", "crash", "-q")
    assert from_spec == from_routes


def test_route_spec_options_under_routes_and_over_a_saved_router(setup: dict[str, str], tmp_path: Path) -> None:
    from entailkit.scorers.loading import load_scorer
    from entailkit.tasks.routing import Router

    routes = tmp_path / "routes.yaml"
    routes.write_text(ROUTES.replace("    threshold: 0.2\n", ""))  # no route of its own threshold
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"fallback": "none-of-these", "threshold": 1.0}))  # no score reaches 1.0
    code, records, output = _run("route", "-m", setup["nli"], "--routes", str(routes), "--spec", str(spec), "q", "-q")
    assert code == 0, output
    assert records[0]["route"] == "other"  # the routes file's fallback wins over the spec's; its threshold holds
    saved = tmp_path / "router.json"
    Router.from_routes_file(routes, load_scorer(setup["nli"])).save(saved)
    code, records, output = _run("route", "-m", setup["nli"], "--router", str(saved), "--spec", str(spec), "q", "-q")
    assert code == 0, output
    assert records[0]["route"] == "none-of-these"  # the spec's fields over a saved router's


def test_route_bad_spec(setup: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("k: ten\n")
    code, _, output = _run("route", "-m", setup["nli"], "--routes", setup["routes"], "--spec", str(bad), "q")
    assert code == 2 and "RouteSpec: k: Input should be a valid integer" in output
    bad.write_text("threshold: 0.2\n")  # no routes anywhere
    code, _, output = _run("route", "-m", setup["nli"], "--spec", str(bad), "q")
    assert code == 2 and "pass exactly one of --routes" in output
