"""Request limits of the HTTP server, on a real uvicorn server on loopback with a tiny model.

Work budget refused before any model call, a length limit on every string field, strict request types,
HEAD /health, model names instead of local paths, API keys checked at config time, and ``Connection:
close`` on every 5xx (a keep-alive client's next request must not land on a dropped connection).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_helpers import GatedScorer, error_message, metric_value
from typer.testing import CliRunner

from entailkit import InvalidInputError
from entailkit.serve import BackgroundServer, ServeConfig

QUERY = "a man plays music"
DOCS = ["a man is playing a guitar", "the dog eats an apple", "a woman reads a book"]
ROUTES_YAML = """
routes:
  - name: billing
    description: paying the bill, invoices and refunds
  - name: sports
    description: sports, games and matches
"""
LIMITS = {
    "max_request_pairs": 20,
    "max_query_chars": 50,
    "max_label_chars": 30,
    "max_documents": 30,
    "max_document_chars": 2000,
    "max_labels": 10,
}


@pytest.fixture(scope="module")
def scorer(load_tiny: Any) -> Any:
    return load_tiny("bert-nli3-enc")


@pytest.fixture(scope="module")
def gated(scorer: Any) -> GatedScorer:
    return GatedScorer(scorer)


@pytest.fixture(scope="module")
def server(gated: GatedScorer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    routes = tmp_path_factory.mktemp("limits") / "routes.yaml"
    routes.write_text(ROUTES_YAML, encoding="utf-8")
    with BackgroundServer(gated, ServeConfig(max_batch_wait_ms=1, **LIMITS), routes=routes) as running:
        yield running


@pytest.fixture(scope="module")
def http(server: BackgroundServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


# -- the work budget ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "detail"),
    [
        ("/v2/rerank", {"query": QUERY, "documents": ["a dog runs"] * 21}, "21 documents"),
        ("/v1/rerank", {"query": QUERY, "documents": ["a dog runs " * 170] * 4}, "4 documents in 24 windows"),
        ("/rerank", {"query": QUERY, "texts": ["a dog runs"] * 21}, "21 texts"),
        ("/v1/rerank/full", {"query": QUERY, "documents": [{"text": "a dog runs"}] * 21}, "21 documents"),
        (
            "/v1/check",
            {"answer": "A man sings. " * 7, "contexts": ["a man", "a dog", "a cat"]},
            "7 answer sentences x 3",
        ),
        ("/v1/classify", {"texts": ["a b"] * 7, "labels": ["x", "y", "z"]}, "7 texts x 3 labels"),
        ("/v1/route", {"queries": ["refund please"] * 11}, "11 queries x 2 routes"),
    ],
)
def test_oversized_work_is_refused_up_front_before_any_model_call(
    http: httpx.Client, gated: GatedScorer, path: str, body: dict[str, Any], detail: str
) -> None:
    calls = gated.calls
    message = error_message(http.post(path, json=body), 413, "too_many_pairs")
    assert detail in message and "the limit is 20 pairs per request (--max-request-pairs)" in message
    assert gated.calls == calls  # refused before the model saw anything


def test_work_within_the_budget_is_served(http: httpx.Client) -> None:
    assert http.post("/v2/rerank", json={"query": QUERY, "documents": ["a dog runs"] * 20}).status_code == 200
    assert http.post("/v1/classify", json={"texts": ["a b"] * 6, "labels": ["x", "y", "z"]}).status_code == 200
    assert http.post("/v1/check", json={"answer": "A man sings.", "contexts": DOCS}).status_code == 200


def test_the_budget_counts_in_the_metrics(http: httpx.Client) -> None:
    before = metric_value(http.get("/metrics").text, "entailkit_rejected_total", 0.0, reason="too_many_pairs")
    assert http.post("/v1/classify", json={"texts": ["a b"] * 7, "labels": ["x", "y", "z"]}).status_code == 413
    after = metric_value(http.get("/metrics").text, "entailkit_rejected_total", reason="too_many_pairs")
    assert after == before + 1


# -- a length limit on every string field ------------------------------------------------------------

LONG_QUERY = "q" * 51
LONG_LABEL = "l" * 31


@pytest.mark.parametrize(
    ("path", "body", "field", "option"),
    [
        ("/v1/rerank", {"query": LONG_QUERY, "documents": DOCS}, "query", "--max-query-chars"),
        ("/v2/rerank", {"query": LONG_QUERY, "documents": DOCS}, "query", "--max-query-chars"),
        ("/v1/rerank/full", {"query": LONG_QUERY, "documents": DOCS}, "query", "--max-query-chars"),
        ("/rerank", {"query": LONG_QUERY, "texts": DOCS}, "query", "--max-query-chars"),
        ("/v1/check", {"answer": "a b", "contexts": DOCS, "question": LONG_QUERY}, "question", "--max-query-chars"),
        ("/v1/classify", {"texts": ["a"], "labels": ["x", LONG_LABEL]}, "labels[1]", "--max-label-chars"),
        ("/v1/classify", {"texts": ["a"], "labels": {LONG_LABEL: "short"}}, "(name)", "--max-label-chars"),
        ("/v1/classify", {"texts": ["a"], "labels": {"x": LONG_LABEL}}, "labels['x']", "--max-label-chars"),
        (
            "/v1/classify",
            {"texts": ["a"], "labels": ["x"], "hypothesis_template": "This is {}." + "t" * 30},
            "hypothesis_template",
            "--max-label-chars",
        ),
    ],
)
def test_every_short_string_field_has_a_length_limit(
    http: httpx.Client, path: str, body: dict[str, Any], field: str, option: str
) -> None:
    message = error_message(http.post(path, json=body), 422, "field_too_long")
    assert field in message and option in message


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v2/rerank", {"query": QUERY, "documents": ["x" * 2001]}, "documents[0]"),
        ("/v2/rerank", {"query": QUERY, "documents": [{"text": "x" * 2001}]}, "documents[0]"),
        ("/rerank", {"query": QUERY, "texts": ["a", "x" * 2001]}, "texts[1]"),
        ("/v1/check", {"answer": "x" * 2001, "contexts": DOCS}, "answer[0]"),
        ("/v1/check", {"answer": "a b", "contexts": ["x" * 2001]}, "contexts[0]"),
        ("/v1/classify", {"texts": ["x" * 2001], "labels": ["x"]}, "texts[0]"),
        ("/v1/route", {"query": "x" * 2001}, "queries[0]"),
    ],
)
def test_every_text_field_has_a_length_limit(http: httpx.Client, path: str, body: dict[str, Any], field: str) -> None:
    message = error_message(http.post(path, json=body), 422, "document_too_long")
    assert field in message and "--max-document-chars" in message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model": "m" * 257}, "model"),
        ({"rank_fields": ["k" * 257]}, "rank_fields"),
    ],
)
def test_name_fields_have_a_fixed_length_limit(http: httpx.Client, body: dict[str, Any], field: str) -> None:
    message = error_message(
        http.post("/v1/rerank", json={"query": QUERY, "documents": DOCS, **body}), 422, "invalid_request"
    )
    assert field in message and "256" in message
    tei = http.post("/rerank", json={"query": QUERY, "texts": DOCS, "truncation_direction": "r" * 257})
    assert "truncation_direction" in error_message(tei, 422, "invalid_request")


def test_too_many_labels_is_422(http: httpx.Client) -> None:
    labels = [f"label {i}" for i in range(11)]
    assert "--max-labels" in error_message(
        http.post("/v1/classify", json={"texts": ["a"], "labels": labels}), 422, "too_many_items"
    )


# -- strict types ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v2/rerank", {"query": QUERY, "documents": DOCS, "top_n": True}, "top_n"),
        ("/v2/rerank", {"query": QUERY, "documents": DOCS, "top_n": "2"}, "top_n"),
        ("/v2/rerank", {"query": QUERY, "documents": DOCS, "return_documents": 1}, "return_documents"),
        ("/v2/rerank", {"query": 1, "documents": DOCS}, "query"),
        ("/v2/rerank", {"query": QUERY, "documents": [1, 2]}, "documents"),
        ("/rerank", {"query": QUERY, "texts": DOCS, "raw_scores": "true"}, "raw_scores"),
        ("/v1/rerank/full", {"query": QUERY, "documents": DOCS, "threshold": "0.5"}, "threshold"),
        ("/v1/rerank/full", {"query": QUERY, "documents": DOCS, "first_stage_scores": [True, 1, 2]}, "first_stage"),
        ("/v1/classify", {"texts": ["a"], "labels": ["x", "y"], "multi_label": "yes"}, "multi_label"),
        ("/v1/classify", {"texts": ["a"], "labels": ["x", "y"], "multi_label": 1}, "multi_label"),
        ("/v1/classify", {"texts": "a", "labels": ["x"]}, "texts"),
        ("/v1/check", {"answer": "a b", "contexts": DOCS, "threshold": False}, "threshold"),
        ("/v1/check", {"answer": "a b", "contexts": DOCS, "aggregate": "max"}, "aggregate"),
        ("/v1/route", {"query": ["a"]}, "query"),
    ],
)
def test_request_types_are_strict(http: httpx.Client, path: str, body: dict[str, Any], field: str) -> None:
    assert field in error_message(http.post(path, json=body), 422, "invalid_request")


def test_ints_are_numbers(http: httpx.Client) -> None:
    body = {"answer": "a b", "contexts": DOCS, "threshold": 1, "contradiction_threshold": 0}
    assert http.post("/v1/check", json=body).status_code == 200


def test_lone_surrogate_in_a_json_body_is_422_and_the_connection_stays_usable(http: httpx.Client) -> None:
    raw = b'{"query": "\\ud800 music", "documents": ["a man is playing a guitar"]}'
    for _ in range(3):
        response = http.post("/v2/rerank", content=raw, headers={"Content-Type": "application/json"})
        assert "surrogate" in error_message(response, 422, "invalid_request")
        assert http.post("/v2/rerank", json={"query": QUERY, "documents": DOCS}).status_code == 200


# -- operations: HEAD /health, names instead of paths -------------------------------------------------


def test_head_health_is_200(http: httpx.Client) -> None:
    response = http.head("/health")
    assert response.status_code == 200 and response.content == b""
    assert http.get("/openapi.json").status_code == 200  # one operation id per route (no duplicate HEAD)


def test_no_local_path_in_health_or_replies(http: httpx.Client, scorer: Any, tiny_models: dict[str, Path]) -> None:
    local = str(tiny_models["bert-nli3-enc"])
    assert scorer.info.model == local  # the scorer knows its path ...
    health = http.get("/health")
    assert health.json()["model"] == "bert-nli3-enc"  # ... the server shows its name only
    replies = [
        health,
        http.post("/v2/rerank", json={"query": QUERY, "documents": DOCS}),
        http.post("/v1/rerank", json={"query": QUERY, "documents": DOCS}),
        http.post("/v1/rerank/full", json={"query": QUERY, "documents": DOCS}),
        http.post("/v1/check", json={"answer": "a b", "contexts": DOCS}),
        http.post("/v1/classify", json={"texts": ["a"], "labels": ["x"]}),
        http.post("/v1/route", json={"query": "a"}),
        http.post("/v2/rerank", json={"query": QUERY, "documents": DOCS, "first_stage_scores": [1, 2, 3]}),
        http.get("/metrics"),
        http.get("/openapi.json"),
    ]
    for response in replies:
        assert local not in response.text and str(tiny_models["bert-nli3-enc"].parent) not in response.text


def test_no_local_path_in_a_modelerror_message(load_tiny: Any, tiny_models: dict[str, Path]) -> None:
    relevance = load_tiny("bert-rel1")  # a reranker: the checker refuses it, naming the model
    with BackgroundServer(relevance) as running:
        response = httpx.post(f"{running.url}/v1/check", json={"answer": "a b", "contexts": DOCS})
    assert "bert-rel1" in error_message(response, 422, "invalid_request")
    assert str(tiny_models["bert-rel1"]) not in response.text


# -- API keys ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [" padded ", "padded ", "\tpadded", "two words", "caf\u00e9"])
def test_a_key_no_client_can_send_is_refused_at_config_time(key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidInputError, match="api_key"):
        ServeConfig(api_key=key)
    monkeypatch.setenv("ENTAILKIT_API_KEY", key)
    with pytest.raises(InvalidInputError, match="api_key"):
        ServeConfig().with_env_key()


def test_cli_refuses_a_padded_key_before_loading_the_model() -> None:
    from entailkit.cli import app

    result = CliRunner().invoke(app, ["serve", "--model", "does-not-matter", "--api-key", " padded "])
    assert result.exit_code == 2
    assert "whitespace" in result.output


# -- 5xx: Connection: close ----------------------------------------------------------------------------


class BrokenScorer(GatedScorer):
    """Raises a RuntimeError (with a local path in its text) on every model call."""

    def score_pairs(self, premises: Sequence[str], hypotheses: Sequence[str], **kwargs: Any) -> Any:
        raise RuntimeError("CUDA error at /home/secret/model.py:12")


def test_a_500_closes_the_connection_and_the_next_request_succeeds(scorer: Any) -> None:
    broken_scorer = BrokenScorer(scorer)
    with BackgroundServer(broken_scorer) as running, httpx.Client(base_url=running.url, timeout=30) as client:
        for _ in range(20):
            broken = client.post("/v2/rerank", json={"query": QUERY, "documents": DOCS})
            message = error_message(broken, 500, "internal_error")
            assert broken.headers["connection"] == "close"
            assert "/home/secret" not in message and "reference" in message
            health = client.get("/health")  # the client's next request, on a new connection
            assert health.status_code == 200
            assert health.headers.get("connection") != "close"


def test_every_5xx_carries_connection_close(scorer: Any) -> None:
    gated = GatedScorer(scorer)
    with BackgroundServer(gated, ServeConfig(max_queue=1, request_timeout_s=0.3)) as running:
        gated.gate.clear()
        with httpx.Client(base_url=running.url, timeout=30) as client:
            timeout = client.post("/v2/rerank", json={"query": QUERY, "documents": DOCS})
            assert timeout.status_code == 504 and timeout.headers["connection"] == "close"
            assert timeout.headers["x-entailkit-error-type"] == "timeout"
        gated.gate.set()
