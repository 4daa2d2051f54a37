"""Evaluate a reranker with entailkit.metrics: nDCG@10 (trec_eval and a named other convention), MRR, recall.

Reranks the judged passages plus 10 random other passages of 5 MS MARCO / TREC-DL queries with the SICK
NLI model and scores the rankings with the metrics every entailkit figure comes from. Uses ../shared (or
$ENTAILKIT_SHARED); exits 2 with a message when absent.

    python examples/evaluate_rerank.py
"""

from __future__ import annotations

import random
import sys

from _shared import MSMARCO, SICK_NLI, require

from entailkit import Reranker, load_scorer, metrics
from entailkit.train import load_beir


def main() -> int:
    require(SICK_NLI, MSMARCO / "corpus.jsonl")
    data = load_beir(MSMARCO)
    rng = random.Random(0)
    corpus_ids = sorted(data.corpus)
    queries = sorted(q for q in data.qrels if data.qrels[q])[:5]
    reranker = Reranker(load_scorer(SICK_NLI, device="cpu"))
    run = {}
    for qid in queries:
        pool = sorted(set(data.qrels[qid]) | set(rng.sample(corpus_ids, 10)))
        ranked = reranker.rerank(data.queries[qid], [data.corpus[p] for p in pool])
        run[qid] = [pool[item.index] for item in ranked]
    print(f"{len(queries)} queries, {sum(len(r) for r in run.values())} passages reranked")
    print(f"nDCG@10 (trec_eval)        {metrics.mean_ndcg(run, data.qrels, 10):.4f}")
    print(
        f"nDCG@10 (2^g-1, all)       {metrics.mean_ndcg(run, data.qrels, 10, gains='exponential', queries='all'):.4f}"
    )
    print(f"MRR@10                     {metrics.mean_mrr(run, data.qrels, 10):.4f}")
    print(f"recall@10                  {metrics.mean_recall(run, data.qrels, 10):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
