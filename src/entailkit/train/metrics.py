"""Evaluation metrics in plain numpy: accuracy, macro-F1, nDCG@k and expected calibration error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from entailkit.errors import InvalidInputError

__all__ = ["accuracy", "dcg", "expected_calibration_error", "macro_f1", "mean_ndcg", "ndcg_at_k"]


def accuracy(y_true: Sequence[object], y_pred: Sequence[object]) -> float:
    """Share of exact matches; 0.0 for empty input.

    Args:
        y_true: The gold labels.
        y_pred: The predicted labels, one per gold label.

    Raises:
        InvalidInputError: The lengths differ.
    """
    if len(y_true) != len(y_pred):
        raise InvalidInputError(f"y_true has {len(y_true)} items but y_pred has {len(y_pred)}")
    if not y_true:
        return 0.0
    return float(sum(t == p for t, p in zip(y_true, y_pred, strict=True)) / len(y_true))


def macro_f1(y_true: Sequence[object], y_pred: Sequence[object], labels: Sequence[object] | None = None) -> float:
    """Unweighted mean of per-class F1 over ``labels`` (default: every class seen in y_true or y_pred).

    Args:
        y_true: The gold labels.
        y_pred: The predicted labels, one per gold label.
        labels: The classes to average over (a class never seen scores 0.0).

    Raises:
        InvalidInputError: The lengths differ.
    """
    if len(y_true) != len(y_pred):
        raise InvalidInputError(f"y_true has {len(y_true)} items but y_pred has {len(y_pred)}")
    classes = list(labels) if labels is not None else sorted({*y_true, *y_pred}, key=str)
    if not classes:
        return 0.0
    scores = []
    for cls in classes:
        tp = sum(t == cls and p == cls for t, p in zip(y_true, y_pred, strict=True))
        fp = sum(t != cls and p == cls for t, p in zip(y_true, y_pred, strict=True))
        fn = sum(t == cls and p != cls for t, p in zip(y_true, y_pred, strict=True))
        denom = 2 * tp + fp + fn
        scores.append(2 * tp / denom if denom else 0.0)
    return float(np.mean(scores))


def dcg(gains: Sequence[float], k: int = 10) -> float:
    """Discounted cumulative gain of the first ``k`` gains (linear gain, log2 discount).

    Args:
        gains: The gains in ranked order.
        k: The cut-off.
    """
    top = np.asarray(list(gains)[:k], dtype=np.float64)
    return float(np.sum(top / np.log2(np.arange(2, top.size + 2)))) if top.size else 0.0


def ndcg_at_k(ranked_ids: Sequence[str], qrels: Mapping[str, float], k: int = 10) -> float:
    """nDCG@k of one ranking against graded judgments (unjudged ids have gain 0).

    Args:
        ranked_ids: The ranking, best first.
        qrels: Passage id -> graded judgment (0.0 returned when none is positive).
        k: The cut-off.
    """
    ideal = dcg(sorted((g for g in qrels.values() if g > 0), reverse=True), k)
    if ideal == 0.0:
        return 0.0
    return dcg([float(qrels.get(doc, 0.0)) for doc in ranked_ids], k) / ideal


def mean_ndcg(run: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, float]], k: int = 10) -> float:
    """Mean nDCG@k over the queries of ``run`` that have positive judgments.

    Args:
        run: Query id -> ranking, best first.
        qrels: Query id -> passage id -> graded judgment.
        k: The cut-off.
    """
    values = [
        ndcg_at_k(ranked, qrels[qid], k)
        for qid, ranked in run.items()
        if qid in qrels and any(g > 0 for g in qrels[qid].values())
    ]
    return float(np.mean(values)) if values else 0.0


def expected_calibration_error(probs: npt.ArrayLike, y_true: Sequence[int], n_bins: int = 15) -> float:
    """ECE of the top-class confidence: binned |accuracy - confidence| weighted by bin size.

    Args:
        probs: ``(n, k)`` class probabilities, or ``(n,)`` probabilities of class 1 for a binary problem.
        y_true: The true class index of each row.
        n_bins: Equal-width confidence bins.

    Returns:
        The ECE (0.0 for no rows).

    Raises:
        InvalidInputError: ``probs`` and ``y_true`` have different lengths.
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 1:
        p = np.stack([1.0 - p, p], axis=1)
    if p.shape[0] != len(y_true):
        raise InvalidInputError(f"probs has {p.shape[0]} rows but y_true has {len(y_true)} items")
    if p.shape[0] == 0:
        return 0.0
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == np.asarray(y_true)).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)
