"""Third-party clients, unchanged, against a real `entailkit serve` on loopback: the results equal the
in-process Reranker's, and each client's error handling sees its own API's error shape.

Clients: the official Cohere SDK 5 (v1 ``Client`` and ``ClientV2``) and 7 (in a subprocess: the venv holds
5, which langchain-cohere and llama-index's Cohere reranker need), langchain-cohere's ``CohereRerank``,
llama-index's ``CohereRerank`` and ``TextEmbeddingInference`` rerankers, and ``entailkit.Client``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_helpers import GatedScorer, wait_for

from entailkit import Client, Reranker
from entailkit.errors import ServerError
from entailkit.serve import BackgroundServer, ServeConfig

KEY = "clients-key-42"
QUERY = "a man plays music"
DOCS = [
    "a man is playing a guitar on the stage",
    "the dog eats an apple in the kitchen",
    "a woman is reading a book at home",
    "the team wins the match in the stadium",
    "a boy plays the piano for his family",
]
TOL = 1e-6
ROOT = Path(__file__).resolve().parents[2]
COHERE_7 = ROOT / ".cache" / "cohere-sdk-7"


@pytest.fixture(scope="module")
def scorer(load_tiny: Any) -> Any:
    return load_tiny("bert-nli3-cen")


@pytest.fixture(scope="module")
def expected(scorer: Any) -> Any:
    return Reranker(scorer).rerank(QUERY, DOCS)


@pytest.fixture(scope="module")
def server(scorer: Any) -> Iterator[BackgroundServer]:
    config = ServeConfig(api_key=KEY, max_documents=8, max_batch_wait_ms=2, model_name="tiny-nli")
    with BackgroundServer(scorer, config) as running:
        yield running


# -- the official Cohere SDK 5 (v1 and v2) ----------------------------------------------------------


def test_cohere_sdk_v1_and_v2_rerank_equal_the_reranker(server: BackgroundServer, expected: Any) -> None:
    import cohere

    v2 = cohere.ClientV2(api_key=KEY, base_url=server.url).rerank(
        model="tiny-nli", query=QUERY, documents=DOCS, top_n=3
    )
    assert [r.index for r in v2.results] == expected.indices[:3]
    assert [r.relevance_score for r in v2.results] == pytest.approx(expected.scores[:3], abs=TOL)

    v1 = cohere.Client(api_key=KEY, base_url=server.url).rerank(
        model="tiny-nli",
        query=QUERY,
        documents=[{"body": d} for d in DOCS],
        rank_fields=["body"],
        return_documents=True,
    )
    assert [r.index for r in v1.results] == expected.indices
    assert [r.relevance_score for r in v1.results] == pytest.approx(expected.scores, abs=TOL)
    assert [r.document.text for r in v1.results] == [DOCS[i] for i in expected.indices]  # type: ignore[union-attr]


def test_cohere_sdk_errors_carry_the_message(server: BackgroundServer) -> None:
    import cohere
    from cohere.core.api_error import ApiError

    with pytest.raises(ApiError) as bad:
        cohere.ClientV2(api_key=KEY, base_url=server.url).rerank(model="m", query=QUERY, documents=DOCS * 2)
    assert bad.value.status_code == 422
    assert set(bad.value.body) == {"message"} and "limit is 8" in bad.value.body["message"]
    with pytest.raises(ApiError) as unauthorised:
        cohere.ClientV2(api_key="wrong", base_url=server.url).rerank(model="m", query=QUERY, documents=DOCS)
    assert unauthorised.value.status_code == 401 and "API key" in unauthorised.value.body["message"]
    with pytest.raises(ApiError) as no_text:
        cohere.Client(api_key=KEY, base_url=server.url).rerank(model="m", query=QUERY, documents=[{"title": "x"}])
    assert no_text.value.status_code == 422 and "rank_fields" in no_text.value.body["message"]
    assert "text_key" not in no_text.value.body["message"]  # the Python argument means nothing over HTTP


# -- the official Cohere SDK 7, in a subprocess ----------------------------------------------------

_SDK7_SCRIPT = """
import json, sys, cohere
from cohere.core.api_error import ApiError
url, key, query, docs = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
client = cohere.ClientV2(api_key=key, base_url=url)
ranked = client.rerank(model="tiny-nli", query=query, documents=docs, top_n=3)
out = {"version": cohere.__version__, "results": [[r.index, r.relevance_score] for r in ranked.results]}
try:
    client.rerank(model="tiny-nli", query=query, documents=docs * 2)
except ApiError as exc:
    out["error"] = [exc.status_code, exc.body]
print(json.dumps(out))
"""


def test_cohere_sdk_7_reranks_and_reads_errors(server: BackgroundServer, expected: Any) -> None:
    assert (COHERE_7 / "cohere").is_dir(), f"the Cohere SDK 7 is not at {COHERE_7}: run scripts/install.sh"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(COHERE_7), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", _SDK7_SCRIPT, server.url, KEY, QUERY, json.dumps(DOCS)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["version"].startswith("7.")
    assert [i for i, _ in out["results"]] == expected.indices[:3]
    assert [s for _, s in out["results"]] == pytest.approx(expected.scores[:3], abs=TOL)
    status, body = out["error"]
    assert status == 422 and "limit is 8" in body["message"]


# -- langchain-cohere -----------------------------------------------------------------------------


def test_langchain_cohere_rerank_equals_the_reranker(server: BackgroundServer, expected: Any) -> None:
    from langchain_cohere import CohereRerank
    from langchain_core.documents import Document

    reranker = CohereRerank(base_url=server.url, cohere_api_key=KEY, model="tiny-nli", top_n=3)  # type: ignore[arg-type]
    documents = [Document(page_content=d, metadata={"i": i}) for i, d in enumerate(DOCS)]
    out = reranker.compress_documents(documents, QUERY)
    assert [d.metadata["i"] for d in out] == expected.indices[:3]
    assert [d.metadata["relevance_score"] for d in out] == pytest.approx(expected.scores[:3], abs=TOL)
    assert all("relevance_score" not in d.metadata for d in documents)  # langchain-cohere copies; so do we

    wrong = CohereRerank(base_url=server.url, cohere_api_key="wrong", model="tiny-nli")  # type: ignore[arg-type]
    with pytest.raises(Exception, match="401"):
        wrong.compress_documents(documents, QUERY)


# -- llama-index's Cohere and TEI rerankers -------------------------------------------------------


def _nodes() -> list[Any]:
    from llama_index.core.schema import NodeWithScore, TextNode

    return [NodeWithScore(node=TextNode(text=d, id_=f"n{i}"), score=0.0) for i, d in enumerate(DOCS)]


def test_llamaindex_cohere_rerank_equals_the_reranker(server: BackgroundServer, expected: Any) -> None:
    from llama_index.core.schema import QueryBundle
    from llama_index.postprocessor.cohere_rerank import CohereRerank

    reranker = CohereRerank(top_n=3, model="tiny-nli", api_key=KEY, base_url=server.url, max_retries=0)
    out = reranker.postprocess_nodes(_nodes(), QueryBundle(QUERY))
    assert [n.node.node_id for n in out] == [f"n{i}" for i in expected.indices[:3]]
    assert [n.score for n in out] == pytest.approx(expected.scores[:3], abs=TOL)

    wrong = CohereRerank(top_n=3, model="tiny-nli", api_key="wrong", base_url=server.url, max_retries=0)
    with pytest.raises(Exception, match="401"):
        wrong.postprocess_nodes(_nodes(), QueryBundle(QUERY))


def test_llamaindex_tei_rerank_equals_the_reranker(server: BackgroundServer, expected: Any) -> None:
    from llama_index.core.schema import QueryBundle
    from llama_index.postprocessor.tei_rerank import TextEmbeddingInference

    reranker = TextEmbeddingInference(top_n=3, base_url=server.url, auth_token=f"Bearer {KEY}", model_name="tiny-nli")
    out = reranker.postprocess_nodes(_nodes(), QueryBundle(QUERY))
    assert [n.node.node_id for n in out] == [f"n{i}" for i in expected.indices[:3]]
    assert [n.score for n in out] == pytest.approx(expected.scores[:3], abs=TOL)


def test_tei_errors_and_raw_scores_follow_tei(server: BackgroundServer, scorer: Any, expected: Any) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    too_many = httpx.post(f"{server.url}/rerank", json={"query": QUERY, "texts": DOCS * 2}, headers=auth)
    assert too_many.status_code == 422
    assert set(too_many.json()) == {"error", "error_type"} and too_many.json()["error_type"] == "Validation"
    assert too_many.headers["x-entailkit-error-type"] == "too_many_items"
    raw = httpx.post(f"{server.url}/rerank", json={"query": QUERY, "texts": DOCS, "raw_scores": True}, headers=auth)
    scores = [r["score"] for r in raw.json()]
    assert scores == sorted(scores, reverse=True)  # TEI sorts by the score it returns, logits included
    entail = scorer.info.label_map["entailment"]
    logits = {item.index: item.pair.logits[entail] for item in expected}
    assert {r["index"]: r["score"] for r in raw.json()} == pytest.approx(logits, abs=1e-5)


# -- the served model's name, the docs pages offline ------------------------------------------------


def test_responses_name_the_served_model_not_a_path(server: BackgroundServer) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    assert httpx.get(f"{server.url}/health").json()["model"] == "tiny-nli"
    body = httpx.post(f"{server.url}/v1/rerank", json={"query": QUERY, "documents": DOCS}, headers=auth).json()
    assert body.get("model", "tiny-nli") == "tiny-nli" and "/" not in json.dumps(body.get("meta", {}))


def test_docs_pages_load_their_assets_from_the_server(server: BackgroundServer) -> None:
    for page in ("/docs", "/redoc"):
        html = httpx.get(f"{server.url}{page}").text
        assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
        assets = [part.split('"')[0] for part in html.split('"/docs/assets/')[1:]]
        assert assets, html
        for name in assets:  # open without the key, as the pages are
            asset = httpx.get(f"{server.url}/docs/assets/{name}")
            assert asset.status_code == 200 and len(asset.content) > 1000, name
    escape = httpx.get(f"{server.url}/docs/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd")  # open path: files under it only
    assert escape.status_code == 404 and b"root:" not in escape.content
    assert httpx.get(f"{server.url}/docs/assets/nothing.js").status_code == 404


def test_cli_takes_served_model_name() -> None:
    from typer.testing import CliRunner

    from entailkit.cli import app

    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "--served-model-name" in result.output


# -- entailkit.Client retries what the server did not serve ---------------------------------------


def test_client_retries_an_overloaded_call_after_retry_after(load_tiny: Any) -> None:
    gated = GatedScorer(load_tiny("bert-nli3-cen"))
    config = ServeConfig(max_queue=1, max_batch_wait_ms=1, retry_after_s=1)
    with BackgroundServer(gated, config) as server:

        def hold() -> threading.Thread:  # one request held in the model: the only admission slot is taken
            before = gated.calls
            gated.gate.clear()
            body = {"query": QUERY, "documents": DOCS}
            thread = threading.Thread(target=lambda: httpx.post(f"{server.url}/v2/rerank", json=body, timeout=60))
            thread.start()
            wait_for(lambda: gated.calls > before, what="the held request in the model")
            return thread

        holder = hold()
        threading.Timer(0.3, gated.gate.set).start()  # the slot frees while the client waits its Retry-After
        with Client(server.url, max_retries=2) as client:
            result = client.rerank(QUERY, DOCS)
        holder.join(30)
        assert len(result.items) == len(DOCS)
        holder = hold()
        with Client(server.url, max_retries=0) as client, pytest.raises(ServerError) as refused:
            client.rerank(QUERY, DOCS)
        gated.gate.set()
        holder.join(30)
    assert refused.value.status == 503 and refused.value.error_type == "overloaded"
    assert refused.value.retry_after == 1


def test_client_checks_its_retry_options() -> None:
    from entailkit import InvalidInputError

    for bad in ({"max_retries": -1}, {"max_retries": 1.5}, {"backoff_s": -0.1}, {"max_retry_wait_s": "1"}):
        with pytest.raises(InvalidInputError):
            Client("http://127.0.0.1:9", **bad)  # type: ignore[arg-type]
    with Client("http://127.0.0.1:9", max_retries=1, backoff_s=0.0) as client, pytest.raises(httpx.ConnectError):
        client.health()
