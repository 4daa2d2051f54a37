"""The tasks' async methods: the sync results, merged model calls, cancellation, the queue bound, a free loop."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from entailkit import (
    GroundednessChecker,
    Overloaded,
    Reranker,
    Router,
    ZeroShotClassifier,
    configure_batching,
    load_scorer,
)
from entailkit.batching import BatchStats, close_shared_batchers, shared_batcher
from entailkit.batching import shared as shared_module
from entailkit.batching.heartbeat import heartbeat
from entailkit.batching.shared import BatchingOptions, batching_options
from fakes import FakeScorer

DOCS = ["The guitar has six strings.", "Dogs bark at night.", "A piano is an instrument.", "Tax is due in April."]
ANSWER = "The guitar has six strings. Dogs never bark."
ROUTES = [{"name": "music", "description": "music"}, {"name": "pets", "description": "animals and pets"}]


@pytest.fixture(autouse=True)
def fresh_batchers() -> Iterator[None]:
    """Every test starts and ends with no shared batcher and the default options."""
    defaults = BatchingOptions()
    close_shared_batchers()
    yield
    close_shared_batchers()
    configure_batching(
        max_batch_wait_ms=defaults.max_batch_wait_ms,
        max_batch_pairs=defaults.max_batch_pairs,
        max_queue=defaults.max_queue,
    )


@pytest.fixture(scope="module")
def scorer(tiny_models: dict[str, Path]) -> Any:
    return load_scorer(tiny_models["bert-nli3-cen"])


def assert_close(got: Any, want: Any, path: str = "result") -> None:
    """Equal, floats within 1e-6 (a merged batch pads differently), recursing into models and containers."""
    if hasattr(want, "model_dump"):
        assert type(got) is type(want), path
        assert_close(got.model_dump(), want.model_dump(), path)
    elif isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), path
        for key in want:
            assert_close(got[key], want[key], f"{path}.{key}")
    elif isinstance(want, (list, tuple)):
        assert isinstance(got, type(want)) and len(got) == len(want), path
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            assert_close(a, b, f"{path}[{i}]")
    elif isinstance(want, float):
        assert got == pytest.approx(want, abs=1e-6), path
    else:
        assert got == want, path


def test_every_async_method_returns_what_its_sync_method_returns(scorer: Any) -> None:
    reranker = Reranker(scorer, top_n=3)
    checker = GroundednessChecker(scorer)
    classifier = ZeroShotClassifier(scorer)
    router = Router(scorer, ROUTES)
    items = [(ANSWER, DOCS), {"answer": "Pianos are instruments.", "contexts": DOCS, "question": "What?"}]

    async def main() -> list[tuple[Any, Any]]:
        return [
            (await reranker.arerank("music", DOCS, threshold=0.0), reranker.rerank("music", DOCS, threshold=0.0)),
            (
                await reranker.arerank_many(["music", "pets"], [DOCS, DOCS[:2]]),
                reranker.rerank_many(["music", "pets"], [DOCS, DOCS[:2]]),
            ),
            (await checker.acheck(ANSWER, DOCS, question="Q?"), checker.check(ANSWER, DOCS, question="Q?")),
            (await checker.acheck_many(items), checker.check_many(items)),
            (await classifier.aclassify(DOCS, ["music", "animals"]), classifier.classify(DOCS, ["music", "animals"])),
            (
                await classifier.aclassify(DOCS, ["music", "tax"], multi_label=True),
                classifier.classify(DOCS, ["music", "tax"], multi_label=True),
            ),
            (await router.aroute("my guitar is out of tune"), router.route("my guitar is out of tune")),
            (await router.aroute_many(["a dog", "a piano"]), router.route_many(["a dog", "a piano"])),
        ]

    for got, want in asyncio.run(main()):
        assert_close(got, want)
    assert shared_batcher(scorer).metrics.calls >= 8  # they did go through the batcher


def test_async_methods_keep_the_sync_signature_and_errors(scorer: Any) -> None:
    import inspect

    from entailkit import InvalidInputError

    assert str(inspect.signature(Reranker.arerank)) == str(inspect.signature(Reranker.rerank))
    assert Reranker.arerank.__name__ == "arerank" and "rerank" in (Reranker.arerank.__doc__ or "")
    with pytest.raises(InvalidInputError):
        asyncio.run(Reranker(scorer).arerank("   ", DOCS))


def test_empty_input_gives_the_empty_result_without_a_batcher() -> None:
    fake = FakeScorer()
    reranker, router = Reranker(fake), Router(fake, ROUTES)

    async def main() -> tuple[Any, Any, Any]:
        return await reranker.arerank("music", []), await reranker.arerank_many([], []), await router.aroute_many([])

    one, many, routes = asyncio.run(main())
    assert one == reranker.rerank("music", []) and many == [] and routes == []
    assert id(fake) not in shared_module._batchers and fake.calls == []


def test_concurrent_arerank_calls_share_model_calls(tiny_models: dict[str, Path]) -> None:
    scorer = load_scorer(tiny_models["bert-nli3-cen"])  # its own batcher: the counts are this test's
    configure_batching(max_batch_wait_ms=50)  # generous, so a slow CI machine still merges
    reranker = Reranker(scorer)
    queries = [f"query number {i}" for i in range(16)]

    async def main() -> list[Any]:
        return await asyncio.gather(*(reranker.arerank(q, DOCS) for q in queries))

    results = asyncio.run(main())
    stats = shared_batcher(scorer).metrics
    assert isinstance(stats, BatchStats)
    assert stats.requests == 16 and stats.calls < 16, stats
    for query, got in zip(queries, results, strict=True):
        assert_close(got, reranker.rerank(query, DOCS))


class GatedFake(FakeScorer):
    """FakeScorer whose scoring calls wait for ``gate``; ``entered`` counts the calls begun."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = threading.Event()
        self.entered = 0

    def score_pairs(self, premises: Sequence[str], hypotheses: Sequence[str], **kwargs: Any) -> Any:
        self.entered += 1
        assert self.gate.wait(10)
        return super().score_pairs(premises, hypotheses, **kwargs)


async def _until(condition: Any, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not reached"
        await asyncio.sleep(0.005)


def test_cancelling_one_call_drops_its_jobs_and_leaves_the_others_right() -> None:
    fake = GatedFake(table={("Dogs bark at night.", "dogs"): 0.9})
    reranker = Reranker(fake)

    async def main() -> tuple[Any, Any, Any]:
        first = asyncio.create_task(reranker.arerank("dogs", DOCS))
        await _until(lambda: fake.entered == 1)  # the worker is inside the first model call
        doomed = asyncio.create_task(reranker.arerank("music", DOCS))
        last = asyncio.create_task(reranker.arerank("pets", DOCS[:2]))
        batcher = shared_batcher(fake)
        await _until(lambda: batcher.depth == 2)  # both queued behind the first call
        doomed.cancel()
        with pytest.raises(asyncio.CancelledError):
            await doomed
        fake.gate.set()
        return await first, await last, batcher

    first, last, batcher = asyncio.run(main())
    assert_close(first, reranker.rerank("dogs", DOCS))
    assert_close(last, reranker.rerank("pets", DOCS[:2]))
    assert batcher.depth == 0 and batcher.admitted == 0
    assert batcher.metrics.dropped == {"cancelled": len(DOCS)}  # the cancelled call was never scored


def test_more_calls_than_max_queue_raise_overloaded() -> None:
    fake = GatedFake()
    reranker = Reranker(fake)
    configure_batching(max_queue=2)
    assert batching_options().max_queue == 2

    async def main() -> list[Any]:
        running = [asyncio.create_task(reranker.arerank(f"q{i}", DOCS)) for i in range(2)]
        await asyncio.sleep(0)  # both admitted
        with pytest.raises(Overloaded, match="configure_batching"):
            await reranker.arerank("one too many", DOCS)
        fake.gate.set()
        return list(await asyncio.gather(*running))

    results = asyncio.run(main())
    assert [len(r.items) for r in results] == [len(DOCS)] * 2
    assert shared_batcher(fake).admitted == 0


def test_the_event_loop_stays_free_while_a_big_arerank_runs(scorer: Any) -> None:
    reranker = Reranker(scorer)
    documents = [f"{DOCS[i % len(DOCS)]} Item {i} of a long list." for i in range(1500)]

    async def main() -> tuple[float, Any]:
        async with heartbeat() as beat:
            await asyncio.sleep(0.02)
            result = await reranker.arerank("music", documents)
        return beat.max_gap, result

    largest_gap, result = asyncio.run(main())
    assert result.num_documents == len(documents)
    assert largest_gap < 0.5


def test_a_knn_router_builds_its_utterance_index_once(scorer: Any, tiny_embed_path: Path) -> None:
    embedder = load_scorer(tiny_embed_path, kind="embedding")
    routes = [
        {"name": "music", "description": "music", "examples": ["play a song", "tune my guitar"]},
        {"name": "pets", "description": "pets", "examples": ["feed the dog", "a cat toy"]},
    ]
    router = Router(scorer, routes, embedding_scorer=embedder)
    assert router.uses_knn and router._index is None

    async def main() -> tuple[Any, Any]:
        return await router.aroute("my guitar"), await router.aroute_many(["a dog", "a song"])

    one, many = asyncio.run(main())
    index = router._index
    assert index is not None  # the copy's index was kept on the router
    assert_close(one, router.route("my guitar"))
    assert_close(many, router.route_many(["a dog", "a song"]))
    assert router._index is index


def test_a_starting_batcher_freezes_the_loaded_objects_unless_told_not_to() -> None:
    import gc

    from entailkit.errors import InvalidInputError

    gc.unfreeze()
    try:
        configure_batching(freeze_gc=False)
        shared_batcher(FakeScorer())
        assert gc.get_freeze_count() == 0
        configure_batching(freeze_gc=True)
        shared_batcher(FakeScorer())  # a new scorer: a new batcher starts and freezes what is alive
        assert gc.get_freeze_count() > 0
        with pytest.raises(InvalidInputError, match="freeze_gc"):
            configure_batching(freeze_gc="yes")  # type: ignore[arg-type]
    finally:
        configure_batching(freeze_gc=True)
        gc.unfreeze()
