"""The micro-batcher and metrics registry of the server, on the FakeScorer (no torch, no HTTP)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from entailkit.errors import InvalidInputError
from entailkit.serve.batcher import BatchingScorer, MicroBatcher, Overloaded, RequestTimeout, request_deadline
from entailkit.serve.metrics import Histogram, ServerMetrics
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
    assert batcher.metrics.batch_requests.count() == 2


def test_a_failing_job_does_not_fail_the_jobs_merged_with_it(fake: GatedFake, batcher: MicroBatcher) -> None:
    scorer = BatchingScorer(batcher)
    long_hypothesis = " ".join(["word"] * 100)  # the fake has no room for it: InvalidInputError
    fake.gate.clear()
    blocker = _in_threads(batcher, [lambda: scorer.score_pairs(["x"], ["y"])])
    _wait(lambda: fake.entered == 1)
    threads, out = _in_threads(
        batcher,
        [lambda: scorer.score_pairs(["a guitar"], ["This text is about music."]), lambda: scorer.score_pairs(["z"], [long_hypothesis])],
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


def test_histogram_is_cumulative_and_metrics_render() -> None:
    h = Histogram("h", "help", [1, 10])
    for value in (0.5, 5, 5, 50):
        h.observe(value)
    lines = h.render()
    assert 'h_bucket{le="1"} 1' in lines and 'h_bucket{le="10"} 3' in lines and 'h_bucket{le="+Inf"} 4' in lines
    assert "h_count 4" in lines and "h_sum 60.5" in lines
    metrics = ServerMetrics()
    metrics.requests.inc('/a"b', "200")
    metrics.gauge("depth", "queue", lambda: 3)
    text = metrics.render()
    assert 'entailkit_requests_total{endpoint="/a\\"b",status="200"} 1' in text
    assert "# TYPE depth gauge\ndepth 3" in text
