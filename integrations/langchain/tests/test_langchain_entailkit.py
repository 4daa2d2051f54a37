"""langchain-entailkit with real LangChain objects: compressors, retrievers, LCEL chains, callbacks.

Mechanics run on tests/fakes.FakeScorer (no torch); end-to-end tests use the real minilm-l6-sick-nli and
all-MiniLM-L6-v2 over MS MARCO passages and skip when those are absent.
"""

from __future__ import annotations

import asyncio
import copy
import subprocess
import sys
from typing import Any

import langchain_entailkit
import pytest
from _langchain_fakes import CONTEXT, S1, S2, ground_fake
from langchain_classic.retrievers import ContextualCompressionRetriever
from langchain_classic.retrievers.document_compressors import DocumentCompressorPipeline
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.language_models import FakeListChatModel
from langchain_core.messages import AIMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnableParallel, RunnablePassthrough
from langchain_entailkit import (
    FILTER_EVENT,
    GROUNDEDNESS_EVENT,
    RERANK_EVENT,
    ROUTE_EVENT,
    EntailkitDocumentFilter,
    EntailkitGroundednessCheck,
    EntailkitRerank,
    EntailkitRouter,
    UngroundedAnswerError,
    clear_scorer_cache,
)

from entailkit.errors import InvalidInputError
from entailkit.tasks.rerank import Reranker
from entailkit.tasks.specs import RerankSpec
from entailkit.types import GroundednessReport, Route, RouteDecision
from fakes import FakeScorer

Q = "eiffel tower"
HYP = "eiffel tower"  # the default query template is the query as it is
DOCS = [
    Document(page_content="Bananas are yellow.", id="d0", metadata={"relevance_score": 0.7}),
    Document(page_content="The Eiffel Tower is in Paris.", id="d1", metadata={"k": [1]}),
    Document(page_content="The Eiffel Tower was finished in 1889.", id="d2"),
]


class Recorder(BaseCallbackHandler):
    """Collects custom events and the metadata of every chain run."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.chain_metadata: list[dict[str, Any]] = []

    def on_custom_event(self, name: str, data: Any, **kwargs: Any) -> None:
        self.events.append((name, data))

    def on_chain_start(self, serialized: Any, inputs: Any, **kwargs: Any) -> None:
        self.chain_metadata.append(dict(kwargs.get("metadata") or {}))

    def named(self, name: str) -> list[Any]:
        return [data for event, data in self.events if event == name]


def rerank_fake() -> FakeScorer:
    return FakeScorer({("Paris", HYP): 0.9, ("1889", HYP): 0.6, ("Bananas", HYP): 0.05})


# -- package -----------------------------------------------------------------------------------------


def test_public_names_and_light_import() -> None:
    for name in langchain_entailkit.__all__:
        assert hasattr(langchain_entailkit, name), name
    code = "import sys, langchain_entailkit; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# -- EntailkitRerank ---------------------------------------------------------------------------------


def test_rerank_returns_scored_copies_and_keeps_inputs() -> None:
    before = copy.deepcopy(DOCS)
    out = EntailkitRerank(scorer=rerank_fake(), top_n=2).compress_documents(DOCS, Q)
    assert [d.id for d in out] == ["d1", "d2"]
    assert out[0].metadata == {"k": [1], "relevance_score": pytest.approx(0.9)}
    assert all(a is not b for a in out for b in DOCS)
    assert before == DOCS
    everything = EntailkitRerank(scorer=rerank_fake(), top_n=None).compress_documents(DOCS, Q)
    assert everything[-1].metadata["retrieval_score"] == 0.7  # the retriever's score is kept
    cut = EntailkitRerank(scorer=rerank_fake(), top_n=None, threshold=0.5).compress_documents(DOCS, Q)
    assert [d.id for d in cut] == ["d1", "d2"]
    assert EntailkitRerank(scorer=rerank_fake()).compress_documents([], Q) == []


def test_rerank_takes_the_reranker_its_spec_or_flat_options() -> None:
    """The options are the Reranker's (declared once): flat, as a RerankSpec, or a configured Reranker."""
    scorer = rerank_fake()
    flat = EntailkitRerank(scorer=scorer, top_n=2, threshold=0.1)
    by_spec = EntailkitRerank(scorer=scorer, spec=RerankSpec(top_n=2, threshold=0.1))
    by_task = EntailkitRerank(reranker=Reranker(scorer, top_n=2, threshold=0.1))
    assert flat.spec == by_spec.spec == by_task.spec == RerankSpec(top_n=2, threshold=0.1)
    assert (flat.top_n, flat.threshold) == (2, 0.1)
    ids = [[d.id for d in c.compress_documents(DOCS, Q)] for c in (flat, by_spec, by_task)]
    assert ids[0] == ids[1] == ids[2] == ["d1", "d2"]
    assert EntailkitRerank(scorer=scorer, spec=RerankSpec(top_n=2), top_n=1).top_n == 1  # flat wins
    assert EntailkitRerank(scorer=scorer).top_n is None  # entailkit's default on every surface: keep all
    with pytest.raises(InvalidInputError, match="reranker= alone"):
        EntailkitRerank(reranker=Reranker(scorer), scorer=scorer)
    with pytest.raises(InvalidInputError, match="unknown option 'top_k'"):
        EntailkitRerank(scorer=scorer, spec={"top_k": 2})


def test_rerank_in_retriever_sync_async_and_events() -> None:
    base = RunnableLambda(lambda query: list(DOCS))
    retriever = ContextualCompressionRetriever(
        base_compressor=EntailkitRerank(scorer=rerank_fake(), top_n=2), base_retriever=base
    )
    recorder = Recorder()
    docs = retriever.invoke(Q, config={"callbacks": [recorder]})
    adocs = asyncio.run(retriever.ainvoke(Q, config={"callbacks": [recorder]}))
    assert [d.id for d in docs] == [d.id for d in adocs] == ["d1", "d2"]
    events = recorder.named(RERANK_EVENT)
    assert len(events) == 2
    assert events[0]["hypothesis"] == HYP and [r["id"] for r in events[0]["results"]] == ["d1", "d2"]


def test_rerank_bad_arguments() -> None:
    with pytest.raises(InvalidInputError):
        EntailkitRerank()
    with pytest.raises(InvalidInputError):
        EntailkitRerank(scorer=rerank_fake(), model="x")
    with pytest.raises(InvalidInputError):
        EntailkitRerank(scorer=rerank_fake(), top_n=0)
    with pytest.raises(InvalidInputError):
        EntailkitRerank(scorer=rerank_fake()).compress_documents(["not a document"], Q)  # type: ignore[list-item]


def test_model_id_is_loaded_once_and_shared(tmp_path: Any) -> None:
    from fixtures.tiny_models import CROSS_ENCODER_SPECS, build_cross_encoder

    spec = next(s for s in CROSS_ENCODER_SPECS if s.name == "bert-nli3-cen")
    path = str(build_cross_encoder(tmp_path / spec.name, spec))
    try:
        rerank = EntailkitRerank(model=path, top_n=1)
        check = EntailkitGroundednessCheck(model=path)
        assert rerank.scorer is EntailkitDocumentFilter(model=path).scorer is check.checker.scorer
        assert len(rerank.compress_documents(DOCS, Q)) == 1
    finally:
        clear_scorer_cache()


# -- EntailkitDocumentFilter ---------------------------------------------------------------------------

A, B, C = "The tower is in Paris and was finished in 1889.", "The tower is in Paris.", "The tower is in Rome."


def test_filter_drops_duplicates_flags_contradictions() -> None:
    fake = FakeScorer({("finished in 1889", B): (0.95, 0.0), ("finished in 1889", C): (0.01, 0.9)})
    docs = [Document(page_content=t, id=f"p{i}") for i, t in enumerate([A, B, C])]
    recorder = Recorder()
    pipeline = DocumentCompressorPipeline(transformers=[EntailkitDocumentFilter(scorer=fake)])
    retriever = ContextualCompressionRetriever(
        base_compressor=pipeline, base_retriever=RunnableLambda(lambda q: list(docs))
    )
    out = retriever.invoke("tower", config={"callbacks": [recorder]})
    assert [d.id for d in out] == ["p0", "p2"]
    assert out[1].metadata == {"entailkit_flag": "contradiction", "contradicts": "p0", "contradiction_score": 0.9}
    assert docs[2].metadata == {}
    (event,) = recorder.named(FILTER_EVENT)
    assert [d["action"] for d in event["decisions"]] == ["keep", "drop", "flag"]
    dropped = EntailkitDocumentFilter(scorer=fake, on_contradiction="drop").compress_documents(docs, "")
    assert [d.id for d in dropped] == ["p0"]


# -- EntailkitGroundednessCheck -------------------------------------------------------------------------


def test_groundedness_report_and_guard_modes() -> None:
    fake = ground_fake()
    item = {"answer": f"{S1} {S2}", "context": CONTEXT, "question": "Where is it?"}
    report = EntailkitGroundednessCheck(fake).invoke(item)
    assert isinstance(report, GroundednessReport)
    assert [s.verdict for s in report.sentences] == ["supported", "unsupported"]
    assert EntailkitGroundednessCheck(fake, mode="flag").invoke(item) == f"{S1} {S2} [unsupported]"
    assert EntailkitGroundednessCheck(fake, mode="strip").invoke(item) == S1
    message = AIMessage(content=f"{S1} {S2}")
    stripped = EntailkitGroundednessCheck(fake, mode="strip").invoke({**item, "answer": message})
    assert isinstance(stripped, AIMessage) and stripped.content == S1
    assert stripped.response_metadata[GROUNDEDNESS_EVENT]["grounded"] is False
    assert message.content == f"{S1} {S2}"
    with pytest.raises(UngroundedAnswerError) as info:
        EntailkitGroundednessCheck(fake, mode="raise").invoke(item)
    assert info.value.report.sentences[1].text == S2
    ok = {"answer": S1, "context": "The Eiffel Tower is in Paris."}
    assert EntailkitGroundednessCheck(fake, mode="raise").invoke(ok) == S1
    with pytest.raises(InvalidInputError):
        EntailkitGroundednessCheck(fake).invoke(f"{S1} {S2}")
    with pytest.raises(InvalidInputError):
        EntailkitGroundednessCheck(fake, mode="fix")  # type: ignore[arg-type]


def test_groundedness_batch_is_one_check_many_call_and_emits_events() -> None:
    fake = ground_fake()
    check = EntailkitGroundednessCheck(fake)
    items = [{"answer": S1, "context": CONTEXT}, {"answer": S2, "context": CONTEXT}]
    recorder = Recorder()
    reports = check.batch(items, config={"callbacks": [recorder]})
    assert [r.grounded for r in reports] == [True, False]
    assert len(fake.calls) == 1
    areports = asyncio.run(check.abatch(items, config={"callbacks": [recorder]}))
    assert [r.grounded for r in areports] == [True, False]
    assert len(recorder.named(GROUNDEDNESS_EVENT)) == 4
    outcomes = EntailkitGroundednessCheck(fake, mode="raise").batch(items, return_exceptions=True)
    assert outcomes[0] == S1 and isinstance(outcomes[1], UngroundedAnswerError)


# -- EntailkitRouter -----------------------------------------------------------------------------------

T = "{}"  # DEFAULT_ROUTE_TEMPLATE: a description is read as it is


def route_fake() -> FakeScorer:
    return FakeScorer({("invoice", T.format("billing questions")): 0.9, ("crash", T.format("technical problems")): 0.9})


def make_router(**options: Any) -> EntailkitRouter:
    routes = [Route("billing", "billing questions"), Route("tech", "technical problems")]
    return EntailkitRouter(routes=routes, scorer=route_fake(), **options)


def test_router_chain_dispatches_and_reports() -> None:
    router = make_router(threshold=0.6, fallback="other")
    chain = router.as_runnable(
        {"billing": RunnableLambda(lambda x: "BILL:" + x["query"]), "tech": lambda x: "TECH:" + x["query"]},
        default=RunnableLambda(lambda x: "DEFAULT"),
    )
    recorder = Recorder()
    assert chain.invoke({"query": "my invoice is wrong"}, {"callbacks": [recorder]}) == "BILL:my invoice is wrong"
    assert asyncio.run(chain.ainvoke({"query": "the app crash"})) == "TECH:the app crash"
    assert chain.invoke({"query": "hello there"}) == "DEFAULT"
    (event,) = recorder.named(ROUTE_EVENT)
    assert event["route"] == "billing" and set(event["scores"]) == {"billing", "tech"}
    routed = [m for m in recorder.chain_metadata if "entailkit_route" in m]
    assert routed and routed[0]["entailkit_route_scores"]["billing"] == pytest.approx(event["scores"]["billing"])
    with_decision = router.as_runnable({"billing": lambda x: 1}, default=lambda x: 0, include_decision=True)
    out = with_decision.invoke("an invoice")
    assert out["output"] == 1 and isinstance(out["decision"], RouteDecision)
    decisions = router.batch(["invoice", "crash", AIMessage(content="crash")])
    assert [d.route for d in decisions] == ["billing", "tech", "tech"]
    with pytest.raises(InvalidInputError):
        router.as_runnable({"nope": lambda x: x})
    with pytest.raises(InvalidInputError):
        router.as_runnable({"billing": lambda x: x}).invoke("hello there")  # fallback, no default


# -- end to end with real models and data ---------------------------------------------------------------


def test_real_retriever_rerank_sync_and_async(vector_store: Any, nli_scorer: Any, msmarco: Any) -> None:
    _, queries = msmarco
    query = queries[2]["text"]
    base = vector_store.as_retriever(search_kwargs={"k": 8})
    rerank = EntailkitRerank(scorer=nli_scorer, top_n=3)
    retriever = ContextualCompressionRetriever(base_compressor=rerank, base_retriever=base)
    docs = retriever.invoke(query)
    adocs = asyncio.run(retriever.ainvoke(query))
    assert len(docs) == 3 and [d.id for d in docs] == [d.id for d in adocs]
    scores = [d.metadata["relevance_score"] for d in docs]
    assert scores == sorted(scores, reverse=True) and all(0.0 <= s <= 1.0 for s in scores)
    candidates = base.invoke(query)
    before = copy.deepcopy(candidates)
    direct = rerank.compress_documents(candidates, query)
    assert candidates == before and "relevance_score" not in candidates[0].metadata
    assert [d.id for d in direct] == [d.id for d in docs]
    assert {d.id for d in docs} <= {d.id for d in candidates}


def test_real_pipeline_rerank_then_filter(vector_store: Any, nli_scorer: Any) -> None:
    pipeline = DocumentCompressorPipeline(
        transformers=[EntailkitRerank(scorer=nli_scorer, top_n=5), EntailkitDocumentFilter(scorer=nli_scorer)]
    )
    retriever = ContextualCompressionRetriever(
        base_compressor=pipeline, base_retriever=vector_store.as_retriever(search_kwargs={"k": 8})
    )
    docs = retriever.invoke("what is the fahrenheit scale")
    assert 1 <= len(docs) <= 5 and all("relevance_score" in d.metadata for d in docs)
    sick = ["A man is playing a guitar on the stage.", "A man is playing a guitar.", "A man is not playing a guitar."]
    out = EntailkitDocumentFilter(scorer=nli_scorer, duplicate_threshold=0.8).compress_documents(
        [Document(page_content=t, id=str(i)) for i, t in enumerate(sick)], ""
    )
    assert [d.id for d in out] == ["0", "2"] and out[1].metadata["entailkit_flag"] == "contradiction"


def test_real_lcel_chain_with_groundedness_check(vector_store: Any, nli_scorer: Any) -> None:
    retriever = ContextualCompressionRetriever(
        base_compressor=EntailkitRerank(scorer=nli_scorer, top_n=3),
        base_retriever=vector_store.as_retriever(search_kwargs={"k": 6}),
    )
    question = "what is the fahrenheit scale"
    top = retriever.invoke(question)[0].page_content
    copied = top.split(". ")[0].rstrip(".") + "."
    made_up = "The moon is made of green cheese."
    llm = FakeListChatModel(responses=[f"{copied} {made_up}"] * 4)
    prompt = ChatPromptTemplate.from_template("Context: {context}\n\nQuestion: {question}")
    answer = RunnableParallel(context=retriever, question=RunnablePassthrough()).assign(answer=prompt | llm)
    recorder = Recorder()
    report = (answer | EntailkitGroundednessCheck(nli_scorer)).invoke(question, {"callbacks": [recorder]})
    assert isinstance(report, GroundednessReport) and report.question == question
    assert [s.text for s in report.sentences][-1] == made_up
    assert report.sentences[-1].verdict != "supported"
    assert report.sentences[0].entailment > report.sentences[-1].entailment
    assert recorder.named(GROUNDEDNESS_EVENT) and recorder.named(RERANK_EVENT)
    guarded = (answer | EntailkitGroundednessCheck(nli_scorer, mode="strip")).invoke(question)
    assert isinstance(guarded, AIMessage) and "green cheese" not in guarded.content


def test_real_router_chain(nli_scorer: Any) -> None:
    routes = [
        Route("billing", "billing, invoices and payments"),
        Route("tech", "technical problems and software errors"),
    ]
    router = EntailkitRouter(routes=routes, scorer=nli_scorer)
    chain = router.as_runnable({"billing": lambda q: "billing-chain", "tech": lambda q: "tech-chain"})
    prompt_chain = RunnablePassthrough() | chain
    recorder = Recorder()
    out = prompt_chain.invoke("I was charged twice on my invoice", {"callbacks": [recorder]})
    (event,) = recorder.named(ROUTE_EVENT)
    assert out == "billing-chain" and event["route"] == "billing"
    assert prompt_chain.invoke("The app crashes when I open settings") == "tech-chain"
    assert set(event["scores"]) == {"billing", "tech"}
    assert sum(event["scores"].values()) == pytest.approx(1.0, abs=1e-6)


def test_real_rerank_fuses_first_stage_scores(msmarco: Any, embedding_scorer: Any, tmp_path: Any) -> None:
    """A relevance model trained on top of the MiniLM cosine gets it from an inner-product FAISS store."""
    import math

    from langchain_community.vectorstores import FAISS
    from langchain_community.vectorstores.utils import DistanceStrategy
    from langchain_entailkit import EntailkitEmbeddings

    from entailkit import load_scorer
    from entailkit.errors import InvalidInputError
    from entailkit.train.cross_encoder import train_cross_encoder
    from entailkit.train.data import RelevanceExample
    from entailkit.train.recipe import TrainConfig

    passages, queries = msmarco
    store = FAISS.from_texts(
        [p["text"] for p in passages],
        EntailkitEmbeddings(embedding_scorer),
        distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT,
    )
    query = queries[2]["text"]
    hits = store.similarity_search_with_score(query, k=8)
    docs = [Document(page_content=d.page_content, metadata={"cosine": float(s)}) for d, s in hits]
    rows = [
        RelevanceExample(query, d.page_content, float(i < 2), "t", d.metadata["cosine"]) for i, d in enumerate(docs)
    ]
    config = TrainConfig(max_steps=2, batch_size=4, max_length=128, num_threads=1, patience=0)
    train_cross_encoder(embedding_scorer.info.model, rows, dev=[], task="relevance", out_dir=tmp_path, config=config)
    scorer = load_scorer(str(tmp_path))
    fusion = scorer.info.first_stage
    assert fusion is not None
    before = copy.deepcopy(docs)
    out = EntailkitRerank(scorer=scorer, top_n=None, first_stage_key="cosine").compress_documents(docs, query)
    assert docs == before and len(out) == len(docs)
    logits = {
        d.page_content: s.logits[0]
        for d, s in zip(docs, scorer.score_pairs([d.page_content for d in docs], [query] * 8), strict=True)
    }
    for doc in out:
        z = logits[doc.page_content] + fusion.scale * doc.metadata["cosine"] + fusion.bias
        assert doc.metadata["relevance_score"] == pytest.approx(1 / (1 + math.exp(-z)), abs=1e-6)
    with pytest.raises(InvalidInputError, match="have no metadata"):
        EntailkitRerank(scorer=scorer, first_stage_key="score").compress_documents(docs, query)
