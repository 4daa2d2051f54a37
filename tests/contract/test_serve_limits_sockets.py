"""Resource control of the HTTP server on a real uvicorn server on loopback, with a gated tiny model.

A request that timed out or whose client went away frees the worker at its next sub-call; a slow body
gets 408 and a closed socket; a connection that sends no headers is closed; requests beyond
``max_connections`` get 503 while /health still answers; shutdown drops the work of a huge request.
Assertions are on order and state (model calls, dropped pairs), never on elapsed time.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

import httpx
import pytest
from serve_helpers import GatedScorer, metric_value, post_in_thread, wait_for

from entailkit.serve import BackgroundServer, ServeConfig

QUERY = "a man plays music"
BIG = {"query": QUERY, "documents": [f"document number {i} about music" for i in range(8)]}
SMALL = {"query": QUERY, "documents": ["a man is playing a guitar"]}


@pytest.fixture(scope="module")
def scorer(load_tiny: Any) -> Any:
    return load_tiny("bert-nli3-enc")


def _metrics(server: BackgroundServer) -> str:
    return httpx.get(f"{server.url}/metrics").text


def _dropped(server: BackgroundServer, reason: str) -> float:
    return metric_value(_metrics(server), "entailkit_dropped_pairs_total", 0.0, reason=reason)


def _rejected(server: BackgroundServer, reason: str) -> float:
    return metric_value(_metrics(server), "entailkit_rejected_total", 0.0, reason=reason)


def _raw(server: BackgroundServer) -> socket.socket:
    assert server.port is not None
    return socket.create_connection(("127.0.0.1", server.port), timeout=30)


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_after_a_timeout_the_worker_drops_the_rest_and_serves_the_next_request(scorer: Any) -> None:
    gated = GatedScorer(scorer)
    config = ServeConfig(max_batch_pairs=2, max_batch_wait_ms=0, request_timeout_s=3)
    with BackgroundServer(gated, config) as server:
        gated.gate.clear()
        results: list[Any] = []
        late = post_in_thread(f"{server.url}/v2/rerank", BIG, results)  # 8 pairs: 4 sub-calls of 2
        wait_for(lambda: gated.calls == 1, what="its first sub-call in the model")
        late.join(30)
        assert results[0].status_code == 504, results[0].text  # while the first sub-call is still in the model
        gated.gate.set()
        wait_for(lambda: _dropped(server, "timeout") == 6, what="the timed-out request's 6 other pairs dropped")
        ok = httpx.post(f"{server.url}/v2/rerank", json=SMALL, timeout=30)
        assert ok.status_code == 200
        assert gated.calls == 2  # one sub-call of the timed-out request, then the next request: nothing else


def test_a_disconnected_client_frees_the_worker(scorer: Any) -> None:
    gated = GatedScorer(scorer)
    config = ServeConfig(max_batch_pairs=2, max_batch_wait_ms=0, request_timeout_s=60)
    with BackgroundServer(gated, config) as server:
        gated.gate.clear()
        body = json.dumps(BIG).encode()
        with _raw(server) as sock:
            head = (
                f"POST /v2/rerank HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
            )
            sock.sendall(head.encode() + b"\r\n\r\n" + body)
            wait_for(lambda: gated.calls == 1, what="its first sub-call in the model")
        # the client is gone: the server notices and cancels the request
        wait_for(lambda: _rejected(server, "cancelled") == 1, what="cancellation")
        gated.gate.set()
        wait_for(lambda: _dropped(server, "cancelled") == 6, what="the cancelled request's 6 other pairs dropped")
        assert httpx.post(f"{server.url}/v2/rerank", json=SMALL, timeout=30).status_code == 200
        assert gated.calls == 2


def test_a_slow_body_gets_408_and_a_closed_socket(scorer: Any) -> None:
    with BackgroundServer(scorer, ServeConfig(body_timeout_s=0.5)) as server, _raw(server) as sock:
        sock.sendall(
            b"POST /v2/rerank HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        )
        sock.sendall(b'{"query": "a ')  # ... and nothing more
        reply = _read_all(sock)  # returns only because the server closes the socket
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), reply
        assert b"connection: close" in head.lower()
        assert b"x-entailkit-error-type: request_timeout" in head.lower() and b"--body-timeout" in body
        assert _rejected(server, "body_timeout") == 1


def test_a_connection_without_headers_is_closed(scorer: Any) -> None:
    with BackgroundServer(scorer, ServeConfig(header_timeout_s=0.3)) as server:
        with _raw(server) as silent:
            assert _read_all(silent) == b""  # closed by the server, nothing sent
        with _raw(server) as slowloris:
            slowloris.sendall(b"POST /v2/rerank HTTP/1.1\r\nHost: x\r\n")  # headers never finished
            assert _read_all(slowloris) == b""
        assert httpx.get(f"{server.url}/health").status_code == 200


def test_requests_beyond_max_connections_get_503_while_health_answers(scorer: Any) -> None:
    with BackgroundServer(scorer, ServeConfig(max_connections=3, body_timeout_s=60)) as server:
        slow = [_raw(server) for _ in range(3)]
        try:
            for sock in slow:
                sock.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
            wait_for(lambda: httpx.get(f"{server.url}/health").json()["open_requests"] == 3, what="3 open requests")
            refused = httpx.post(f"{server.url}/v2/rerank", json=SMALL)
            assert refused.status_code == 503, refused.text
            assert refused.headers["x-entailkit-error-type"] == "overloaded" and "--max-connections" in refused.text
            assert refused.headers["connection"] == "close" and refused.headers["retry-after"] == "1"
            health = httpx.get(f"{server.url}/health")
            assert health.status_code == 200 and health.json()["open_requests"] == 3
            assert httpx.head(f"{server.url}/health").status_code == 200
            assert metric_value(_metrics(server), "entailkit_open_requests") == 3
        finally:
            for sock in slow:
                sock.close()
        wait_for(lambda: httpx.get(f"{server.url}/health").json()["open_requests"] == 0, what="the slow ones gone")
        assert httpx.post(f"{server.url}/v2/rerank", json=SMALL).status_code == 200


def test_a_connection_beyond_the_socket_cap_gets_503_at_once(scorer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from entailkit.serve import connections

    assert connections.socket_budget(ServeConfig(max_connections=2)).max_open == 2 + connections.OPEN_HEADROOM
    monkeypatch.setattr(connections, "OPEN_HEADROOM", 0)  # one open connection at most
    with BackgroundServer(scorer, ServeConfig(max_connections=1)) as server, _raw(server) as first:
        wait_for(lambda: len(server.server.server_state.connections) == 1, what="the first connection")
        with _raw(server) as second:
            assert _read_all(second).startswith(b"HTTP/1.1 503")  # refused before reading anything
        first.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert _read_all(first).startswith(b"HTTP/1.1 200")


def test_shutdown_drops_the_rest_of_a_huge_request(scorer: Any) -> None:
    gated = GatedScorer(scorer)
    config = ServeConfig(max_batch_pairs=2, max_batch_wait_ms=0, request_timeout_s=60, graceful_timeout_s=0.2)
    server = BackgroundServer(gated, config).start()
    gated.gate.clear()
    results: list[Any] = []
    thread = post_in_thread(f"{server.url}/v2/rerank", BIG, results)
    wait_for(lambda: gated.calls == 1, what="the first sub-call in the model")
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    batcher = server.app.app.state.entailkit.batcher
    wait_for(lambda: batcher._shutdown_at is not None, what="the shutdown to begin")
    wait_for(lambda: time.monotonic() > batcher._shutdown_at, what="the grace to pass")
    gated.gate.set()
    thread.join(30)
    stopper.join(30)
    assert not stopper.is_alive()
    assert len(results) == 1 and results[0].status_code == 503, results
    assert results[0].headers["connection"] == "close"
    assert gated.calls == 1  # the other 3 sub-calls were never run


def test_a_request_cancelled_by_the_graceful_timeout_gets_503(scorer: Any) -> None:
    gated = GatedScorer(scorer)
    config = ServeConfig(max_batch_pairs=2, max_batch_wait_ms=0, request_timeout_s=60, graceful_timeout_s=0.1)
    server = BackgroundServer(gated, config).start()
    gated.gate.clear()
    results: list[Any] = []
    thread = post_in_thread(f"{server.url}/v2/rerank", BIG, results)
    wait_for(lambda: gated.calls == 1, what="the first sub-call in the model")
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    # The sub-call never ends while the gate is shut: uvicorn's graceful timeout cancels the request.
    thread.join(30)
    assert len(results) == 1 and results[0].status_code == 503, results
    assert results[0].headers["connection"] == "close" and "shut down" in results[0].text
    gated.gate.set()
    stopper.join(30)
    assert not stopper.is_alive()
    assert gated.calls == 1
