"""``entailkit bench quality``: accuracy, macro-F1, calibration error and nDCG@10 on real data.

For each model: SICK TEST accuracy (3-way heads; 2-way heads are scored entailment vs the rest), GLUE
RTE dev accuracy (entailment vs not), expected calibration error of the predicted class on SICK,
AG News zero-shot macro-F1 (labels World / Sports / Business / Sci/Tech), and nDCG@10 of reranking the
MS MARCO candidate pools (passage as premise, query as hypothesis), and how far ONNX int8 moves
the SICK entailment scores from fp32 (``entailkit.bench.int8``). Metrics a head cannot answer are
left out (a relevance head has no NLI classes; GLiClass has no pair head).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

from entailkit import metrics
from entailkit.bench import data
from entailkit.bench.int8 import int8_agreement
from entailkit.bench.peers import entailkit_pairs
from entailkit.bench.timing import Steps
from entailkit.scorers.loading import load_scorer

__all__ = ["DEFAULT_LIMITS", "model_quality", "ndcg_from_scores", "run_quality"]


def ndcg_from_scores(pairs: data.RerankSet, scores: np.ndarray, *, convention: str = "trec_eval") -> float:
    """Mean nDCG@10 over the queries of ``pairs`` when each pool is ranked by ``scores`` (higher first).

    ``convention="trec_eval"`` (the published key ``ndcg@10``): trec_eval's ``ndcg_cut_10``, linear gains,
    the ideal DCG of all the query's judgments. ``"pool"`` (key ``ndcg@10_pool``): gains 2**grade - 1 and
    the ideal of the best order of the query's candidate pool, so a perfect reranker of the pool scores
    1.0 (every pooled query averaged). See docs/metrics.md.

    Args:
        pairs: The query-passage pairs and their judgments.
        scores: One score per pair.
        convention: ``"trec_eval"`` or ``"pool"``.
    """
    pools: dict[str, list[tuple[float, str]]] = {}
    for qid, pid, score in zip(pairs.query_ids, pairs.passage_ids, scores, strict=True):
        pools.setdefault(qid, []).append((float(score), pid))
    run = {qid: [pid for _, pid in sorted(pool, key=lambda item: -item[0])] for qid, pool in pools.items()}
    if convention == "trec_eval":
        return metrics.mean_ndcg(run, pairs.qrels, 10)
    if convention != "pool":
        raise ValueError(f"convention must be 'trec_eval' or 'pool', got {convention!r}")
    pool_ids = {qid: [pid for _, pid in pool] for qid, pool in pools.items()}
    return metrics.mean_ndcg(run, pairs.qrels, 10, gains="exponential", ideal="pool", pool=pool_ids, queries="all")


def _nli_predictions(scorer: Any, premises: list[str], hypotheses: list[str]) -> tuple[list[str], np.ndarray]:
    """Predicted role per pair and the ``(n, n_roles)`` probabilities (3-way softmax, or entailment vs not
    on 2-way heads; columns in the order of ``_roles``)."""
    scores = scorer.score_pairs(premises, hypotheses)
    names = _roles(scorer)
    rows = []
    for item in scores.items:
        if scorer.info.head == "nli3":
            rows.append([float(item.entailment or 0.0), float(item.neutral or 0.0), float(item.contradiction or 0.0)])
        else:
            rows.append([float(item.entailment or 0.0), 1.0 - float(item.entailment or 0.0)])
    probs = np.array(rows, dtype=np.float64).reshape(len(rows), len(names))
    return [names[i] for i in probs.argmax(axis=1)], probs


def _roles(scorer: Any) -> list[str]:
    return (
        ["entailment", "neutral", "contradiction"] if scorer.info.head == "nli3" else ["entailment", "not_entailment"]
    )


def _collapse(label: str) -> str:
    return "entailment" if label == "entailment" else "not_entailment"


def model_quality(model: Path, shared: Path, *, limits: dict[str, int | None], steps: Steps) -> dict[str, Any]:
    """Every metric the model's head supports, on the first ``limits[name]`` rows of each set.

    Args:
        model: The model folder (loaded on the CPU).
        shared: The shared folder with the data sets.
        limits: Rows per data set (``sick``, ``rte``, ``ag_news``, ``msmarco``; None: all).
        steps: The progress bar to advance.
    """
    scorer = load_scorer(model, device="cpu")
    out: dict[str, Any] = {"model": str(model), "head": scorer.info.head, "dtype": scorer.info.dtype}
    if scorer.info.head in ("nli2", "nli3"):
        premises, hypotheses, gold = data.sick_test(shared, limits.get("sick"))
        predicted, probs = _nli_predictions(scorer, premises, hypotheses)
        if scorer.info.head == "nli2":
            gold = [_collapse(g) for g in gold]
        out["sick_accuracy"] = metrics.accuracy(gold, predicted)
        # ECE of the predicted class (torchmetrics' multiclass binning, 15 bins): docs/metrics.md
        names = _roles(scorer)
        out["sick_ece"] = metrics.expected_calibration_error(probs, [names.index(g) for g in gold], kind="top_label")
        out["sick_rows"] = len(gold)
        steps.advance("quality: SICK")
        premises, hypotheses, gold = data.rte_dev(shared, limits.get("rte"))
        predicted, _ = _nli_predictions(scorer, premises, hypotheses)
        out["rte_accuracy"] = metrics.accuracy(gold, [_collapse(p) for p in predicted])
        out["rte_rows"] = len(gold)
        steps.advance("quality: RTE")
        if find_spec("onnxruntime") is not None and scorer.info.kind == "cross-encoder":
            out["int8_vs_fp32"] = int8_agreement(model, shared, limit=limits.get("int8"))
            steps.advance("quality: int8 vs fp32")
    if scorer.info.head != "relevance":
        texts, gold = data.ag_news(shared, limits.get("ag_news"), balanced=True)
        labels = list(data.AG_NEWS_LABELS)
        result = scorer.score_labels(texts, labels)
        predicted = [item.labels[int(np.argmax(item.scores))] for item in result.items]
        out["ag_news_macro_f1"] = metrics.macro_f1(gold, predicted, labels)
        out["ag_news_rows"] = len(gold)
        steps.advance("quality: AG News")
    if scorer.info.kind == "cross-encoder":
        pairs = data.msmarco_pairs(shared, limits.get("msmarco") or 2000)
        ranked = entailkit_pairs(scorer)(pairs.passages, pairs.queries)
        out["msmarco_ndcg@10"] = ndcg_from_scores(pairs, ranked)
        out["msmarco_ndcg@10_pool"] = ndcg_from_scores(pairs, ranked, convention="pool")
        out["msmarco_pairs"] = len(pairs)
        steps.advance("quality: MS MARCO")
    return out


DEFAULT_LIMITS: dict[str, int | None] = {"sick": 1000, "rte": None, "ag_news": 400, "msmarco": 2000, "int8": None}
"""Rows per data set; ``int8`` is the SICK test rows of the int8-vs-fp32 comparison (None: all)."""


def run_quality(
    models: Sequence[Path], shared: Path, *, limits: dict[str, int | None] | None = None, show_progress: bool = False
) -> dict[str, Any]:
    """Quality of each model; ``limits`` caps rows per data set (None = all rows).

    Args:
        models: The model folders.
        shared: The shared folder with the data sets.
        limits: Rows per data set, over ``DEFAULT_LIMITS``.
        show_progress: Show a progress bar.

    Returns:
        ``{"limits": ..., "models": [one dict of metrics per model]}``.
    """
    chosen = dict(DEFAULT_LIMITS) | dict(limits or {})
    steps = Steps(show_progress)
    with steps.running(5 * len(models), "bench quality"):
        results = [model_quality(Path(m), shared, limits=chosen, steps=steps) for m in models]
    return {"limits": chosen, "models": results}
