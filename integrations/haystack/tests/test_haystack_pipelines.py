"""Real Haystack pipelines on the real shared NLI model: InMemoryBM25Retriever -> EntailkitRanker ->
EntailkitGroundednessGuard, an evaluation pipeline and a routing pipeline; the scores are exactly those
of the in-process entailkit tasks, and survive Pipeline.dumps / Pipeline.loads."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("haystack", reason="pip install 'haystack-ai>=2.9'")

from haystack import Document, Pipeline
from haystack.components.builders import PromptBuilder
from haystack.components.retrievers.in_memory import InMemoryBM25Retriever
from haystack.document_stores.in_memory import InMemoryDocumentStore

from entailkit import GroundednessChecker, Reranker, Router, shared_scorer
from haystack_integrations.components.evaluators.entailkit import (
    EntailkitGroundednessEvaluator,
    EntailkitGroundednessGuard,
)
from haystack_integrations.components.rankers.entailkit import EntailkitRanker
from haystack_integrations.components.routers.entailkit import EntailkitRouter

pytestmark = [pytest.mark.real]

CONTEXTS = ["A man is playing a guitar on stage.", "The crowd is cheering loudly.", "A woman is slicing an onion."]
ANSWERS = [
    "A man is playing a guitar.",
    "A man is playing a guitar. A dog is swimming in a lake.",
    "Nobody is playing a guitar.",
]
ROUTES = [
    {"name": "medical", "description": "medicine, diseases and health"},
    {"name": "food", "description": "food and cooking"},
]


def rag_pipeline(docs: list[Document], model: str) -> Pipeline:
    store = InMemoryDocumentStore()
    store.write_documents(docs)
    pipe = Pipeline()
    pipe.add_component("retriever", InMemoryBM25Retriever(document_store=store, top_k=10))
    pipe.add_component("ranker", EntailkitRanker(model=model, top_k=3))
    pipe.connect("retriever.documents", "ranker.documents")
    return pipe


def test_bm25_then_ranker_equals_reranker(msmarco_docs: list[Document], nli_model: str, query: str) -> None:
    pipe = rag_pipeline(msmarco_docs, nli_model)
    out = pipe.run({"retriever": {"query": query}, "ranker": {"query": query}}, include_outputs_from={"retriever"})
    retrieved = out["retriever"]["documents"]
    ranked = out["ranker"]["documents"]
    expected = Reranker(shared_scorer(nli_model)).rerank(query, [d.content for d in retrieved], top_n=3)
    assert [d.id for d in ranked] == [retrieved[item.index].id for item in expected.items]
    assert [d.score for d in ranked] == [item.score for item in expected.items]  # exactly

    restored = Pipeline.loads(pipe.dumps())
    again = restored.run({"retriever": {"query": query}, "ranker": {"query": query}})["ranker"]["documents"]
    assert [(d.id, d.score) for d in again] == [(d.id, d.score) for d in ranked]
    assert restored.get_component("ranker").to_dict() == pipe.get_component("ranker").to_dict()


def test_guarded_rag_pipeline(msmarco_docs: list[Document], nli_model: str, query: str) -> None:
    pipe = rag_pipeline(msmarco_docs, nli_model)
    pipe.add_component("guard", EntailkitGroundednessGuard(model=nli_model, mode="strip"))
    pipe.connect("ranker.documents", "guard.documents")
    out = pipe.run(
        {"retriever": {"query": query}, "ranker": {"query": query}, "guard": {"replies": [], "query": query}},
        include_outputs_from={"ranker"},
    )
    assert out["guard"] == {"replies": [], "results": []}
    best = out["ranker"]["documents"][0].content
    sentence = best.split(". ")[0].rstrip(".") + "."
    reply = f"{sentence} It is caused by eating too much chocolate."
    out = pipe.run(
        {"retriever": {"query": query}, "ranker": {"query": query}, "guard": {"replies": [reply], "query": query}},
        include_outputs_from={"ranker"},
    )
    contexts = [d.content for d in out["ranker"]["documents"]]
    report = GroundednessChecker(shared_scorer(nli_model)).check(reply, contexts, question=query)
    result = out["guard"]["results"][0]
    assert result["report"] == report.model_dump(mode="json")
    assert [s.verdict for s in report.sentences][-1] != "supported"
    assert "chocolate" not in out["guard"]["replies"][0]


def test_evaluation_pipeline_equals_checker(nli_model: str) -> None:
    pipe = Pipeline()
    pipe.add_component("faithfulness", EntailkitGroundednessEvaluator(model=nli_model))
    contexts = [CONTEXTS] * len(ANSWERS)
    out = pipe.run({"faithfulness": {"predicted_answers": ANSWERS, "contexts": contexts}})["faithfulness"]
    reports = GroundednessChecker(shared_scorer(nli_model)).check_many(list(zip(ANSWERS, contexts, strict=True)))
    assert out["individual_scores"] == [r.supported_fraction for r in reports] == [1.0, 0.5, 0.0]
    assert out["score"] == pytest.approx(0.5)
    assert [r["statement_verdicts"] for r in out["results"]] == [
        ["supported"],
        ["supported", "contradicted"],
        ["contradicted"],
    ]
    again = Pipeline.loads(pipe.dumps()).run({"faithfulness": {"predicted_answers": ANSWERS, "contexts": contexts}})
    assert again["faithfulness"] == out


def test_routing_pipeline_runs_only_the_taken_branch(nli_model: str) -> None:
    pipe = Pipeline()
    pipe.add_component("router", EntailkitRouter(model=nli_model, routes=ROUTES))
    for name in ("medical", "food"):  # a plain Haystack component at the end of each branch
        pipe.add_component(name, PromptBuilder(template=name + ": {{ text }}", required_variables=["text"]))
    pipe.connect("router.medical", "medical.text")
    pipe.connect("router.food", "food.text")
    reference = Router(shared_scorer(nli_model), ROUTES)
    restored = Pipeline.loads(pipe.dumps())
    for text, route in (
        ("what types of food can you cook sous vide", "food"),
        ("causes of left ventricular hypertrophy", "medical"),
    ):
        for p in (pipe, restored):
            out: dict[str, Any] = p.run({"router": {"text": text}})
            decision = reference.route(text)
            assert decision.route == route
            assert out[route] == {"prompt": f"{route}: {text}"}
            assert set(out) == {"router", route}  # the other branch did not run
            assert out["router"]["decision"] == decision.model_dump(mode="json")
