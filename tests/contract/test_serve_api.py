"""The HTTP server, started for real on a loopback port with a tiny model, called over HTTP with httpx.

Endpoints, response shapes (Cohere v1/v2, Jina, text-embeddings-inference, entailkit's own), parity
with the in-process tasks, auth and the request limits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CONTENT_TYPE_LATEST
from serve_helpers import error_message, metric_samples, metric_value

from entailkit import Client, GroundednessChecker, InvalidInputError, Reranker, ZeroShotClassifier
from entailkit.serve import BackgroundServer, ServeConfig, ServerError
from entailkit.tasks.routing import Router

KEY = "test-key-123"
AUTH = {"Authorization": f"Bearer {KEY}"}
QUERY = "a man plays music"
DOCS = [
    "a man is playing a guitar on the stage",
    "the dog eats an apple in the kitchen",
    "a woman is reading a book at home",
    "the team wins the match in the stadium",
]
ROUTES_YAML = """
fallback: other
routes:
  - name: billing
    description: paying the bill, invoices and refunds
    examples: ["i need a refund"]
  - name: sports
    description: sports, games and matches
"""


@pytest.fixture(scope="module")
def scorer(load_tiny: Any) -> Any:
    return load_tiny("bert-nli3-cen")


@pytest.fixture(scope="module")
def routes_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "routes.yaml"
    path.write_text(ROUTES_YAML, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(scorer: Any, routes_file: Path) -> Iterator[BackgroundServer]:
    config = ServeConfig(api_key=KEY, max_documents=8, max_document_chars=300, max_body_bytes=6000, max_batch_wait_ms=2)
    with BackgroundServer(scorer, config, routes=routes_file) as running:
        yield running


@pytest.fixture(scope="module")
def http(server: BackgroundServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as client:
        yield client


# -- rerank shapes and parity ----------------------------------------------------------------------


def test_cohere_v2_request_and_response_shape(http: httpx.Client, scorer: Any) -> None:
    request = {
        "model": "rerank-v3.5",
        "query": QUERY,
        "documents": DOCS,
        "top_n": 3,
        "return_documents": True,
    }
    response = http.post("/v2/rerank", json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body["id"], str) and body["id"]
    assert body["meta"]["api_version"]["version"] == "2"
    assert body["meta"]["billed_units"]["search_units"] == 1
    results = body["results"]
    assert [set(r) for r in results] == [{"index", "relevance_score", "document"}] * 3
    expected = Reranker(scorer).rerank(QUERY, DOCS)
    assert [r["index"] for r in results] == expected.indices[:3]
    assert [r["relevance_score"] for r in results] == pytest.approx(expected.scores[:3], abs=1e-6)
    assert [r["document"] for r in results] == [{"text": DOCS[i]} for i in expected.indices[:3]]
    scores = [r["relevance_score"] for r in results]
    assert scores == sorted(scores, reverse=True)


def test_cohere_sdk_client_against_server(server: BackgroundServer, scorer: Any) -> None:
    cohere = pytest.importorskip("cohere")
    client = cohere.ClientV2(api_key=KEY, base_url=server.url)
    response = client.rerank(model="rerank-v3.5", query=QUERY, documents=DOCS, top_n=2)
    expected = Reranker(scorer).rerank(QUERY, DOCS)
    assert [r.index for r in response.results] == expected.indices[:2]
    assert [r.relevance_score for r in response.results] == pytest.approx(expected.scores[:2], abs=1e-6)


def test_v1_rerank_object_documents_without_documents_back(http: httpx.Client, scorer: Any) -> None:
    documents = [{"text": d, "id": f"doc-{i}"} for i, d in enumerate(DOCS)]
    body = http.post("/v1/rerank", json={"query": QUERY, "documents": documents}).json()
    assert body["meta"]["api_version"]["version"] == "1"
    assert all(set(r) == {"index", "relevance_score"} for r in body["results"])
    assert len(body["results"]) == len(DOCS)
    expected = Reranker(scorer).rerank(QUERY, DOCS)
    assert [r["index"] for r in body["results"]] == expected.indices
    # Cohere v1 rank_fields: the text lives under another key.
    renamed = [{"body": d} for d in DOCS]
    ranked = http.post("/v1/rerank", json={"query": QUERY, "documents": renamed, "rank_fields": ["body"]}).json()
    assert [r["index"] for r in ranked["results"]] == expected.indices


def test_tei_rerank_shape(http: httpx.Client, scorer: Any) -> None:
    expected = Reranker(scorer).rerank(QUERY, DOCS)
    plain = http.post("/rerank", json={"query": QUERY, "texts": DOCS}).json()
    assert isinstance(plain, list) and all(set(r) == {"index", "score"} for r in plain)
    assert [r["index"] for r in plain] == expected.indices
    assert [r["score"] for r in plain] == pytest.approx(expected.scores, abs=1e-6)
    raw = http.post("/rerank", json={"query": QUERY, "texts": DOCS, "raw_scores": True, "return_text": True}).json()
    entail = scorer.info.label_map["entailment"]
    by_index = {item.index: item for item in expected}
    for r in raw:
        assert r["text"] == DOCS[r["index"]]
        assert r["score"] == pytest.approx(by_index[r["index"]].pair.logits[entail], abs=1e-5)


def test_client_methods_match_in_process_tasks(server: BackgroundServer, scorer: Any, routes_file: Path) -> None:
    with Client(server.url, api_key=KEY, timeout=30) as client:
        health = client.health()
        assert health["status"] == "ok" and health["head"] == "nli3" and health["routes"] == ["billing", "sports"]
        ranked = client.rerank(QUERY, DOCS, top_n=2)
        expected = Reranker(scorer).rerank(QUERY, DOCS, top_n=2)
        assert ranked.indices == expected.indices and ranked.scores == pytest.approx(expected.scores, abs=1e-6)
        assert ranked.hypothesis == expected.hypothesis and ranked.num_documents == 4
        assert ranked.items[0].pair.logits == pytest.approx(expected.items[0].pair.logits, abs=1e-5)

        labels = ["sports", "music", "food"]
        got = client.classify(["the team wins the match", "a man eats bread"], labels, multi_label=True)
        want = ZeroShotClassifier(scorer).classify(
            ["the team wins the match", "a man eats bread"], labels, multi_label=True
        )
        assert [g.labels for g in got] == [w.labels for w in want]
        assert [g.scores for g in got] == [pytest.approx(w.scores, abs=1e-6) for w in want]
        assert [g.predicted for g in got] == [w.predicted for w in want]

        answer, contexts = "A man plays the guitar. The dog sleeps.", ["a man is playing a guitar", "the cat runs"]
        report = client.check(answer, contexts, question="what happens?")
        local = GroundednessChecker(scorer).check(answer, contexts, question="what happens?")
        assert [s.verdict for s in report.sentences] == [s.verdict for s in local.sentences]
        assert [s.score for s in report.sentences] == pytest.approx([s.score for s in local.sentences], abs=1e-6)
        assert report.grounded == local.grounded and report.num_contexts == 2

        router = Router.from_routes_file(routes_file, scorer)
        queries = ["i want my money back for the invoice", "who won the football game", "hello"]
        decisions = client.route_many(queries)
        local_decisions = router.route_many(queries)
        assert [d.route for d in decisions] == [d.route for d in local_decisions]
        assert [d.scores for d in decisions] == [pytest.approx(d.scores, abs=1e-6) for d in local_decisions]
        assert client.route(queries[0]).route == local_decisions[0].route


def test_empty_documents_give_empty_results(http: httpx.Client) -> None:
    body = http.post("/v2/rerank", json={"query": QUERY, "documents": []}).json()
    assert body["results"] == []
    assert http.post("/rerank", json={"query": QUERY, "texts": []}).json() == []


# -- auth --------------------------------------------------------------------------------------------


def test_auth_required_when_key_set(server: BackgroundServer) -> None:
    body = {"query": QUERY, "documents": DOCS}
    missing = httpx.post(f"{server.url}/v2/rerank", json=body)
    error_message(missing, 401, "unauthorized")
    assert missing.headers["www-authenticate"] == "Bearer"
    error_message(httpx.post(f"{server.url}/v2/rerank", json=body, headers={"Authorization": "Bearer wrong"}), 401)
    error_message(httpx.post(f"{server.url}/v2/rerank", json=body, headers={"Authorization": KEY}), 401)
    error_message(httpx.get(f"{server.url}/metrics"), 401)
    assert httpx.get(f"{server.url}/health").status_code == 200  # liveness stays open
    assert httpx.get(f"{server.url}/openapi.json").json()["paths"].keys() >= {"/v1/rerank", "/v2/rerank", "/rerank"}
    with Client(server.url) as anonymous, pytest.raises(ServerError) as caught:
        anonymous.rerank(QUERY, DOCS)
    assert caught.value.status == 401 and caught.value.error_type == "unauthorized"


def test_refuses_public_bind_without_key(scorer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENTAILKIT_API_KEY", raising=False)
    with pytest.raises(InvalidInputError, match="without an API key"):
        BackgroundServer(scorer, ServeConfig(host="0.0.0.0"))
    monkeypatch.setenv("ENTAILKIT_API_KEY", "from-env")
    assert BackgroundServer(scorer, ServeConfig(host="0.0.0.0")).config.api_key == "from-env"


# -- limits and bad input ----------------------------------------------------------------------------


def test_body_too_large_is_413(http: httpx.Client) -> None:
    big = {"query": QUERY, "documents": ["word " * 50] * 40}
    message = error_message(http.post("/v2/rerank", json=big), 413, "payload_too_large")
    assert "6000 bytes" in message

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while reading
        payload = json.dumps(big).encode()
        for i in range(0, len(payload), 1000):
            yield payload[i : i + 1000]

    chunked = http.post("/v2/rerank", content=chunks(), headers={"Content-Type": "application/json"})
    error_message(chunked, 413, "payload_too_large")


def test_too_many_documents_and_too_long_document_are_422(http: httpx.Client) -> None:
    message = error_message(
        http.post("/v2/rerank", json={"query": QUERY, "documents": ["a b"] * 9}), 422, "too_many_items"
    )
    assert "limit is 8" in message
    long_doc = {"query": QUERY, "documents": ["short", "x" * 301]}
    assert "documents[1]" in error_message(http.post("/v2/rerank", json=long_doc), 422, "document_too_long")
    error_message(http.post("/rerank", json={"query": QUERY, "texts": ["x" * 301]}), 422, "document_too_long")
    error_message(http.post("/v1/check", json={"answer": "a", "contexts": ["y" * 301]}), 422, "document_too_long")


def test_bad_json_and_bad_fields(http: httpx.Client) -> None:
    bad = http.post(
        "/v2/rerank", content=b'{"query": "x", "documents": [', headers={"Content-Type": "application/json"}
    )
    error_message(bad, 400, "invalid_json")
    assert "query" in error_message(http.post("/v2/rerank", json={"documents": DOCS}), 422, "invalid_request")
    error_message(http.post("/v2/rerank", json={"query": QUERY, "documents": DOCS, "top_n": 0}), 422, "invalid_request")
    error_message(
        http.post("/v2/rerank", json={"query": QUERY, "documents": [{"title": "no text"}]}), 422, "invalid_request"
    )
    error_message(http.post("/v2/rerank", json={"query": "  ", "documents": DOCS}), 422, "invalid_request")
    error_message(http.post("/v1/route", json={}), 422, "invalid_request")
    error_message(http.post("/v1/classify", json={"texts": ["a"], "labels": []}), 422, "invalid_request")
    error_message(http.get("/v1/nothing-here"), 404, "not_found")
    error_message(http.get("/v2/rerank"), 405)
    with Client(str(http.base_url), api_key=KEY) as client, pytest.raises(InvalidInputError, match="rejected"):
        client.rerank(QUERY, ["x" * 301])


def _samples(http: httpx.Client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    return metric_samples(response.text)


def _delta(before: dict[Any, float], after: dict[Any, float], name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_metrics_count_requests_latency_and_batches(http: httpx.Client, server: BackgroundServer) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    before = _samples(http)
    for _ in range(3):
        assert http.post("/v2/rerank", json={"query": QUERY, "documents": DOCS}).status_code == 200
    assert http.post("/v2/rerank", json={"documents": DOCS}).status_code == 422
    assert httpx.post(f"{server.url}/v2/rerank", json={"query": QUERY, "documents": DOCS}).status_code == 401
    after = _samples(http)
    rerank = {"endpoint": "/v2/rerank"}
    assert _delta(before, after, "entailkit_requests_total", **rerank, status="200") == 3
    assert _delta(before, after, "entailkit_requests_total", **rerank, status="422") == 1
    assert _delta(before, after, "entailkit_requests_total", **rerank, status="401") == 1
    assert _delta(before, after, "entailkit_rejected_total", reason="unauthorized") == 1
    # the latency histogram counts every request, and its +Inf bucket equals its count
    assert _delta(before, after, "entailkit_request_seconds_count", **rerank) == 5
    inf = after[("entailkit_request_seconds_bucket", frozenset({**rerank, "le": "+Inf"}.items()))]
    assert inf == after[("entailkit_request_seconds_count", frozenset(rerank.items()))]
    # 3 scored requests of len(DOCS) pairs each, one model call or more; the 422 and 401 never reach the model
    calls = _delta(before, after, "entailkit_batch_requests_count")
    assert calls >= 1 and _delta(before, after, "entailkit_batch_requests_sum") == 3
    assert _delta(before, after, "entailkit_batch_pairs_count") == calls
    assert _delta(before, after, "entailkit_batch_pairs_sum") == 3 * len(DOCS)
    assert _delta(before, after, "entailkit_batch_seconds_count") == calls
    assert _delta(before, after, "entailkit_estimated_tokens_total", kind="pairs") > 0
    assert after[("entailkit_queue_depth", frozenset())] == 0
    assert after[("entailkit_requests_in_flight", frozenset())] == 0
    families = {f.name: f.type for f in text_string_to_metric_families(http.get("/metrics").text)}
    expected = {
        "entailkit_requests": "counter",
        "entailkit_request_seconds": "histogram",
        "entailkit_batch_pairs": "histogram",
        "entailkit_batch_requests": "histogram",
        "entailkit_batch_seconds": "histogram",
        "entailkit_estimated_tokens": "counter",
        "entailkit_rejected": "counter",
        "entailkit_queue_depth": "gauge",
        "entailkit_requests_in_flight": "gauge",
        "entailkit_open_requests": "gauge",
        "process_resident_memory_bytes": "gauge",
        "python_info": "gauge",
        "python_gc_collections": "counter",
    }
    assert {name: families.get(name) for name in expected} == expected


def test_each_app_counts_on_its_own_registry(scorer: Any) -> None:
    from prometheus_client import REGISTRY

    with BackgroundServer(scorer) as first, BackgroundServer(scorer) as second:
        assert httpx.post(f"{first.url}/v2/rerank", json={"query": QUERY, "documents": DOCS}).status_code == 200
        one, other = (httpx.get(f"{s.url}/metrics").text for s in (first, second))
    assert metric_value(one, "entailkit_requests_total", endpoint="/v2/rerank", status="200") == 1
    assert metric_value(other, "entailkit_requests_total", 0.0, endpoint="/v2/rerank", status="200") == 0
    assert REGISTRY.get_sample_value("entailkit_requests_total", {"endpoint": "/v2/rerank", "status": "200"}) is None


@pytest.mark.real
def test_real_sick_model_server_matches_reranker(sick_model_path: Path) -> None:
    from entailkit import load_scorer

    sick = load_scorer(sick_model_path)
    docs = ["A man is playing a guitar.", "A woman is slicing an onion.", "A man is playing an instrument."]
    with BackgroundServer(sick) as running:
        body = httpx.post(
            f"{running.url}/v2/rerank",
            json={"model": "sick", "query": "a man playing music", "documents": docs, "top_n": 2},
            timeout=60,
        ).json()
        report = Client(running.url).check("A man is playing an instrument.", ["A man is playing a guitar."])
    expected = Reranker(sick).rerank("a man playing music", docs, top_n=2)
    assert [r["index"] for r in body["results"]] == expected.indices
    assert [r["relevance_score"] for r in body["results"]] == pytest.approx(expected.scores, abs=1e-5)
    assert (
        report.grounded
        == GroundednessChecker(sick).check("A man is playing an instrument.", ["A man is playing a guitar."]).grounded
    )
