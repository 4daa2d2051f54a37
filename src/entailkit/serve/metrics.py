"""A tiny thread-safe metrics registry rendered in the Prometheus text exposition format (version 0.0.4).

The server needs a handful of counters, histograms and gauges; this avoids a dependency on
``prometheus_client`` while staying readable by any Prometheus scraper.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence

__all__ = ["LATENCY_BUCKETS", "SIZE_BUCKETS", "Counter", "Gauge", "Histogram", "LabelValues", "ServerMetrics"]

LabelValues = tuple[str, ...]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: Sequence[str], values: Sequence[str], extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Counter:
    """A monotonically increasing count per label set."""

    def __init__(self, name: str, help_text: str, label_names: Sequence[str] = ()) -> None:
        """An empty counter (no series until the first ``inc``).

        Args:
            name: The metric name (e.g. ``entailkit_requests_total``).
            help_text: The ``# HELP`` line.
            label_names: The names of the labels; each series gives one value per name, in this order.
        """
        self.name, self.help, self.label_names = name, help_text, tuple(label_names)
        self._values: dict[LabelValues, float] = {}
        self._lock = threading.Lock()

    def inc(self, *labels: str, amount: float = 1.0) -> None:
        """Add ``amount`` to the series of ``labels`` (made at 0 on first use).

        Args:
            *labels: The label values, one per label name.
            amount: How much to add.
        """
        with self._lock:
            self._values[labels] = self._values.get(labels, 0.0) + amount

    def value(self, *labels: str) -> float:
        """The count of the series of ``labels`` (0.0 when it was never incremented).

        Args:
            *labels: The label values, one per label name.
        """
        with self._lock:
            return self._values.get(labels, 0.0)

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        with self._lock:
            for labels, value in sorted(self._values.items()):
                lines.append(f"{self.name}{_labels(self.label_names, labels)} {_number(value)}")
        return lines


class Histogram:
    """Cumulative buckets, sum and count per label set."""

    def __init__(self, name: str, help_text: str, buckets: Sequence[float], label_names: Sequence[str] = ()) -> None:
        """An empty histogram (no series until the first ``observe``).

        Args:
            name: The metric name (e.g. ``entailkit_request_seconds``).
            help_text: The ``# HELP`` line.
            buckets: The buckets' upper bounds (sorted here); ``+Inf`` is added when rendered.
            label_names: The names of the labels; each series gives one value per name, in this order.
        """
        self.name, self.help, self.label_names = name, help_text, tuple(label_names)
        self.buckets = tuple(sorted(float(b) for b in buckets))
        self._series: dict[LabelValues, tuple[list[int], list[float]]] = {}
        self._lock = threading.Lock()

    def observe(self, value: float, *labels: str) -> None:
        """Count ``value`` in the first bucket that holds it, and add it to the sum of ``labels``' series.

        Args:
            value: The observation (seconds, pairs, ...).
            *labels: The label values, one per label name.
        """
        with self._lock:
            counts, totals = self._series.setdefault(labels, ([0] * (len(self.buckets) + 1), [0.0]))
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    counts[i] += 1
                    break
            else:
                counts[-1] += 1
            totals[0] += value

    def count(self, *labels: str) -> int:
        """The number of observations in the series of ``labels`` (0 when there were none).

        Args:
            *labels: The label values, one per label name.
        """
        with self._lock:
            series = self._series.get(labels)
            return sum(series[0]) if series else 0

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        with self._lock:
            for labels, (counts, totals) in sorted(self._series.items()):
                running = 0
                for bound, count in zip((*self.buckets, math.inf), counts, strict=True):
                    running += count
                    le = f'le="{_number(bound)}"'
                    lines.append(f"{self.name}_bucket{_labels(self.label_names, labels, le)} {running}")
                lines.append(f"{self.name}_sum{_labels(self.label_names, labels)} {_number(totals[0])}")
                lines.append(f"{self.name}_count{_labels(self.label_names, labels)} {running}")
        return lines


class Gauge:
    """A value read when the metrics are rendered (queue depth, requests in flight)."""

    def __init__(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        """A gauge whose value is ``read()`` at each render.

        Args:
            name: The metric name (e.g. ``entailkit_queue_depth``).
            help_text: The ``# HELP`` line.
            read: Called (from the thread that renders) for the current value.
        """
        self.name, self.help, self.read = name, help_text, read

    def render(self) -> list[str]:
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} gauge", f"{self.name} {_number(self.read())}"]


class ServerMetrics:
    """The metrics of one server: requests, latency, batches, queue depth."""

    def __init__(self) -> None:
        self.requests = Counter(
            "entailkit_requests_total", "HTTP requests by endpoint and status code.", ("endpoint", "status")
        )
        self.latency = Histogram(
            "entailkit_request_seconds", "HTTP request latency in seconds by endpoint.", LATENCY_BUCKETS, ("endpoint",)
        )
        self.batch_pairs = Histogram(
            "entailkit_batch_pairs", "Pairs (or text-label pairs) per merged model call.", SIZE_BUCKETS
        )
        self.batch_requests = Histogram(
            "entailkit_batch_requests", "Scorer calls of requests merged into one model call.", SIZE_BUCKETS
        )
        self.batch_seconds = Histogram("entailkit_batch_seconds", "Seconds per merged model call.", LATENCY_BUCKETS)
        self.rejected = Counter("entailkit_rejected_total", "Requests refused before scoring, by reason.", ("reason",))
        self.dropped_pairs = Counter(
            "entailkit_dropped_pairs_total",
            "Pairs never scored because their request timed out, was cancelled, failed or outlived shutdown.",
            ("reason",),
        )
        self.gauges: list[Gauge] = []

    def gauge(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        """Add a gauge, rendered after the counters and histograms.

        Args:
            name: The metric name.
            help_text: The ``# HELP`` line.
            read: Called at each render for the current value.
        """
        self.gauges.append(Gauge(name, help_text, read))

    def render(self) -> str:
        lines: list[str] = []
        for metric in (self.requests, self.latency, self.batch_pairs, self.batch_requests, self.batch_seconds):
            lines.extend(metric.render())
        lines.extend(self.rejected.render())
        lines.extend(self.dropped_pairs.render())
        for gauge in self.gauges:
            lines.extend(gauge.render())
        return "\n".join(lines) + "\n"
