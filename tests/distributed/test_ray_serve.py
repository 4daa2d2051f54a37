"""entailkit's HTTP app on a real local Ray Serve instance: 2 replicas of a tiny model answered by the
official Cohere SDK, equal to the single-process server; the guard in the path; a replica killed mid-load.

One Serve application for the module (each replica is a process importing torch: start it once); the
pure option and CLI checks are in tests/contract/test_serve_ray_options.py.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from entailkit.serve import BackgroundServer, ServeConfig

pytestmark = pytest.mark.slow

MODEL = "bert-nli3-cen"
KEY = "ray-serve-key-1"
AUTH = {"Authorization": f"Bearer {KEY}"}
QUERY = "a man plays music"
DOCS = [
    "a man is playing a guitar on the stage",
    "the dog eats an apple in the kitchen",
    "a woman is reading a book at home",
    "the team wins the match in the stadium",
    "a boy plays the piano in a hall",
]
ROUTES = [
    {"name": "billing", "description": "paying the bill, invoices and refunds"},
    {"name": "sports", "description": "sports, games and matches"},
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(port: int = 0) -> ServeConfig:
    return ServeConfig(port=port, api_key=KEY, max_body_bytes=20_000, max_batch_wait_ms=2, graceful_timeout_s=2)


@pytest.fixture(scope="module")
def ray_app(ray_runtime: Any, tiny_models: dict[str, Path]) -> Iterator[Any]:
    """2 replicas of half a CPU each (the session's runtime has 2 CPUs), 1 torch thread each."""
    pytest.importorskip("ray.serve", reason="the 'ray-serve' extra is not installed")
    from entailkit.serve.ray import run_ray_serve

    started = time.monotonic()
    server = run_ray_serve(
        tiny_models[MODEL], _config(_free_port()), routes=ROUTES, replicas=2, cpus_per_replica=0.5,
        health_check_period_s=2.0, name="entailkit-test",
    )  # fmt: skip
    print(f"Ray Serve app up in {time.monotonic() - started:.1f} s: {server.status()}")
    try:
        yield server
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def single(tiny_models: dict[str, Path]) -> Iterator[BackgroundServer]:
    with BackgroundServer(tiny_models[MODEL], _config(), routes=ROUTES) as running:
        yield running


def _same(a: Any, b: Any, where: str = "") -> None:
    """JSON bodies equal, numbers to 1e-6, the response ``id`` aside."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert set(a) - {"id"} == set(b) - {"id"}, where
        for key in set(a) - {"id"}:
            _same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, abs=1e-6), where
    else:
        assert a == b, where


def test_cohere_sdk_against_two_replicas_equals_the_single_process_server(
    ray_app: Any, single: BackgroundServer
) -> None:
    cohere = pytest.importorskip("cohere")
    answers = []
    for url in (ray_app.url, single.url):
        client = cohere.ClientV2(api_key=KEY, base_url=url)
        answers.append(client.rerank(model="rerank-v3.5", query=QUERY, documents=DOCS, top_n=3).results)
    on_ray, alone = answers
    assert [r.index for r in on_ray] == [r.index for r in alone]
    assert [r.relevance_score for r in on_ray] == pytest.approx([r.relevance_score for r in alone], abs=1e-6)


def test_every_endpoint_answers_as_the_single_process_server(ray_app: Any, single: BackgroundServer) -> None:
    requests = [
        ("/v1/rerank", {"query": QUERY, "documents": DOCS, "return_documents": True}),
        ("/rerank", {"query": QUERY, "texts": DOCS, "raw_scores": True}),
        ("/v1/rerank/full", {"query": QUERY, "documents": DOCS, "top_n": 2}),
        ("/v1/check", {"answer": "A man plays a guitar. A dog eats.", "contexts": DOCS[:2]}),
        ("/v1/classify", {"texts": DOCS[:3], "labels": ["music", "food", "sport"]}),
        ("/v1/route", {"queries": ["i want a refund", "who won the match"]}),
    ]
    for path, body in requests:
        on_ray = httpx.post(ray_app.url + path, json=body, headers=AUTH, timeout=60)
        alone = httpx.post(single.url + path, json=body, headers=AUTH, timeout=60)
        assert on_ray.status_code == alone.status_code == 200, (path, on_ray.text)
        _same(on_ray.json(), alone.json(), path)


def test_the_guard_is_in_the_path_and_requests_reach_both_replicas(ray_app: Any) -> None:
    assert httpx.post(ray_app.url + "/v2/rerank", json={"query": QUERY, "documents": DOCS}).status_code == 401
    big = httpx.post(ray_app.url + "/v2/rerank", json={"query": QUERY, "documents": ["x" * 30_000]}, headers=AUTH)
    assert big.status_code == 413 and big.headers["x-entailkit-error-type"] == "payload_too_large"
    health = httpx.get(ray_app.url + "/health")  # no key needed
    assert health.status_code == 200 and health.json()["model"] == MODEL
    from entailkit.serve.ray import REPLICA_HEADER

    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=ray_app.url, headers=AUTH, timeout=60) as http:
            for _ in range(4):
                response = http.post(
                    "/v2/rerank", json={"query": QUERY, "documents": DOCS}, headers={"Connection": "close"}
                )
                assert response.status_code == 200
                with lock:
                    seen[response.headers[REPLICA_HEADER]] += 1

    threads = [threading.Thread(target=client) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    replica_ids = {name.rsplit("#", 1)[-1] for name in ray_app.replicas()}
    assert set(seen) == replica_ids and len(replica_ids) == 2, seen
    metrics = ray_app.replica_metrics()
    assert set(metrics) == replica_ids
    assert all("entailkit_requests_total" in text for text in metrics.values())


def test_a_replica_killed_mid_load_is_replaced_and_no_request_hangs(ray_app: Any, ray_runtime: Any) -> None:
    from entailkit.serve.ray import REPLICA_HEADER

    before = ray_app.replicas()
    assert len(before) == 2 and ray_app.status() == {"RUNNING": 2}
    outcomes: list[tuple[Any, float, str | None]] = []
    failures: list[str] = []
    stop = threading.Event()
    body = {"query": QUERY, "documents": DOCS}

    def client() -> None:
        with httpx.Client(base_url=ray_app.url, headers=AUTH, timeout=60) as http:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    response = http.post("/v2/rerank", json=body)
                    outcome: Any = response.status_code
                    replica = response.headers.get(REPLICA_HEADER)
                    if outcome != 200:
                        failures.append(f"{outcome} {response.headers.get('content-type')}: {response.text[:120]!r}")
                except httpx.HTTPError as exc:  # a transport error is a failure of this test
                    outcome, replica = type(exc).__name__, None
                outcomes.append((outcome, time.monotonic() - started, replica))
                time.sleep(0.05)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(outcomes) < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    victim = before[0]
    ray_runtime.kill(ray_runtime.get_actor(victim, namespace="serve"), no_restart=True)
    killed_at, served_before = time.monotonic(), len(outcomes)

    deadline = killed_at + 180
    while time.monotonic() < deadline:
        now = ray_app.replicas()
        if victim not in now and len(now) == 2 and ray_app.status() == {"RUNNING": 2}:
            break
        time.sleep(0.5)
    replaced_after = time.monotonic() - killed_at
    after = ray_app.replicas()
    new_id = next((name.rsplit("#", 1)[-1] for name in after if name not in before), None)
    deadline = time.monotonic() + 30  # traffic reaches the new replica
    while new_id is not None and time.monotonic() < deadline and not any(o[2] == new_id for o in outcomes):
        time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join(90)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    statuses = Counter(outcome for outcome, _, _ in outcomes)
    print(
        f"replaced in {replaced_after:.1f} s; {served_before} requests before the kill; statuses {dict(statuses)}; {failures[:3]}"
    )
    assert victim not in after and len(after) == 2 and ray_app.status() == {"RUNNING": 2}
    assert set(statuses) <= {200, 500, 502, 503, 504}, statuses  # answered, or a clear 5xx: no transport error
    assert statuses[200] > served_before
    assert max(seconds for _, seconds, _ in outcomes) < 60
    assert any(replica == new_id for _, _, replica in outcomes), "the new replica never answered"
