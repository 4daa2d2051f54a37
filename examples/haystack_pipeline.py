"""A Haystack pipeline on one small local NLI model: BM25 retrieval, entailkit reranking, a guard that
strips unsupported sentences from an answer, an evaluator, and a zero-shot router.

Run from the repository root:  python examples/haystack_pipeline.py
Needs: pip install -e integrations/haystack (entailkit-haystack, haystack-ai), and ../shared (the MS MARCO
subset and models/minilm-l6-general-nli); exits 2 with a message when something is missing.
"""

from __future__ import annotations

import json
import sys

from _shared import GENERAL_NLI, MSMARCO, require, require_module

CORPUS = MSMARCO / "corpus.jsonl"
QRELS = MSMARCO / "qrels" / "test.tsv"
QUERY = "causes of left ventricular hypertrophy"  # query 87181 of the subset
QUERY_ID = "87181"
N_PASSAGES = 100


def main() -> int:
    require_module("haystack", "pip install 'haystack-ai>=2.9'")
    require_module("haystack_integrations.components.rankers.entailkit", "pip install -e integrations/haystack")
    require(CORPUS, QRELS, GENERAL_NLI)

    from haystack.components.retrievers.in_memory import InMemoryBM25Retriever
    from haystack.document_stores.in_memory import InMemoryDocumentStore
    from haystack_integrations.components.evaluators.entailkit import (
        EntailkitGroundednessEvaluator,
        EntailkitGroundednessGuard,
    )
    from haystack_integrations.components.rankers.entailkit import EntailkitRanker
    from haystack_integrations.components.routers.entailkit import EntailkitRouter

    from entailkit import split_sentences
    from haystack import Document, Pipeline

    model = str(GENERAL_NLI)  # every component names it: one model in memory for all of them

    # A small corpus: the first passages of the subset plus those judged for the query.
    judged = {line.split("\t")[1] for line in QRELS.read_text().splitlines() if line.startswith(QUERY_ID + "\t")}
    with CORPUS.open(encoding="utf-8") as f:
        rows = [row for i, row in enumerate(map(json.loads, f)) if i < N_PASSAGES or row["_id"] in judged]
    store = InMemoryDocumentStore()
    store.write_documents([Document(id=r["_id"], content=r["text"]) for r in rows])

    rag = Pipeline()
    rag.add_component("retriever", InMemoryBM25Retriever(document_store=store, top_k=10))
    rag.add_component("ranker", EntailkitRanker(model=model, top_k=3))
    rag.add_component("guard", EntailkitGroundednessGuard(model=model, mode="strip"))
    rag.connect("retriever.documents", "ranker.documents")
    rag.connect("ranker.documents", "guard.documents")

    # A made-up reply standing in for an LLM's: its first sentence is taken from a passage, its second invented.
    best = rag.run(
        {"retriever": {"query": QUERY}, "ranker": {"query": QUERY}, "guard": {"replies": []}},
        include_outputs_from={"ranker"},
    )
    sentences = [text for doc in best["ranker"]["documents"] for text, _ in split_sentences(doc.content)]
    first = next((text for text in sentences if "hypertrophy" in text.lower()), sentences[0])
    reply = f"{first} It is caused by eating too much chocolate."

    data = {"retriever": {"query": QUERY}, "ranker": {"query": QUERY}, "guard": {"replies": [reply]}}
    out = rag.run(data, include_outputs_from={"ranker"})
    print(f"query: {QUERY}")
    for doc in out["ranker"]["documents"]:
        print(f"  {doc.score:.3f}  {doc.content[:90]}")
    result = out["guard"]["results"][0]
    for verdict, support, sentence in zip(
        result["statement_verdicts"], result["statement_support"], result["statements"], strict=True
    ):
        print(f"  {verdict:12s} {support:.3f}  {sentence}")
    print(f"guarded reply: {out['guard']['replies'][0]}")

    # The same pipeline from its YAML: the model id is in it, never the loaded model.
    again = Pipeline.loads(rag.dumps())
    same = again.run(data, include_outputs_from={"ranker"})
    assert [d.score for d in same["ranker"]["documents"]] == [d.score for d in out["ranker"]["documents"]]
    print("Pipeline.loads(Pipeline.dumps()) gives the same scores")

    evaluator = EntailkitGroundednessEvaluator(model=model)
    contexts = [d.content for d in out["ranker"]["documents"]]
    scores = evaluator.run(predicted_answers=[reply, first], contexts=[contexts, contexts])
    print(f"faithfulness: {scores['score']:.2f} (per answer {scores['individual_scores']})")

    router = EntailkitRouter(model=model, routes=["medicine and health", "food and cooking"])
    for text in (QUERY, "what types of food can you cook sous vide"):
        decision = router.run(text=text)["decision"]
        print(f"route: {decision['route']!r:22s} {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
