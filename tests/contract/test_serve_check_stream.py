"""POST /v1/check/stream: NDJSON verdict lines, each sent as soon as its sentence is scored, then the report."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest
from serve_helpers import GatedScorer, wait_for

from entailkit.serve import BackgroundServer, ServeConfig

ANSWER = "A man plays the guitar. The dog sleeps, e.g. on the sofa. A woman reads a book."
CONTEXTS = ["a man is playing a guitar", "the cat runs", "a woman is reading a book"]


class SecondCallGate(GatedScorer):
    """Scores the first call at once; every later call waits until ``gate`` is set."""

    def score_pairs(self, premises: Sequence[str], hypotheses: Sequence[str], **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls > 1:
            assert self.gate.wait(30), "test gate never opened"
        return self.inner.score_pairs(premises, hypotheses, **kwargs)


@pytest.fixture(scope="module")
def gated(load_tiny: Any) -> SecondCallGate:
    return SecondCallGate(load_tiny("bert-nli3-cen"))


@pytest.fixture(scope="module")
def server(gated: SecondCallGate) -> Iterator[BackgroundServer]:
    with BackgroundServer(gated, ServeConfig(max_batch_wait_ms=1)) as running:
        yield running


def lines(response: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.iter_lines() if line]


def test_stream_lines_equal_the_whole_check(server: BackgroundServer, gated: SecondCallGate) -> None:
    gated.gate.set()
    whole = httpx.post(f"{server.url}/v1/check", json={"answer": ANSWER, "contexts": CONTEXTS}, timeout=30).json()
    chunks = [ANSWER[i : i + 4] for i in range(0, len(ANSWER), 4)]
    for body in ({"answer": ANSWER}, {"chunks": chunks}):
        with httpx.stream(
            "POST", f"{server.url}/v1/check/stream", json={**body, "contexts": CONTEXTS}, timeout=30
        ) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
            got = lines(r)
        assert [g["type"] for g in got] == ["sentence"] * 3 + ["report"]
        sentences = [g["check"] for g in got[:3]]
        for mine, theirs in zip(sentences, whole["sentences"], strict=True):
            assert mine["verdict"] == theirs["verdict"] and mine["span"] == theirs["span"]
            assert mine["score"] == pytest.approx(theirs["score"], abs=1e-5)
        assert "".join(g["text"] for g in got[:3]) == ANSWER
        assert got[-1]["report"]["grounded"] == whole["grounded"]


def test_first_line_arrives_before_the_second_sentence_is_scored(
    server: BackgroundServer, gated: SecondCallGate
) -> None:
    gated.gate.clear()
    gated.calls = 0
    try:
        with httpx.stream(
            "POST", f"{server.url}/v1/check/stream", json={"answer": ANSWER, "contexts": CONTEXTS}, timeout=30
        ) as r:
            stream = r.iter_lines()
            first = json.loads(next(stream))
            assert first["type"] == "sentence" and first["check"]["index"] == 0
            wait_for(lambda: gated.calls == 2, what="the second sentence's model call")
            assert not gated.gate.is_set()  # the first verdict came while the second sentence waits
            threading.Timer(0.05, gated.gate.set).start()
            rest = [json.loads(line) for line in stream if line]
        assert [g["type"] for g in rest] == ["sentence", "sentence", "report"]
    finally:
        gated.gate.set()


def test_stop_policy_and_refusals(server: BackgroundServer, gated: SecondCallGate) -> None:
    gated.gate.set()
    body = {"answer": ANSWER, "contexts": CONTEXTS, "policy": "stop", "threshold": 1.0}  # nothing reaches 1.0
    with httpx.stream("POST", f"{server.url}/v1/check/stream", json=body, timeout=30) as r:
        got = lines(r)
    assert got[0]["action"] == "stopped" and got[0]["text"] == "" and got[-1]["type"] == "report"
    assert len(got) == 2
    for bad in (
        {"contexts": CONTEXTS},
        {"answer": "a", "chunks": ["a"], "contexts": CONTEXTS},
        {"answer": "a", "contexts": CONTEXTS, "policy": "hide"},
        {"chunks": [1], "contexts": CONTEXTS},
    ):
        r = httpx.post(f"{server.url}/v1/check/stream", json=bad, timeout=30)
        assert r.status_code == 422 and r.json()["error"]["type"] == "invalid_request", bad
