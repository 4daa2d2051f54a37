"""The server under pressure: merged batches, bounded queue (503 + Retry-After), request timeout (504),
graceful shutdown, and the ``entailkit serve`` command in a subprocess. Real server on loopback; a gate
in front of the tiny model holds requests in flight deterministically."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_helpers import GatedScorer, metric_value, post_in_thread, wait_for
from typer.testing import CliRunner

from entailkit import Reranker
from entailkit.serve import BackgroundServer, ServeConfig

QUERY = "a man plays music"
DOCS = ["a man is playing a guitar", "the dog eats an apple", "a woman reads a book"]
BODY = {"query": QUERY, "documents": DOCS}


@pytest.fixture(scope="module")
def scorer(load_tiny: Any) -> Any:
    return load_tiny("bert-nli3-enc")


def _health(server: BackgroundServer) -> dict[str, Any]:
    return httpx.get(f"{server.url}/health").json()  # type: ignore[no-any-return]


def test_queued_requests_merge_and_full_queue_answers_503(scorer: Any) -> None:
    gated = GatedScorer(scorer)
    config = ServeConfig(max_queue=6, max_batch_wait_ms=1, request_timeout_s=30, retry_after_s=3)
    with BackgroundServer(gated, config) as server:
        gated.gate.clear()
        results: list[Any] = []
        first = post_in_thread(f"{server.url}/v2/rerank", BODY, results)
        wait_for(lambda: gated.calls == 1, what="the first batch to reach the model")
        threads = [post_in_thread(f"{server.url}/v2/rerank", BODY, results) for _ in range(5)]
        wait_for(lambda: _health(server)["queue_depth"] == 5, what="5 queued requests")
        assert _health(server)["in_flight"] == 6

        refused = httpx.post(f"{server.url}/v2/rerank", json=BODY)
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"] == "3"
        assert refused.headers["x-entailkit-error-type"] == "overloaded"

        gated.gate.set()
        for thread in [first, *threads]:
            thread.join(30)
        assert [r.status_code for r in results] == [200] * 6
        expected = Reranker(scorer).rerank(QUERY, DOCS)
        for response in results:
            got = response.json()["results"]
            assert [r["index"] for r in got] == expected.indices
            assert [r["relevance_score"] for r in got] == pytest.approx(expected.scores, abs=1e-6)
        # 6 requests, 2 model calls: the 5 queued ones were merged into one batch of 15 pairs.
        assert gated.calls == 2
        metrics = httpx.get(f"{server.url}/metrics").text
        assert metric_value(metrics, "entailkit_batch_requests_count") == 2
        assert metric_value(metrics, "entailkit_batch_requests_sum") == 6
        assert metric_value(metrics, "entailkit_batch_pairs_sum") == 18
        assert metric_value(metrics, "entailkit_rejected_total", reason="overloaded") == 1
        assert metric_value(metrics, "entailkit_requests_total", endpoint="/v2/rerank", status="503") == 1
        assert metric_value(metrics, "entailkit_requests_total", endpoint="/v2/rerank", status="200") == 6
        assert metric_value(metrics, "entailkit_request_seconds_count", endpoint="/v2/rerank") == 7
        assert metric_value(metrics, "entailkit_estimated_tokens_total", kind="pairs") > 0
        assert _health(server)["in_flight"] == 0


def test_request_timeout_answers_504_and_server_recovers(scorer: Any) -> None:
    gated = GatedScorer(scorer)
    with BackgroundServer(gated, ServeConfig(request_timeout_s=0.5)) as server:
        gated.gate.clear()
        late = httpx.post(f"{server.url}/v1/classify", json={"texts": ["a b"], "labels": ["x", "y"]}, timeout=30)
        assert late.status_code == 504, late.text
        assert late.headers["x-entailkit-error-type"] == "timeout"
        gated.gate.set()
        wait_for(lambda: _health(server)["queue_depth"] == 0, what="the queue to drain")
        assert httpx.post(f"{server.url}/v2/rerank", json=BODY).status_code == 200


def test_graceful_shutdown_finishes_requests_in_flight(scorer: Any) -> None:
    gated = GatedScorer(scorer)
    server = BackgroundServer(gated, ServeConfig(request_timeout_s=30)).start()
    gated.gate.clear()
    results: list[Any] = []
    thread = post_in_thread(f"{server.url}/v2/rerank", BODY, results)
    wait_for(lambda: gated.calls == 1, what="the request to reach the model")
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    wait_for(lambda: server.server.should_exit, what="shutdown to begin")
    # uvicorn closes its listening socket on its next tick after should_exit: from then on, no new connections
    wait_for(lambda: _refuses_connections(f"{server.url}/health"), what="the server to stop accepting connections")
    assert gated.calls == 1 and not results  # the request in flight is still waiting on the model
    gated.gate.set()
    thread.join(30)
    stopper.join(30)
    assert not stopper.is_alive()
    assert len(results) == 1 and results[0].status_code == 200, results
    assert len(results[0].json()["results"]) == len(DOCS)


def test_cli_refuses_public_host_without_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from entailkit.cli import app

    monkeypatch.delenv("ENTAILKIT_API_KEY", raising=False)
    result = CliRunner().invoke(app, ["serve", "--model", "does-not-matter", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "without an API key" in result.output


@pytest.mark.slow
def test_cli_serve_subprocess_serves_and_stops_on_sigterm(tiny_models: dict[str, Path]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "ENTAILKIT_API_KEY": "k"}
    command = [sys.executable, "-m", "entailkit.cli", "serve", "--model", str(tiny_models["bert-rel1"])]
    command += ["--port", str(port), "--log-level", "info", "--max-queue", "4"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"server exited: {process.stdout.read() if process.stdout else ''}")
            try:
                return httpx.get(f"{url}/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, timeout=90, what="entailkit serve to start")
        assert httpx.get(f"{url}/health").json()["head"] == "relevance"
        assert httpx.post(f"{url}/v2/rerank", json=BODY).status_code == 401  # key from the environment
        ok = httpx.post(f"{url}/v2/rerank", json=BODY, headers={"Authorization": "Bearer k"}, timeout=30)
        assert ok.status_code == 200 and len(ok.json()["results"]) == 3
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    # uvicorn re-raises the captured SIGTERM after its graceful shutdown (lifespan done, batcher drained).
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output


def _refuses_connections(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.TransportError:
        return True
    return False
