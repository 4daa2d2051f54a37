"""Helpers of the serve tests: a scorer whose model calls wait on a gate (to hold requests in flight)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx


class GatedScorer:
    """Delegates to a real scorer, but ``score_pairs`` / ``score_labels`` wait until the gate is open."""

    def __init__(self, scorer: Any) -> None:
        self.inner = scorer
        self.gate = threading.Event()
        self.gate.set()
        self.calls = 0

    @property
    def info(self) -> Any:
        return self.inner.info

    @property
    def native(self) -> Any:
        return self.inner.native

    def score_pairs(self, premises: Sequence[str], hypotheses: Sequence[str], **kwargs: Any) -> Any:
        self.calls += 1
        assert self.gate.wait(30), "test gate never opened"
        return self.inner.score_pairs(premises, hypotheses, **kwargs)

    def score_labels(self, texts: Sequence[str], labels: Any, **kwargs: Any) -> Any:
        self.calls += 1
        assert self.gate.wait(30), "test gate never opened"
        return self.inner.score_labels(texts, labels, **kwargs)

    def window_spans(self, text: str, hypothesis: str = "") -> Any:
        return self.inner.window_spans(text, hypothesis)

    def count_tokens(self, texts: Sequence[str]) -> Any:
        return self.inner.count_tokens(texts)


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def post_in_thread(
    url: str, body: dict[str, Any], results: list[Any], headers: dict[str, str] | None = None
) -> threading.Thread:
    """POST in a background thread; the response (or exception) is appended to ``results``."""

    def run() -> None:
        try:
            results.append(httpx.post(url, json=body, headers=headers or {}, timeout=60))
        except Exception as exc:  # pragma: no cover - reported by the test
            results.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def metric_samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of Prometheus text, parsed by ``prometheus_client``: (name, labels) -> value."""
    from prometheus_client.parser import text_string_to_metric_families

    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def metric_value(text: str, name: str, default: float | None = None, **labels: str) -> float:
    """The value of the sample ``name`` with exactly ``labels`` in Prometheus text (parsed, not matched).

    Args:
        text: What ``/metrics`` answered.
        name: The sample's name (``entailkit_requests_total``, ``entailkit_batch_pairs_count``, ...).
        default: What a missing sample is worth; None: a missing sample fails the test.
        **labels: The sample's labels.
    """
    value = metric_samples(text).get((name, frozenset(labels.items())))
    if value is None:
        if default is None:
            raise AssertionError(f"{name}{labels} not in metrics")
        return default
    return value


def error_message(response: httpx.Response, status: int, error_type: str | None = None) -> str:
    """The message of an error response, checked to be in the shape of its API (Cohere, TEI or entailkit)."""
    assert response.status_code == status, response.text
    body, path = response.json(), response.request.url.path
    kind = response.headers["x-entailkit-error-type"]
    if path in ("/v1/rerank", "/v2/rerank"):  # Cohere's shape
        assert set(body) == {"message"}, body
        message = body["message"]
    elif path == "/rerank":  # text-embeddings-inference's shape
        assert set(body) == {"error", "error_type"}, body
        assert body["error_type"] in {"Unhealthy", "Backend", "Overloaded", "Validation", "Tokenizer", "Empty"}
        message = body["error"]
    else:
        assert set(body) == {"error"} and set(body["error"]) == {"type", "message"}, body
        assert body["error"]["type"] == kind
        message = body["error"]["message"]
    if error_type is not None:
        assert kind == error_type, (kind, body)
    assert isinstance(message, str) and message
    return message
