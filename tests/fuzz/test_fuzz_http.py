"""Property-based fuzzing of the HTTP API: a real uvicorn server on loopback, one keep-alive client.

Bodies are mostly the right shape with hostile values (lone surrogates escaped in JSON, braces in
templates, wrong types, huge numbers), sometimes any JSON at all or raw bytes. Every reply must be a
client error or a success, never a 500; each reply must be JSON; and the same keep-alive connection
must serve the next request (a server that drops it after an error without ``Connection: close``
breaks the client's next valid request).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fuzzing import CASES, FUZZ, anything, maybe, short_text, text, text_list
from hypothesis import given
from hypothesis import strategies as st

from entailkit.serve import BackgroundServer, ServeConfig

ALLOWED = {200, 400, 404, 405, 408, 413, 415, 422}
ROUTES_YAML = """
fallback: other
routes:
  - name: billing
    description: paying the bill, invoices and refunds
    examples: ["i need a refund"]
  - name: sports
    description: sports, games and matches
"""
documents = st.lists(st.one_of(text, st.fixed_dictionaries({"text": text}), anything), max_size=5)
probability = st.one_of(st.floats(0, 1), anything)
BODIES: dict[str, st.SearchStrategy[Any]] = {
    "/v1/rerank": st.fixed_dictionaries(
        {"query": maybe(text), "documents": maybe(documents)},
        optional={"top_n": anything, "return_documents": anything, "rank_fields": anything, "model": anything},
    ),
    "/v2/rerank": st.fixed_dictionaries(
        {"query": maybe(text), "documents": maybe(documents)},
        optional={"top_n": anything, "first_stage_scores": anything, "max_tokens_per_doc": anything},
    ),
    "/v1/rerank/full": st.fixed_dictionaries(
        {"query": maybe(text), "documents": maybe(documents)}, optional={"top_n": anything, "threshold": probability}
    ),
    "/rerank": st.fixed_dictionaries(
        {"query": maybe(text), "texts": maybe(text_list(5))},
        optional={"raw_scores": anything, "return_text": anything, "truncate": anything},
    ),
    "/v1/check": st.fixed_dictionaries(
        {"answer": maybe(text), "contexts": maybe(text_list(4))},
        optional={"question": maybe(text), "threshold": probability, "aggregate": anything},
    ),
    "/v1/classify": st.fixed_dictionaries(
        {"texts": maybe(text_list(4)), "labels": maybe(st.lists(short_text, max_size=4))},
        optional={
            "multi_label": anything,
            "threshold": probability,
            "hypothesis_template": maybe(
                st.sampled_from(["It is {} {x}.", "It is {}}", "{:{}}", "Braces {{}} then {}"])
            ),
        },
    ),
    "/v1/route": st.fixed_dictionaries({}, optional={"query": maybe(text), "queries": maybe(text_list(3))}),
}


@pytest.fixture(scope="module")
def http(tiny_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    from entailkit import load_scorer

    routes = tmp_path_factory.mktemp("fuzz-serve") / "routes.yaml"
    routes.write_text(ROUTES_YAML, encoding="utf-8")
    scorer = load_scorer(tiny_models["bert-nli3-cen"], max_length=64)
    config = ServeConfig(max_documents=8, max_document_chars=2000, max_batch_wait_ms=1, request_timeout_s=60)
    with (
        BackgroundServer(scorer, config, routes=routes) as server,
        httpx.Client(base_url=server.url, timeout=90) as client,
    ):
        yield client


def _send(http: httpx.Client, target: str, **request: Any) -> httpx.Response:
    CASES[f"HTTP {target}"] += 1
    response = http.post(target, **request)
    assert response.status_code in ALLOWED, f"{target}: {response.status_code} {response.text[:300]}"
    response.json()  # every reply, errors included, is JSON
    return response


@FUZZ
@given(data=st.data())
@pytest.mark.parametrize("endpoint", sorted(BODIES))
def test_endpoint_with_fuzzed_bodies(http: httpx.Client, endpoint: str, data: st.DataObject) -> None:
    body = data.draw(st.one_of(BODIES[endpoint], BODIES[endpoint], BODIES[endpoint], anything), label="body")
    _send(http, endpoint, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})


@FUZZ
@given(raw=st.binary(max_size=300), endpoint=st.sampled_from(sorted(BODIES)))
def test_raw_bytes_bodies(http: httpx.Client, raw: bytes, endpoint: str) -> None:
    _send(http, endpoint, content=raw, headers={"Content-Type": "application/json"})


def test_the_connection_still_serves_after_the_fuzzing(http: httpx.Client) -> None:
    response = http.post("/v1/rerank", json={"query": "music", "documents": ["a guitar", "a dog"]})
    assert response.status_code == 200 and len(response.json()["results"]) == 2
