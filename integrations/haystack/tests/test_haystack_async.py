"""run_async and Pipeline.run_async never run the model on the event loop.

A heartbeat coroutine sleeps 5 ms in a loop while the components work; its largest gap between two
ticks is how long the loop was ever held up (recorded as the ``max_gap_ms`` property).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("haystack", reason="pip install 'haystack-ai>=2.9'")

from haystack import Document, Pipeline
from haystack.components.retrievers.in_memory import InMemoryBM25Retriever
from haystack.document_stores.in_memory import InMemoryDocumentStore

from entailkit import Reranker, shared_scorer
from entailkit.batching.heartbeat import Heartbeat, heartbeat
from haystack_integrations.components.evaluators.entailkit import (
    EntailkitGroundednessEvaluator,
    EntailkitGroundednessGuard,
)
from haystack_integrations.components.rankers.entailkit import EntailkitRanker
from haystack_integrations.components.routers.entailkit import EntailkitRouter

pytestmark = [pytest.mark.real, pytest.mark.slow]

MAX_GAP_S = 0.050
CONTEXTS = ["A man is playing a guitar on stage.", "The crowd is cheering loudly.", "A woman is slicing an onion."]
ANSWERS = ["A man is playing a guitar.", "A man is playing a guitar. A dog is swimming in a lake."]
QUERIES = ["what types of food can you cook sous vide", "causes of left ventricular hypertrophy"]


def check_beat(beat: Heartbeat, record_property: Callable[[str, Any], None]) -> None:
    record_property("max_gap_ms", round(beat.max_gap * 1000, 1))
    record_property("ticks", beat.ticks)
    assert beat.ticks > 0
    assert beat.max_gap < MAX_GAP_S, f"the event loop was blocked for {beat.max_gap * 1000:.1f} ms"


def test_components_run_async_never_block_the_loop(
    msmarco_docs: list[Document], nli_model: str, query: str, record_property: Any
) -> None:
    docs = msmarco_docs[:40]
    ranker = EntailkitRanker(model=nli_model, top_k=5)
    evaluator = EntailkitGroundednessEvaluator(model=nli_model)
    guard = EntailkitGroundednessGuard(model=nli_model)
    router = EntailkitRouter(model=nli_model, routes=["medicine and health", "food and cooking"])
    for item in (ranker, evaluator, guard, router):
        item.warm_up()  # loading is not what is measured

    async def main() -> tuple[list[Any], Heartbeat]:
        async with heartbeat() as beat:
            results = await asyncio.gather(
                *(ranker.run_async(query=q, documents=docs) for q in [query, *QUERIES]),
                evaluator.run_async(predicted_answers=ANSWERS, contexts=[CONTEXTS] * 2),
                guard.run_async(replies=ANSWERS, documents=[Document(content=c) for c in CONTEXTS]),
                *(router.run_async(text=q) for q in QUERIES),
            )
        return list(results), beat

    results, beat = asyncio.run(main())
    check_beat(beat, record_property)
    sync = ranker.run(query=query, documents=docs)["documents"]
    assert [d.id for d in results[0]["documents"]] == [d.id for d in sync]
    assert [d.score for d in results[0]["documents"]] == pytest.approx([d.score for d in sync], abs=1e-6)
    assert results[3]["individual_scores"] == [1.0, 0.5]
    assert "food and cooking" in results[5] and "medicine and health" in results[6]


def test_pipeline_run_async_never_blocks_the_loop(
    msmarco_docs: list[Document], nli_model: str, query: str, record_property: Any
) -> None:
    store = InMemoryDocumentStore()
    store.write_documents(msmarco_docs)
    pipe = Pipeline()
    pipe.add_component("retriever", InMemoryBM25Retriever(document_store=store, top_k=10))
    pipe.add_component("ranker", EntailkitRanker(model=nli_model, top_k=3))
    pipe.add_component("guard", EntailkitGroundednessGuard(model=nli_model, mode="flag"))
    pipe.connect("retriever.documents", "ranker.documents")
    pipe.connect("ranker.documents", "guard.documents")
    pipe.warm_up()
    reply = "Hypertension is a cause of left ventricular hypertrophy. It is caused by chocolate."
    data = {"retriever": {"query": query}, "ranker": {"query": query}, "guard": {"replies": [reply]}}
    runner = getattr(pipe, "run_async", None)
    if runner is None:  # haystack 2.x: AsyncPipeline
        from haystack import AsyncPipeline  # type: ignore[attr-defined]

        pipe = AsyncPipeline.loads(pipe.dumps())
        runner = pipe.run_async

    async def main() -> tuple[list[dict[str, Any]], Heartbeat]:
        # Haystack's own first run_async in a process holds the loop ~110 ms (one-time setup, measured with a
        # retriever-only pipeline too), so one untimed run goes first.
        await runner(data)
        async with heartbeat() as beat:
            outs = await asyncio.gather(*(runner(data, include_outputs_from={"retriever", "ranker"}) for _ in range(3)))
        return list(outs), beat

    outs, beat = asyncio.run(main())
    check_beat(beat, record_property)
    retrieved = outs[0]["retriever"]["documents"]
    expected = Reranker(shared_scorer(nli_model)).rerank(query, [d.content for d in retrieved], top_n=3)
    for out in outs:
        assert [d.id for d in out["ranker"]["documents"]] == [retrieved[i.index].id for i in expected.items]
        got = [d.score for d in out["ranker"]["documents"]]
        assert got == pytest.approx([i.score for i in expected.items], abs=1e-6)
        assert out["guard"]["results"][0]["statements"][-1] == "It is caused by chocolate."
