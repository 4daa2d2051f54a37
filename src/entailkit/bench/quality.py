"""``entailkit bench quality``: accuracy, macro-F1, calibration error and nDCG@10 on real data.

For each model: SICK TEST accuracy (3-way heads; 2-way heads are scored entailment vs the rest), GLUE
RTE dev accuracy (entailment vs not), expected calibration error of the predicted class on SICK,
AG News zero-shot macro-F1 (labels World / Sports / Business / Sci/Tech), and nDCG@10 of reranking the
MS MARCO candidate pools (passage as premise, query as hypothesis). Metrics a head cannot answer are
left out (a relevance head has no NLI classes; GLiClass has no pair head).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from entailkit.bench import data
from entailkit.bench.peers import entailkit_pairs
from entailkit.bench.timing import Steps
from entailkit.scorers.loading import load_scorer

__all__ = [
    "DEFAULT_LIMITS",
    "expected_calibration_error",
    "macro_f1",
    "model_quality",
    "ndcg_at_10",
    "ndcg_from_scores",
    "run_quality",
]


def ndcg_at_10(ranked: Sequence[str], judged: Mapping[str, float], pool: Sequence[str]) -> float:
    """nDCG@10 with gains 2**grade - 1; the ideal ranking is the best order of the candidate pool.

    Args:
        ranked: The pool's passage ids, best first.
        judged: Passage id -> grade.
        pool: The candidate pool (0.0 when none of it is relevant).
    """
    gain = [float(2 ** judged.get(doc, 0) - 1) for doc in ranked[:10]]
    dcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(gain))
    ideal = sorted((float(2 ** judged.get(doc, 0) - 1) for doc in pool), reverse=True)[:10]
    idcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def ndcg_from_scores(pairs: data.RerankSet, scores: np.ndarray) -> float:
    """Mean nDCG@10 over the queries of ``pairs`` when each pool is ranked by ``scores`` (higher first).

    Args:
        pairs: The query-passage pairs and their judgments.
        scores: One score per pair.
    """
    pools: dict[str, list[tuple[float, str]]] = {}
    for qid, pid, score in zip(pairs.query_ids, pairs.passage_ids, scores, strict=True):
        pools.setdefault(qid, []).append((float(score), pid))
    values = []
    for qid, pool in pools.items():
        ranked = [pid for _, pid in sorted(pool, key=lambda item: -item[0])]
        values.append(ndcg_at_10(ranked, pairs.qrels.get(qid, {}), [pid for _, pid in pool]))
    return float(np.mean(values)) if values else 0.0


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """ECE with equal-width bins over the confidence of the predicted class.

    Args:
        confidence: The predicted class's probability per item.
        correct: Whether each prediction is right.
        bins: Equal-width bins over (0, 1].
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    total, ece = len(confidence), 0.0
    for low, high in itertools.pairwise(edges):
        mask = (confidence > low) & (confidence <= high)
        if mask.any():
            ece += mask.sum() / total * abs(float(correct[mask].mean()) - float(confidence[mask].mean()))
    return float(ece)


def macro_f1(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> float:
    """Unweighted mean of per-label F1.

    Args:
        gold: The gold labels.
        predicted: The predicted labels, one per gold label.
        labels: The labels to average over.
    """
    scores = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def _nli_predictions(scorer: Any, premises: list[str], hypotheses: list[str]) -> tuple[list[str], np.ndarray]:
    """Predicted role and its probability per pair (3-way softmax, or entailment vs not on 2-way heads)."""
    scores = scorer.score_pairs(premises, hypotheses)
    roles, confidence = [], []
    for item in scores.items:
        if scorer.info.head == "nli3":
            probs = {"entailment": item.entailment, "neutral": item.neutral, "contradiction": item.contradiction}
        else:
            probs = {"entailment": item.entailment, "not_entailment": 1.0 - float(item.entailment)}
        role = max(probs, key=lambda r: float(probs[r] or 0.0))
        roles.append(role)
        confidence.append(float(probs[role] or 0.0))
    return roles, np.array(confidence)


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
        predicted, confidence = _nli_predictions(scorer, premises, hypotheses)
        if scorer.info.head == "nli2":
            gold = [_collapse(g) for g in gold]
        correct = np.array([p == g for p, g in zip(predicted, gold, strict=True)])
        out["sick_accuracy"] = float(correct.mean())
        out["sick_ece"] = expected_calibration_error(confidence, correct)
        out["sick_rows"] = len(gold)
        steps.advance("quality: SICK")
        premises, hypotheses, gold = data.rte_dev(shared, limits.get("rte"))
        predicted, _ = _nli_predictions(scorer, premises, hypotheses)
        out["rte_accuracy"] = float(np.mean([_collapse(p) == g for p, g in zip(predicted, gold, strict=True)]))
        out["rte_rows"] = len(gold)
        steps.advance("quality: RTE")
    if scorer.info.head != "relevance":
        texts, gold = data.ag_news(shared, limits.get("ag_news"), balanced=True)
        labels = list(data.AG_NEWS_LABELS)
        result = scorer.score_labels(texts, labels)
        predicted = [item.labels[int(np.argmax(item.scores))] for item in result.items]
        out["ag_news_macro_f1"] = macro_f1(gold, predicted, labels)
        out["ag_news_rows"] = len(gold)
        steps.advance("quality: AG News")
    if scorer.info.kind == "cross-encoder":
        pairs = data.msmarco_pairs(shared, limits.get("msmarco") or 2000)
        out["msmarco_ndcg@10"] = ndcg_from_scores(pairs, entailkit_pairs(scorer)(pairs.passages, pairs.queries))
        out["msmarco_pairs"] = len(pairs)
        steps.advance("quality: MS MARCO")
    return out


DEFAULT_LIMITS: dict[str, int | None] = {"sick": 1000, "rte": None, "ag_news": 400, "msmarco": 2000}


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
    with steps.running(4 * len(models), "bench quality"):
        results = [model_quality(Path(m), shared, limits=chosen, steps=steps) for m in models]
    return {"limits": chosen, "models": results}
