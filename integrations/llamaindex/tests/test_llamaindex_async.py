"""Async paths of the LlamaIndex adapter on real LlamaIndex objects: the model never runs on the event loop.

A heartbeat coroutine sleeps 5 ms in a loop while the adapter works; its largest gap between two ticks
is how long the loop was ever held up (each test records it as the ``max_gap_ms`` property).
"""

from __future__ import annotations

import asyncio
import copy
import math
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("llama_index.core", reason="pip install 'llama-index-core>=0.14,<0.15'")

from llama_index.core import VectorStoreIndex
from llama_index.core.callbacks import CallbackManager, CBEventType, EventPayload, LlamaDebugHandler
from llama_index.core.evaluation import BatchEvalRunner
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.span_handlers import SimpleSpanHandler
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.tools import ToolMetadata
from llama_index.embeddings.entailkit import EntailkitEmbedding
from llama_index.evaluation.entailkit import EntailkitFaithfulnessEvaluator, EntailkitRelevancyEvaluator
from llama_index.postprocessor.entailkit_rerank import EntailkitRerank
from llama_index.selectors.entailkit import EntailkitSelector

from entailkit.batching.heartbeat import Heartbeat, heartbeat

pytestmark = [pytest.mark.real, pytest.mark.slow]

MAX_GAP_S = 0.050
CONTEXTS = ["A man is playing a guitar on stage.", "The crowd is cheering loudly.", "A woman is slicing an onion."]
RESPONSES = [
    "A man is playing a guitar.",
    "A man is playing a guitar. A dog is swimming in a lake.",
    "Nobody is playing a guitar.",
    "A woman is cutting an onion.",
]


def check_beat(beat: Heartbeat, record_property: Callable[[str, Any], None]) -> None:
    record_property("max_gap_ms", round(beat.max_gap * 1000, 1))
    record_property("ticks", beat.ticks)
    assert beat.ticks > 0
    assert beat.max_gap < MAX_GAP_S, f"the event loop was blocked for {beat.max_gap * 1000:.1f} ms"


def test_selector_aselect_never_blocks_the_loop(nli_scorer: Any, record_property: Any) -> None:
    choices = [
        ToolMetadata(name="medical", description="medicine, diseases and health"),
        ToolMetadata(name="food", description="food and cooking"),
    ]
    queries = ["what types of food can you cook sous vide", "causes of left ventricular hypertrophy"] * 4
    selector = EntailkitSelector(nli_scorer)

    async def main() -> tuple[list[Any], Heartbeat]:
        async with heartbeat() as beat:
            results = await asyncio.gather(*(selector.aselect(choices, q) for q in queries))
        return results, beat

    results, beat = asyncio.run(main())
    check_beat(beat, record_property)
    assert [r.inds for r in results] == [[1], [0]] * 4
    sync = selector.select(choices, queries[0])
    assert sync.inds == results[0].inds and sync.reason == results[0].reason


def test_evaluators_aevaluate_never_block_the_loop(nli_scorer: Any, record_property: Any) -> None:
    faithfulness = EntailkitFaithfulnessEvaluator(nli_scorer)
    relevancy = EntailkitRelevancyEvaluator(nli_scorer, query_template="{}")
    query = "a man playing a guitar"

    async def main() -> tuple[list[Any], list[Any], Heartbeat]:
        async with heartbeat() as beat:
            faith = await asyncio.gather(
                *(faithfulness.aevaluate(query=query, response=r, contexts=CONTEXTS) for r in RESPONSES)
            )
            rel = await asyncio.gather(
                *(relevancy.aevaluate(query=query, response=r, contexts=CONTEXTS) for r in RESPONSES)
            )
        return faith, rel, beat

    faith, rel, beat = asyncio.run(main())
    check_beat(beat, record_property)
    assert [r.passing for r in faith] == [True, False, False, True]
    for async_result, response in zip(faith, RESPONSES, strict=True):
        report = faithfulness.check(response, CONTEXTS, query)
        assert async_result.score == pytest.approx(report.score, abs=1e-6)  # the number that decides passing
        assert async_result.passing == report.grounded
    sync_rel = [relevancy.evaluate(query=query, response=r, contexts=CONTEXTS) for r in RESPONSES]
    assert [r.score for r in rel] == pytest.approx([r.score for r in sync_rel], abs=1e-6)


def test_batch_eval_runner_overlaps_within_its_workers(nli_scorer: Any, record_property: Any) -> None:
    """workers=2: two evaluations in flight at a time (spans overlap), never more, and the loop keeps ticking."""
    spans = SimpleSpanHandler()
    root = get_dispatcher()
    root.add_span_handler(spans)
    evaluators = {
        "faithfulness": EntailkitFaithfulnessEvaluator(nli_scorer),
        "relevancy": EntailkitRelevancyEvaluator(nli_scorer, query_template="{}"),
    }
    runner = BatchEvalRunner(evaluators, workers=2)

    async def main() -> tuple[dict[str, Any], Heartbeat]:
        async with heartbeat() as beat:
            results = await runner.aevaluate_response_strs(
                queries=["a man playing a guitar"] * len(RESPONSES),
                response_strs=RESPONSES,
                contexts_list=[CONTEXTS] * len(RESPONSES),
            )
        return results, beat

    try:
        results, beat = asyncio.run(main())
    finally:
        root.span_handlers.remove(spans)
    check_beat(beat, record_property)
    assert [r.passing for r in results["faithfulness"]] == [True, False, False, True]
    intervals = [
        (s.start_time, s.end_time)
        for s in spans.completed_spans
        if s.id_.split("-")[0] in ("EntailkitFaithfulnessEvaluator.aevaluate", "EntailkitRelevancyEvaluator.aevaluate")
    ]
    assert len(intervals) == 2 * len(RESPONSES)
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    in_flight = peak = 0
    for _, step in edges:
        in_flight += step
        peak = max(peak, in_flight)
    record_property("peak_in_flight", peak)
    assert peak == 2


def test_rerank_apostprocess_nodes_never_blocks_and_emits_callback_events(
    index: Any, nli_scorer: Any, msmarco: dict[str, Any], record_property: Any
) -> None:
    debug = LlamaDebugHandler()
    rerank = EntailkitRerank(nli_scorer, top_n=3)
    engine = RetrieverQueryEngine.from_args(
        index.as_retriever(similarity_top_k=10),
        node_postprocessors=[rerank],
        llm=MockLLM(),
        callback_manager=CallbackManager([debug]),
    )
    query = msmarco["queries"]["87181"]
    retrieved = index.as_retriever(similarity_top_k=10).retrieve(query)

    async def main() -> tuple[list[Any], Any, Heartbeat]:
        async with heartbeat() as beat:
            direct = await asyncio.gather(*(rerank.apostprocess_nodes(retrieved, query_str=query) for _ in range(4)))
            response = await engine.aquery(query)
        return direct, response, beat

    direct, response, beat = asyncio.run(main())
    check_beat(beat, record_property)
    sync = rerank.postprocess_nodes(retrieved, query_str=query)
    for out in direct:
        assert [n.node.node_id for n in out] == [n.node.node_id for n in sync]
        assert [n.score for n in out] == pytest.approx([n.score for n in sync], abs=1e-6)
    assert [n.node.node_id for n in response.source_nodes] == [n.node.node_id for n in sync]
    pairs = debug.get_event_pairs(CBEventType.RERANKING)
    assert len(pairs) == 6  # 4 direct apostprocess_nodes, the engine's aquery, the sync call (engine's manager)
    for start, end in pairs:
        assert len(start.payload[EventPayload.NODES]) == 10
        assert start.payload[EventPayload.TOP_K] == 3 and start.payload[EventPayload.QUERY_STR] == query
        assert "sick" in start.payload[EventPayload.MODEL_NAME]
        assert [n.node.node_id for n in end.payload[EventPayload.NODES]] == [n.node.node_id for n in sync]


def _counting(scorer: Any) -> Any:
    """The real embedding scorer (same model object), as a subclass that records each embed call's size."""

    class CountingScorer(type(scorer)):  # type: ignore[misc]
        def embed(self, texts: Any, *args: Any, **kwargs: Any) -> Any:
            self.batch_sizes.append(len(texts))
            return super().embed(texts, *args, **kwargs)

    counting = copy.copy(scorer)
    counting.__class__ = CountingScorer
    counting.batch_sizes = []
    return counting


def test_vector_store_index_use_async_embeds_in_batches_off_the_loop(
    embed_model: Any, msmarco: dict[str, Any], record_property: Any
) -> None:
    scorer = _counting(embed_model._scorer)
    embed = EntailkitEmbedding(scorer, embed_batch_size=16)
    texts = [msmarco["corpus"][pid] for pid in msmarco["ids"][:100]]
    nodes = [TextNode(id_=f"n{i}", text=t) for i, t in enumerate(texts)]
    index = VectorStoreIndex([n.model_copy() for n in nodes], embed_model=embed, use_async=True)
    assert sorted(scorer.batch_sizes, reverse=True) == [16] * 6 + [4]  # 100 texts in 7 calls, not 100
    # The constructor's async part (_async_add_nodes_to_index) runs on a loop it drives itself; the same
    # code runs on ours through ainsert_nodes, with the heartbeat ticking beside it.
    scorer.batch_sizes.clear()
    index = VectorStoreIndex([], embed_model=embed, use_async=True)

    async def main() -> Heartbeat:
        async with heartbeat() as beat:
            await index.ainsert_nodes([n.model_copy() for n in nodes])
        return beat

    beat = asyncio.run(main())
    check_beat(beat, record_property)
    record_property("batch_sizes", list(scorer.batch_sizes))
    assert sorted(scorer.batch_sizes, reverse=True) == [16] * 6 + [4]
    sync = embed_model.get_text_embedding_batch(texts[:3])
    stored = [index.vector_store.get(f"n{i}") for i in range(3)]
    for a, b in zip(stored, sync, strict=True):
        assert math.dist(a, b) < 1e-5
    scorer.batch_sizes.clear()
    vectors = asyncio.run(embed.aget_text_embedding_batch(texts[:40]))
    assert len(vectors) == 40 and sorted(scorer.batch_sizes) == [8, 16, 16]
    query = asyncio.run(embed.aget_query_embedding(texts[0]))
    assert math.dist(query, sync[0]) < 1e-5


def test_router_aselect_in_a_query_engine(nli_scorer: Any, nodes: list[Any], index_builder: Any) -> None:
    from llama_index.core.query_engine import RouterQueryEngine
    from llama_index.core.tools import QueryEngineTool

    medical = index_builder([n for n in nodes if n.metadata["topic"] == "medical"])
    food = index_builder([n for n in nodes if n.metadata["topic"] == "food"])
    tools = [
        QueryEngineTool.from_defaults(medical.as_query_engine(llm=MockLLM()), description="medicine and health"),
        QueryEngineTool.from_defaults(food.as_query_engine(llm=MockLLM()), description="food and cooking"),
    ]
    engine = RouterQueryEngine(selector=EntailkitSelector(nli_scorer), query_engine_tools=tools, llm=MockLLM())
    response = asyncio.run(engine.aquery(QueryBundle("what types of food can you cook sous vide")))
    assert {n.node.metadata["topic"] for n in response.source_nodes} == {"food"}


def test_every_component_round_trips_through_to_dict_and_from_json(
    nli_scorer: Any, embed_model: Any, index: Any, msmarco: dict[str, Any]
) -> None:
    """from_dict rebuilds each component from the model id in its dict (loaded again, shared) with the same
    options, so it gives the same scores; a scorer can still be passed instead."""
    from llama_index.postprocessor.entailkit_rerank import EntailkitDocumentFilter

    query = msmarco["queries"]["833860"]
    retrieved = index.as_retriever(similarity_top_k=6).retrieve(query)
    rerank = EntailkitRerank(nli_scorer, top_n=3, threshold=0.0, keep_retrieval_score=True)
    for copy_ in (
        EntailkitRerank.from_dict(rerank.to_dict()),
        EntailkitRerank.from_json(rerank.to_json()),
        EntailkitRerank.from_dict(rerank.to_dict(), scorer=nli_scorer),
    ):
        assert copy_.spec == rerank.spec and copy_.model == rerank.model
        ours = [(n.node.node_id, n.score) for n in rerank.postprocess_nodes(retrieved, query_str=query)]
        theirs = [(n.node.node_id, n.score) for n in copy_.postprocess_nodes(retrieved, query_str=query)]
        assert [i for i, _ in theirs] == [i for i, _ in ours]
        assert [s for _, s in theirs] == pytest.approx([s for _, s in ours], abs=1e-6)

    texts = ["A man is playing a guitar.", "A man is playing a guitar.", "A man is not playing a guitar."]
    nodes = [NodeWithScore(node=TextNode(id_=f"n{i}", text=t), score=1.0) for i, t in enumerate(texts)]
    doc_filter = EntailkitDocumentFilter(nli_scorer)
    restored_filter = EntailkitDocumentFilter.from_json(doc_filter.to_json())
    assert [(n.node.node_id, n.node.metadata) for n in restored_filter.postprocess_nodes(nodes)] == [
        (n.node.node_id, n.node.metadata) for n in doc_filter.postprocess_nodes(nodes)
    ]

    choices = [ToolMetadata(name="medical", description="medicine"), ToolMetadata(name="food", description="food")]
    selector = EntailkitSelector(nli_scorer, multi=True, threshold=0.0, max_outputs=1)
    restored_selector = EntailkitSelector.from_json(selector.to_json())
    assert restored_selector.to_dict() == selector.to_dict()
    assert restored_selector.select(choices, query).reason == selector.select(choices, query).reason

    faithfulness = EntailkitFaithfulnessEvaluator(nli_scorer, threshold=0.4, aggregate="mean")
    relevancy = EntailkitRelevancyEvaluator(nli_scorer, threshold=0.3, query_template="{}")
    for evaluator in (faithfulness, relevancy):
        restored = type(evaluator).from_json(evaluator.to_json())
        assert restored.to_dict() == evaluator.to_dict()
        for response in RESPONSES:
            a = evaluator.evaluate(query="a man playing a guitar", response=response, contexts=CONTEXTS)
            b = restored.evaluate(query="a man playing a guitar", response=response, contexts=CONTEXTS)
            assert (b.passing, b.feedback) == (a.passing, a.feedback)
            assert b.score == pytest.approx(a.score, abs=1e-6)

    restored_embed = EntailkitEmbedding.from_json(embed_model.to_json())
    assert restored_embed._scorer is embed_model._scorer  # a model id is loaded once per process
    vec = restored_embed.get_text_embedding("A man plays guitar.")
    assert math.dist(vec, embed_model.get_text_embedding("A man plays guitar.")) < 1e-6

    from entailkit.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="needs a scorer"):
        EntailkitRerank.from_dict({**rerank.to_dict(), "model": ""})
