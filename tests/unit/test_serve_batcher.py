"""The micro-batcher and metrics registry of the server, on the FakeScorer (no torch, no HTTP)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from entailkit.batching.batcher import MicroBatcher
from entailkit.batching.jobs import CancelToken, request_context, request_deadline
from entailkit.batching.scoring import BatchingScorer
from entailkit.batching.work import estimated_windows, label_pairs
from entailkit.errors import BatcherClosed, InvalidInputError, Overloaded, RequestCancelled, RequestTimeout
from entailkit.serve.logs import RateLimitFilter, install_rate_limit
from entailkit.serve.metrics import ServerMetrics
from entailkit.tasks.rerank import Reranker
from fakes import FakeScorer


class GatedFake(FakeScorer):
    """FakeScorer whose scoring calls wait for ``gate``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = threading.Event()
        self.gate.set()
        self.entered = 0

    def score_pairs(self, premises: Sequence[str], hypotheses: Sequence[str], **kwargs: Any) -> Any:
        self.entered += 1
        assert self.gate.wait(10)
        return super().score_pairs(premises, hypotheses, **kwargs)

    def score_labels(self, texts: Sequence[str], labels: Any, **kwargs: Any) -> Any:
        self.entered += 1
        assert self.gate.wait(10)
        return super().score_labels(texts, labels, **kwargs)


TABLE = {("guitar", "This text is about music."): 0.9, ("dog", "This text is about music."): 0.2}


@pytest.fixture
def fake() -> GatedFake:
    return GatedFake(table=TABLE)


@pytest.fixture
def batcher(fake: GatedFake) -> Iterator[MicroBatcher]:
    metrics = ServerMetrics()
    b = MicroBatcher(fake, max_wait_ms=1, max_batch_pairs=100, max_queue=8, metrics=metrics)
    b.start()
    yield b
    fake.gate.set()
    b.close()


def _in_threads(batcher: MicroBatcher, functions: list[Any]) -> list[Any]:
    """Run each function in its own admitted 'request' thread; results (or exceptions) in order."""
    out: list[Any] = [None] * len(functions)

    def run(i: int) -> None:
        with batcher.admit():
            try:
                out[i] = functions[i]()
            except Exception as exc:
                out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(functions))]
    for t in threads:
        t.start()
    return [threads, out]


def _wait(condition: Any) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_queued_calls_merge_into_one_scorer_call_with_the_same_results(fake: GatedFake, batcher: MicroBatcher) -> None:
    scorer = BatchingScorer(batcher)
    reranker = Reranker(scorer)
    docs = [["a guitar here", "a dog there"], ["the dog", "guitar music"], ["nothing"]]
    fake.gate.clear()
    blocker = _in_threads(batcher, [lambda: reranker.rerank("music", ["first"])])
    _wait(lambda: fake.entered == 1)
    threads, out = _in_threads(batcher, [lambda d=d: reranker.rerank("music", d) for d in docs])
    _wait(lambda: batcher.depth == 3)
    fake.gate.set()
    for t in [*blocker[0], *threads]:
        t.join(10)
    pair_calls = [c for c in fake.calls if c.method == "score_pairs"]
    assert [len(c.premises) for c in pair_calls] == [1, 5]  # the 3 queued requests in one call
    local = Reranker(FakeScorer(table=TABLE))
    for d, got in zip(docs, out, strict=True):
        want = local.rerank("music", d)
        assert got.indices == want.indices and got.scores == want.scores
    assert batcher.metrics is not None
    assert batcher.metrics.value("entailkit_batch_requests_count") == 2


def test_a_failing_job_does_not_fail_the_jobs_merged_with_it(fake: GatedFake, batcher: MicroBatcher) -> None:
    scorer = BatchingScorer(batcher)
    long_hypothesis = " ".join(["word"] * 100)  # the fake has no room for it: InvalidInputError
    fake.gate.clear()
    blocker = _in_threads(batcher, [lambda: scorer.score_pairs(["x"], ["y"])])
    _wait(lambda: fake.entered == 1)
    threads, out = _in_threads(
        batcher,
        [
            lambda: scorer.score_pairs(["a guitar"], ["This text is about music."]),
            lambda: scorer.score_pairs(["z"], [long_hypothesis]),
        ],
    )
    _wait(lambda: batcher.depth == 2)
    fake.gate.set()
    for t in [*blocker[0], *threads]:
        t.join(10)
    assert out[0].scores == pytest.approx([0.9])
    assert isinstance(out[1], InvalidInputError)


def test_label_calls_merge_shared_and_per_text_labels(fake: GatedFake, batcher: MicroBatcher) -> None:
    scorer = BatchingScorer(batcher)
    fake.gate.clear()
    blocker = _in_threads(batcher, [lambda: scorer.score_labels(["x"], ["a"])])
    _wait(lambda: fake.entered == 1)
    threads, out = _in_threads(
        batcher,
        [
            lambda: scorer.score_labels(["a guitar", "a dog"], ["music", "pets"]),
            lambda: scorer.score_labels(["the dog"], [["pets", "music", "food"]]),
        ],
    )
    _wait(lambda: batcher.depth == 2)
    fake.gate.set()
    for t in [*blocker[0], *threads]:
        t.join(10)
    assert [c.method for c in fake.calls] == ["score_labels", "score_labels"]
    reference = FakeScorer(table=TABLE)
    assert out[0] == reference.score_labels(["a guitar", "a dog"], ["music", "pets"])
    assert out[1] == reference.score_labels(["the dog"], [["pets", "music", "food"]])


def test_deadline_and_admission_limit(fake: GatedFake, batcher: MicroBatcher) -> None:
    scorer = BatchingScorer(batcher)
    fake.gate.clear()
    with batcher.admit(), request_deadline(0.05), pytest.raises(RequestTimeout):
        scorer.score_pairs(["a"], ["b"])
    slots = [batcher.admit() for _ in range(8)]
    for slot in slots:
        slot.__enter__()
    with pytest.raises(Overloaded, match="8 queued requests"), batcher.admit():
        pass
    for slot in slots:
        slot.__exit__(None, None, None)
    assert batcher.admitted == 0
    fake.gate.set()
    assert scorer.count_tokens(["two words"]) == [2]
    assert scorer.score_pairs([], []).items == ()


def test_metrics_render_prometheus_text_on_their_own_registry() -> None:
    from prometheus_client.parser import text_string_to_metric_families

    metrics = ServerMetrics()
    for seconds in (0.004, 0.2, 0.2, 50.0):
        metrics.request('/a"b', 200, seconds)
    metrics.model_call(seconds=0.1, requests=3, pairs=12, tokens=40, kind="pairs")
    metrics.reject("unauthorized")
    metrics.drop("timeout", 6)
    metrics.gauge("depth", "queue", lambda: 3)
    families = {f.name: f for f in text_string_to_metric_families(metrics.render().decode())}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    endpoint = (("endpoint", '/a"b'),)
    assert samples[("entailkit_requests_total", (*endpoint, ("status", "200")))] == 4
    assert samples[("entailkit_request_seconds_count", endpoint)] == 4
    assert samples[("entailkit_request_seconds_sum", endpoint)] == pytest.approx(50.404)
    buckets = {dict(k[1])["le"]: v for k, v in samples.items() if k[0] == "entailkit_request_seconds_bucket"}
    assert buckets["0.005"] == 1 and buckets["0.25"] == 3 and buckets["30.0"] == 3 and buckets["+Inf"] == 4
    assert samples[("entailkit_batch_requests_sum", ())] == 3 and samples[("entailkit_batch_pairs_sum", ())] == 12
    assert samples[("entailkit_estimated_tokens_total", (("kind", "pairs"),))] == 40
    assert samples[("entailkit_rejected_total", (("reason", "unauthorized"),))] == 1
    assert metrics.value("entailkit_dropped_pairs_total", reason="timeout") == 6
    assert families["depth"].type == "gauge" and samples[("depth", ())] == 3
    assert "process_cpu_seconds" in families and "python_info" in families
    assert ServerMetrics().value("entailkit_requests_total", endpoint='/a"b', status="200") == 0.0  # its own registry


# -- bounded sub-calls, round robin, cancellation, shutdown ------------------------------------------


def _small_batcher(fake: GatedFake, **kwargs: Any) -> MicroBatcher:
    options: dict[str, Any] = {"max_wait_ms": 0, "max_batch_pairs": 2, "max_queue": 8, "metrics": ServerMetrics()}
    options.update(kwargs)
    b = MicroBatcher(fake, **options)
    b.start()
    return b


def _pair_calls(fake: GatedFake) -> list[list[str]]:
    return [c.premises for c in fake.calls if c.method == "score_pairs"]


def test_a_big_job_is_cut_into_sub_calls_with_the_same_results(fake: GatedFake) -> None:
    batcher = _small_batcher(fake)
    try:
        docs = ["a guitar", "a dog", "guitar solo", "dog food", "nothing"]
        threads, out = _in_threads(batcher, [lambda: Reranker(BatchingScorer(batcher)).rerank("music", docs)])
        threads[0].join(10)
        assert [len(p) for p in _pair_calls(fake)] == [2, 2, 1]  # 5 pairs in sub-calls of max_batch_pairs=2
        want = Reranker(FakeScorer(table=TABLE)).rerank("music", docs)
        assert out[0].indices == want.indices and out[0].scores == want.scores
        assert [item.pair for item in out[0].items] == [item.pair for item in want.items]
    finally:
        batcher.close()


def test_label_jobs_are_cut_between_texts_never_inside_one(fake: GatedFake) -> None:
    batcher = _small_batcher(fake)
    try:
        scorer = BatchingScorer(batcher)
        texts = ["a guitar", "a dog", "guitar and dog"]
        with batcher.admit():
            got = scorer.score_labels(texts, ["music", "pets", "food"])
        label_calls = [c for c in fake.calls if c.method == "score_labels"]
        assert [c.premises for c in label_calls] == [[t] for t in texts]  # 3 labels each: one text per call
        assert got == FakeScorer(table=TABLE).score_labels(texts, ["music", "pets", "food"])
    finally:
        batcher.close()


def test_a_small_job_is_served_between_the_sub_calls_of_a_big_one(fake: GatedFake) -> None:
    batcher = _small_batcher(fake)
    try:
        scorer = BatchingScorer(batcher)
        fake.gate.clear()
        big = _in_threads(batcher, [lambda: scorer.score_pairs([f"big {i}" for i in range(6)], ["h"] * 6)])
        _wait(lambda: fake.entered == 1)  # the first sub-call of the big job is in the model
        small = _in_threads(batcher, [lambda: scorer.score_pairs(["small"], ["h"])])
        _wait(lambda: batcher.depth == 1)
        fake.gate.set()
        for t in [*big[0], *small[0]]:
            t.join(10)
        # round robin: the small job goes right after the big job's first sub-call (its free room takes big 2)
        assert _pair_calls(fake) == [["big 0", "big 1"], ["small", "big 2"], ["big 3", "big 4"], ["big 5"]]
        assert len(big[1][0]) == 6 and len(small[1][0]) == 1
    finally:
        batcher.close()


def test_a_timed_out_job_drops_its_remaining_sub_calls(fake: GatedFake) -> None:
    batcher = _small_batcher(fake)
    try:
        scorer = BatchingScorer(batcher)
        fake.gate.clear()
        out: list[Any] = []

        def timed() -> None:
            with batcher.admit(), request_deadline(2.0):
                try:
                    scorer.score_pairs([f"p{i}" for i in range(8)], ["h"] * 8)
                except RequestTimeout as exc:
                    out.append(exc)

        thread = threading.Thread(target=timed)
        thread.start()
        _wait(lambda: fake.entered == 1)
        thread.join(10)
        assert isinstance(out[0], RequestTimeout)
        assert fake.entered == 1  # the first sub-call is still in the model
        fake.gate.set()
        assert batcher.metrics is not None
        _wait(lambda: batcher.metrics.value("entailkit_dropped_pairs_total", reason="timeout") == 6)  # type: ignore[union-attr]
        with batcher.admit():
            assert len(scorer.score_pairs(["next"], ["h"])) == 1
        # 1 sub-call of the timed-out job, then the next request: its other 3 sub-calls never ran
        assert _pair_calls(fake) == [["p0", "p1"], ["next"]]
        assert (
            batcher.metrics is not None
            and batcher.metrics.value("entailkit_dropped_pairs_total", reason="timeout") == 6
        )
    finally:
        batcher.close()


def test_a_cancelled_request_frees_the_worker_at_the_next_sub_call(fake: GatedFake) -> None:
    batcher = _small_batcher(fake)
    try:
        scorer = BatchingScorer(batcher)
        token = CancelToken()
        fake.gate.clear()
        out: list[Any] = []

        def cancellable() -> None:
            with batcher.admit(), request_context(None, token):
                try:
                    scorer.score_pairs([f"p{i}" for i in range(8)], ["h"] * 8)
                except RequestCancelled as exc:
                    out.append(exc)

        thread = threading.Thread(target=cancellable)
        thread.start()
        _wait(lambda: fake.entered == 1)
        token.cancel("the client disconnected")
        thread.join(10)
        assert isinstance(out[0], RequestCancelled) and "disconnected" in str(out[0])
        fake.gate.set()
        assert batcher.metrics is not None
        _wait(lambda: batcher.metrics.value("entailkit_dropped_pairs_total", reason="cancelled") == 6)  # type: ignore[union-attr]
        assert _pair_calls(fake) == [["p0", "p1"]]
        assert (
            batcher.metrics is not None
            and batcher.metrics.value("entailkit_dropped_pairs_total", reason="cancelled") == 6
        )
        with pytest.raises(RequestCancelled), batcher.admit(), request_context(None, token):
            scorer.count_tokens(["later calls of a cancelled request fail at once"])
    finally:
        batcher.close()


def test_shutdown_grace_drops_work_left_and_refuses_new_requests(fake: GatedFake) -> None:
    batcher = _small_batcher(fake)
    try:
        scorer = BatchingScorer(batcher)
        fake.gate.clear()
        threads, out = _in_threads(batcher, [lambda: scorer.score_pairs([f"p{i}" for i in range(8)], ["h"] * 8)])
        _wait(lambda: fake.entered == 1)
        batcher.begin_shutdown(0.0)
        with pytest.raises(BatcherClosed), batcher.admit():
            pass
        fake.gate.set()
        threads[0].join(10)
        assert isinstance(out[0], BatcherClosed)
        assert _pair_calls(fake) == [["p0", "p1"]]
        assert (
            batcher.metrics is not None
            and batcher.metrics.value("entailkit_dropped_pairs_total", reason="shutdown") == 6
        )
    finally:
        batcher.close()


def test_long_texts_weigh_their_windows() -> None:
    assert estimated_windows(40, 128) == 1
    assert estimated_windows(4 * 125, 128) == 1  # 125 tokens fit a window of 128 - 3
    assert estimated_windows(4 * 126, 128) == 2
    many = estimated_windows(50_000, 512, 40)
    assert 30 <= many <= 40  # 12,500 tokens in windows of ~499 tokens, 25 % overlap
    assert estimated_windows(4000, 128, hypothesis_chars=10_000) > estimated_windows(4000, 128)  # long hypothesis
    # a pair model scores one pair per label; a single-pass model (GLiClass) one pass per window
    assert label_pairs(40, [10] * 100, 512, single_pass=False) == 100
    assert label_pairs(40, [10] * 100, 512, single_pass=True) < 10
    assert label_pairs(40, [], 512, single_pass=False) == 0


def test_rate_limit_filter_keeps_one_line_per_kind_and_counts_the_rest() -> None:
    limiter = RateLimitFilter(interval_s=3600)
    records = [
        logging.LogRecord("x", logging.ERROR, __file__, 1, "accept failed: %s", ("EMFILE",), None) for _ in range(5)
    ]
    assert [limiter.filter(r) for r in records] == [True, False, False, False, False]
    assert limiter.suppressed() == 4
    info = logging.LogRecord("x", logging.INFO, __file__, 1, "accept failed: %s", ("EMFILE",), None)
    assert limiter.filter(info)  # INFO is never held back
    limiter.interval_s = 0.0001
    time.sleep(0.001)
    again = logging.LogRecord("x", logging.ERROR, __file__, 1, "accept failed: %s", ("EMFILE",), None)
    assert limiter.filter(again) and "4 more like this" in again.getMessage()


def test_suppressed_lines_are_reported_when_the_filter_is_removed(caplog: pytest.LogCaptureFixture) -> None:
    remove = install_rate_limit(3600, names=["entailkit.test.flood"])
    flood = logging.getLogger("entailkit.test.flood")
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            flood.warning("connection refused")
        remove()
    assert [r.getMessage() for r in caplog.records if r.name == "entailkit.test.flood"] == ["connection refused"]
    assert any("4 more 'connection refused' lines" in r.getMessage() for r in caplog.records)
