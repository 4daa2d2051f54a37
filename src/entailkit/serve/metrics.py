"""The server's Prometheus metrics, on ``prometheus_client`` with one registry per app.

Each :class:`ServerMetrics` owns a :class:`prometheus_client.CollectorRegistry` (never the global one), so
several apps in one process (tests, a notebook) count apart; the process, platform and garbage-collector
collectors are registered on it too. ``/metrics`` serves :meth:`ServerMetrics.render`
(``generate_latest`` of that registry, :data:`CONTENT_TYPE`).
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

__all__ = ["CONTENT_TYPE", "LATENCY_BUCKETS", "SIZE_BUCKETS", "ServerMetrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
"""The ``Content-Type`` of :meth:`ServerMetrics.render` (the Prometheus text format)."""
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)


class ServerMetrics:
    """The metrics of one server: requests, latency, model calls, tokens, refusals, dropped work, gauges.

    The server's modules record through the methods here (``request``, ``reject``, ``drop``, ``model_call``,
    ``gauge``), so none of them imports ``prometheus_client``; :meth:`value` reads a sample back.
    """

    def __init__(self) -> None:
        """Fresh metrics on a registry of their own, with the process, platform and GC collectors."""
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.requests = Counter(
            "entailkit_requests_total",
            "HTTP requests by endpoint and status code.",
            ("endpoint", "status"),
            registry=reg,
        )
        self.latency = Histogram(
            "entailkit_request_seconds",
            "HTTP request latency in seconds by endpoint.",
            ("endpoint",),
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.batch_pairs = Histogram(
            "entailkit_batch_pairs",
            "Pairs (or text-label pairs) per merged model call.",
            buckets=SIZE_BUCKETS,
            registry=reg,
        )
        self.batch_requests = Histogram(
            "entailkit_batch_requests",
            "Scorer calls of requests merged into one model call.",
            buckets=SIZE_BUCKETS,
            registry=reg,
        )
        self.batch_seconds = Histogram(
            "entailkit_batch_seconds", "Seconds per merged model call.", buckets=LATENCY_BUCKETS, registry=reg
        )
        self.tokens = Counter(
            "entailkit_estimated_tokens_total",
            "Tokens of the texts handed to the model (premises and hypotheses; texts and labels), estimated at "
            "4 characters per token like the request budget, by call kind (pairs, labels).",
            ("kind",),
            registry=reg,
        )
        self.rejected = Counter(
            "entailkit_rejected_total", "Requests refused before scoring, by reason.", ("reason",), registry=reg
        )
        self.dropped_pairs = Counter(
            "entailkit_dropped_pairs_total",
            "Pairs never scored because their request timed out, was cancelled, failed or outlived shutdown.",
            ("reason",),
            registry=reg,
        )
        ProcessCollector(registry=reg)
        PlatformCollector(registry=reg)
        GCCollector(registry=reg)

    def request(self, endpoint: str, status: int, seconds: float) -> None:
        """Count one finished HTTP request and its latency.

        Args:
            endpoint: The served path, or ``"other"``.
            status: The response's status code.
            seconds: From its first byte in to its last byte out.
        """
        self.requests.labels(endpoint=endpoint, status=str(status)).inc()
        self.latency.labels(endpoint=endpoint).observe(seconds)

    def reject(self, reason: str) -> None:
        """Count a request refused before (or instead of) scoring.

        Args:
            reason: Why (``unauthorized``, ``overloaded``, ``too_many_pairs``, ``timeout``, ...).
        """
        self.rejected.labels(reason=reason).inc()

    def drop(self, reason: str, pairs: int) -> None:
        """Count pairs that will never be scored.

        Args:
            reason: ``timeout``, ``cancelled``, ``shutdown`` or ``failed``.
            pairs: How many.
        """
        self.dropped_pairs.labels(reason=reason).inc(pairs)

    def model_call(self, *, seconds: float, requests: int, pairs: int, tokens: int, kind: str) -> None:
        """Count one merged model call.

        Args:
            seconds: How long it took.
            requests: Scorer calls of requests merged into it.
            pairs: Pairs (text-label pairs) in it.
            tokens: Estimated tokens of its texts.
            kind: ``pairs`` or ``labels``.
        """
        self.batch_seconds.observe(seconds)
        self.batch_pairs.observe(pairs)
        self.batch_requests.observe(requests)
        self.tokens.labels(kind=kind).inc(tokens)

    def gauge(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        """Add a gauge whose value is ``read()`` at each scrape (queue depth, requests in flight).

        Args:
            name: The metric name.
            help_text: The ``# HELP`` line.
            read: Called (from the thread that renders) for the current value.
        """
        Gauge(name, help_text, registry=self.registry).set_function(read)

    def value(self, name: str, **labels: str) -> float:
        """The value of the sample ``name`` with ``labels`` (0.0 when it has none yet).

        Args:
            name: A sample name as rendered (``entailkit_requests_total``, ``entailkit_batch_pairs_count``).
            **labels: Its labels, e.g. ``endpoint="/v2/rerank", status="200"``.
        """
        got = self.registry.get_sample_value(name, labels)
        return 0.0 if got is None else float(got)

    def render(self) -> bytes:
        """Every metric of the registry in the Prometheus text format (:data:`CONTENT_TYPE`)."""
        return generate_latest(self.registry)
