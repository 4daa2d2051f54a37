"""The server's tasks configured once (a task on the served scorer, its spec, a mapping) and overridden per request.

A real server on a loopback port with a tiny model, called over HTTP; ``entailkit serve --*-spec`` with
the blocking server replaced, to see what the command hands it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from entailkit import GroundednessChecker, InvalidInputError, Reranker, ZeroShotClassifier
from entailkit.serve import BackgroundServer, ServeConfig, create_app
from entailkit.tasks.routing import Router
from entailkit.tasks.specs import CheckSpec, ClassifySpec, RerankSpec, RouteSpec

QUERY = "a man plays music"
DOCS = ["a man is playing a guitar", "the dog eats an apple", "a woman reads a book", "the team wins"]
ANSWER, CONTEXTS = "A man plays the guitar. The dog sleeps.", ["a man is playing a guitar", "the cat runs"]
TEMPLATE = "It is about {}."


@pytest.fixture(scope="module")
def scorer(load_tiny: Any) -> Any:
    return load_tiny("bert-nli3-cen")


@pytest.fixture(scope="module")
def server(scorer: Any) -> Iterator[BackgroundServer]:
    with BackgroundServer(
        scorer,
        ServeConfig(max_batch_wait_ms=1),
        rerank=RerankSpec(top_n=1),
        check=CheckSpec(threshold=1.0, contradiction_threshold=1.0, aggregate="mean"),  # nothing reaches 1.0
        classify={"hypothesis_template": TEMPLATE},
    ) as running:
        yield running


@pytest.fixture(scope="module")
def http(server: BackgroundServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def test_configured_top_n_when_the_request_has_none(http: httpx.Client) -> None:
    body = {"query": QUERY, "documents": DOCS}
    assert len(http.post("/v2/rerank", json=body).json()["results"]) == 1
    assert len(http.post("/v1/rerank", json=body).json()["results"]) == 1
    assert len(http.post("/rerank", json={"query": QUERY, "texts": DOCS}).json()) == 1
    full = http.post("/v1/rerank/full", json=body).json()
    assert full["top_n"] == 1 and len(full["items"]) == 1
    assert len(http.post("/v2/rerank", json={**body, "top_n": 3}).json()["results"]) == 3  # the request's wins
    assert len(http.post("/v1/rerank/full", json={**body, "top_n": 4, "threshold": 1.0}).json()["items"]) == 0


def test_configured_checker_and_a_request_threshold(http: httpx.Client, scorer: Any) -> None:
    configured = http.post("/v1/check", json={"answer": ANSWER, "contexts": CONTEXTS}).json()
    assert configured["threshold"] == 1.0 and configured["aggregate"] == "mean"
    assert {s["verdict"] for s in configured["sentences"]} == {"unsupported"}
    default = GroundednessChecker(scorer).check(ANSWER, CONTEXTS)
    assert configured["aggregate"] != default.aggregate  # the spec changed the report vs the defaults

    override = http.post("/v1/check", json={"answer": ANSWER, "contexts": CONTEXTS, "threshold": 0.0}).json()
    assert override["threshold"] == 0.0 and override["aggregate"] == "mean"  # the rest stays configured
    assert {s["verdict"] for s in override["sentences"]} == {"supported"}  # contradiction still needs 1.0
    local = GroundednessChecker(scorer, threshold=0.0, contradiction_threshold=1.0, aggregate="mean")
    assert override["grounded"] == local.check(ANSWER, CONTEXTS).grounded
    again = http.post("/v1/check", json={"answer": ANSWER, "contexts": CONTEXTS}).json()
    assert again == configured  # the override was for that request only


def test_configured_template_and_a_request_template(http: httpx.Client, scorer: Any, server: BackgroundServer) -> None:
    assert server.app.app.state.entailkit.classify_task.spec == ClassifySpec(hypothesis_template=TEMPLATE)
    texts, labels = ["the team wins the match"], ["sports", "music", "food"]
    got = http.post("/v1/classify", json={"texts": texts, "labels": labels}).json()["results"][0]
    want = ZeroShotClassifier(scorer, hypothesis_template=TEMPLATE).classify(texts, labels)[0]
    assert got["labels"] == list(want.labels) and got["scores"] == pytest.approx(want.scores, abs=1e-6)
    other = "Surely {}."
    got = http.post("/v1/classify", json={"texts": texts, "labels": labels, "hypothesis_template": other}).json()
    want = ZeroShotClassifier(scorer).classify(texts, labels, hypothesis_template=other)[0]
    assert got["results"][0]["scores"] == pytest.approx(want.scores, abs=1e-6)


def test_configured_tasks_keep_their_options_and_calibrator(scorer: Any) -> None:
    from entailkit import fit_calibrator

    calibrator = fit_calibrator([0.1, 0.4, 0.6, 0.9, 0.3, 0.7], [0, 0, 1, 1, 1, 0], method="platt")
    reranker = Reranker(scorer, top_n=2, calibrator=calibrator)
    checker = GroundednessChecker(scorer, threshold=0.7, question_mode="prefix")
    router = Router(scorer, [{"name": "music", "description": "music"}, {"name": "food", "description": "food"}])
    state = create_app(scorer, rerank=reranker, check=checker, routes=router).app.state.entailkit
    served = state.rerank_task.get()
    assert served is not reranker and served.scorer is state.scorer  # rebuilt on the batching scorer
    assert served.top_n == 2 and served.calibrator is calibrator
    assert state.check_task.spec == CheckSpec.of(checker) and state.check_task.get().question_mode == "prefix"
    assert state.check_task.get(threshold=0.2).threshold == 0.2
    assert state.router.names == ["music", "food"] and state.router.scorer is state.scorer
    from_mapping = create_app(scorer, routes=RouteSpec(routes=[{"name": "a", "description": "b"}], fallback="x"))
    assert from_mapping.app.state.entailkit.router.fallback == "x"


def test_tasks_on_another_scorer_or_of_another_kind_are_refused(scorer: Any, load_tiny: Any) -> None:
    other = load_tiny("bert-nli3-enc")
    with pytest.raises(InvalidInputError, match="rerank: the Reranker runs on another scorer"):
        create_app(scorer, rerank=Reranker(other))
    with pytest.raises(InvalidInputError, match="routes: the Router runs on another scorer"):
        create_app(scorer, routes=Router(other, [{"name": "a", "description": "b"}]))
    with pytest.raises(InvalidInputError, match="check must be a GroundednessChecker"):
        create_app(scorer, check=Reranker(scorer))  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="RerankSpec: unknown option 'top_m'"):
        create_app(scorer, rerank={"top_m": 3})
    with pytest.raises(InvalidInputError, match="top_n must be a positive int"):
        create_app(scorer, rerank={"top_n": 0})
    relevance = load_tiny("bert-rel1")
    with pytest.raises(InvalidInputError, match="1-logit relevance model"):  # asked for: refused at once
        create_app(relevance, check=CheckSpec(threshold=0.6))
    assert create_app(relevance).app.state.entailkit.rerank_task.get() is not None  # not asked for: /v1/check says


def test_serve_command_hands_the_specs_and_the_shared_scorer(
    tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from entailkit import shared_scorer
    from entailkit.cli import app
    from entailkit.serve import server

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(server, "serve", lambda scorer, config, **kwargs: calls.append((scorer, kwargs)))
    (tmp_path / "rerank.json").write_text('{"top_n": 3}')
    (tmp_path / "check.yaml").write_text("threshold: 0.8\n")
    model = str(tiny_models["bert-nli3-cen"])
    args = ["serve", "-m", model, "--rerank-spec", str(tmp_path / "rerank.json")]
    result = CliRunner().invoke(app, [*args, "--check-spec", str(tmp_path / "check.yaml"), "--batch-size", "8"])
    assert result.exit_code == 0, result.output
    scorer, kwargs = calls[0]
    assert scorer is shared_scorer(model, device=None, dtype=None, batch_size=8)
    assert kwargs["rerank"] == RerankSpec(top_n=3) and kwargs["check"] == CheckSpec(threshold=0.8)
    assert kwargs["classify"] is None

    (tmp_path / "bad.yaml").write_text("hypothesis: x\n")
    result = CliRunner().invoke(app, ["serve", "-m", model, "--classify-spec", str(tmp_path / "bad.yaml")])
    assert result.exit_code == 2 and "ClassifySpec: unknown option 'hypothesis'" in result.output
    assert len(calls) == 1
