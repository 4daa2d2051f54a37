"""The report JSON of /v1/check and /v1/check/stream: ``score`` decides ``grounded``, ``supported_fraction`` beside
it, no ``aggregate_score`` (issue 22); the OpenAPI schema says the same, and ``Client.check`` reads it back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from entailkit import Client, GroundednessChecker
from entailkit.serve import BackgroundServer, ServeConfig

ANSWER = "A man plays the guitar. The dog sleeps. A woman reads a book."
CONTEXTS = ["a man is playing a guitar", "the cat runs", "a woman is reading a book"]
TOL = 1e-6


@pytest.fixture(scope="module")
def scorer(load_tiny: Any) -> Any:
    return load_tiny("bert-nli3-cen")


@pytest.fixture(scope="module")
def server(scorer: Any) -> Iterator[BackgroundServer]:
    with BackgroundServer(scorer, ServeConfig(max_batch_wait_ms=1)) as running:
        yield running


def _fields_agree(payload: dict[str, Any], local: Any) -> None:
    assert "aggregate_score" not in payload
    assert payload["score"] == pytest.approx(local.score, abs=TOL)
    assert payload["supported_fraction"] == local.supported_fraction
    assert payload["grounded"] == local.grounded
    assert payload["score"] == payload["min_score" if payload["aggregate"] == "min" else "mean_score"]
    verdicts = [s["verdict"] for s in payload["sentences"]]
    assert payload["supported_fraction"] == verdicts.count("supported") / len(verdicts)
    decided = payload["score"] >= payload["threshold"] and "contradicted" not in verdicts
    assert payload["grounded"] is decided  # score, not supported_fraction, decides


@pytest.mark.parametrize("aggregate", ["min", "mean"])
def test_check_json_has_score_and_supported_fraction_only(
    server: BackgroundServer, scorer: Any, aggregate: str
) -> None:
    local = GroundednessChecker(scorer, aggregate=aggregate).check(ANSWER, CONTEXTS)
    body = {"answer": ANSWER, "contexts": CONTEXTS, "aggregate": aggregate}
    whole = httpx.post(f"{server.url}/v1/check", json=body, timeout=30).json()
    _fields_agree(whole, local)
    with httpx.stream("POST", f"{server.url}/v1/check/stream", json=body, timeout=30) as r:
        lines = [json.loads(line) for line in r.iter_lines() if line]
    assert lines[-1]["type"] == "report"
    _fields_agree(lines[-1]["report"], local)
    with Client(server.url, timeout=30) as client:
        report = client.check(ANSWER, CONTEXTS, aggregate=aggregate)
    assert report.score == pytest.approx(local.score, abs=TOL)
    assert report.supported_fraction == local.supported_fraction and report.grounded == local.grounded


def test_openapi_documents_the_report_without_aggregate_score(server: BackgroundServer) -> None:
    spec = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    schema = spec["paths"]["/v1/check"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    assert name.startswith("GroundednessReport")
    properties = spec["components"]["schemas"][name]["properties"]
    assert {"score", "supported_fraction", "grounded", "min_score", "mean_score"} <= properties.keys()
    assert "aggregate_score" not in properties
    assert "aggregate_score" not in json.dumps(spec)
