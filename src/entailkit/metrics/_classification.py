"""Classification metrics in scikit-learn's conventions (``zero_division=0``): accuracy, precision, recall,
F1, macro-F1, balanced accuracy and binary AUROC."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from entailkit.errors import InvalidInputError
from entailkit.metrics._checks import check_same_length, label_array, real_array

__all__ = ["Labels", "accuracy", "auroc", "balanced_accuracy", "f1", "macro_f1", "precision", "recall"]

Labels = Sequence[Any] | np.ndarray[Any, Any]


def _pair(y_true: Any, y_pred: Any, second: str = "y_pred") -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    t, p = label_array(y_true, "y_true"), label_array(y_pred, second)
    check_same_length(t, p, ("y_true", second))
    return t, p


def _counts(t: np.ndarray[Any, Any], p: np.ndarray[Any, Any], label: Any) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of ``label`` against the rest."""
    is_t, is_p = np.asarray(t == label, dtype=bool), np.asarray(p == label, dtype=bool)
    return int(np.sum(is_t & is_p)), int(np.sum(~is_t & is_p)), int(np.sum(is_t & ~is_p))


def _f1(tp: int, fp: int, fn: int) -> float:
    denom = 2 * tp + fp + fn
    return 2 * tp / denom if denom else 0.0


def accuracy(y_true: Labels, y_pred: Labels) -> float:
    """Share of exact matches (scikit-learn ``accuracy_score``); 0.0 for empty input.

    Args:
        y_true: The gold labels.
        y_pred: The predicted labels, one per gold label.

    Raises:
        InvalidInputError: The lengths differ.
    """
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.asarray(t == p, dtype=bool))) if t.size else 0.0


def precision(y_true: Labels, y_pred: Labels, *, pos_label: Any = 1) -> float:
    """tp / (tp + fp) of ``pos_label`` against every other label; 0.0 when nothing is predicted positive
    (scikit-learn ``precision_score``, ``zero_division=0``).

    Args:
        y_true: The gold labels.
        y_pred: The predicted labels, one per gold label.
        pos_label: The positive class.

    Raises:
        InvalidInputError: The lengths differ.
    """
    tp, fp, _ = _counts(*_pair(y_true, y_pred), pos_label)
    return tp / (tp + fp) if tp + fp else 0.0


def recall(y_true: Labels, y_pred: Labels, *, pos_label: Any = 1) -> float:
    """tp / (tp + fn) of ``pos_label`` against every other label; 0.0 when no gold label is positive
    (scikit-learn ``recall_score``, ``zero_division=0``).

    Args:
        y_true: The gold labels.
        y_pred: The predicted labels, one per gold label.
        pos_label: The positive class.

    Raises:
        InvalidInputError: The lengths differ.
    """
    tp, _, fn = _counts(*_pair(y_true, y_pred), pos_label)
    return tp / (tp + fn) if tp + fn else 0.0


def f1(y_true: Labels, y_pred: Labels, *, pos_label: Any = 1) -> float:
    """F1 = 2tp / (2tp + fp + fn) of ``pos_label`` against every other label; 0.0 when tp + fp + fn = 0
    (scikit-learn ``f1_score``, ``zero_division=0``).

    Args:
        y_true: The gold labels.
        y_pred: The predicted labels, one per gold label.
        pos_label: The positive class.

    Raises:
        InvalidInputError: The lengths differ.
    """
    return _f1(*_counts(*_pair(y_true, y_pred), pos_label))


def macro_f1(y_true: Labels, y_pred: Labels, labels: Sequence[Any] | None = None) -> float:
    """Unweighted mean of per-class F1 (scikit-learn ``f1_score(average="macro", zero_division=0)``).

    Args:
        y_true: The gold labels.
        y_pred: The predicted labels, one per gold label.
        labels: The classes averaged over (a class in neither list scores 0.0); default: every class
            seen in ``y_true`` or ``y_pred``.

    Returns:
        The macro-F1; 0.0 with no class to average.

    Raises:
        InvalidInputError: The lengths differ.
    """
    t, p = _pair(y_true, y_pred)
    classes = list(dict.fromkeys([*t.tolist(), *p.tolist()])) if labels is None else list(labels)
    if not classes:
        return 0.0
    return float(np.mean([_f1(*_counts(t, p, cls)) for cls in classes]))


def balanced_accuracy(y_true: Labels, y_pred: Labels) -> float:
    """Mean recall over the classes present in ``y_true`` (scikit-learn ``balanced_accuracy_score``);
    robust to class imbalance where accuracy is not. 0.0 for empty input.

    Args:
        y_true: The gold labels.
        y_pred: The predicted labels, one per gold label.

    Raises:
        InvalidInputError: The lengths differ.
    """
    t, p = _pair(y_true, y_pred)
    classes = list(dict.fromkeys(t.tolist()))
    if not classes:
        return 0.0
    recalls = []
    for cls in classes:
        tp, _, fn = _counts(t, p, cls)
        recalls.append(tp / (tp + fn))
    return float(np.mean(recalls))


def auroc(y_true: Labels, scores: Sequence[float] | np.ndarray[Any, Any]) -> float:
    """Area under the ROC curve of binary scores (scikit-learn ``roc_auc_score``): the chance that a random
    positive scores above a random negative, tied scores counting one half.

    Args:
        y_true: 0/1 labels (bools allowed).
        scores: Higher means more likely positive, one per label.

    Returns:
        The AUROC; 0.5 (chance) for empty input.

    Raises:
        InvalidInputError: The lengths differ, a label is not 0/1, a score is not finite, or (non-empty
            input) only one class is present: the AUROC is undefined then (scikit-learn raises too).
    """
    t = label_array(y_true, "y_true")
    s = real_array(scores, "scores")
    check_same_length(t, s, ("y_true", "scores"))
    if t.size == 0:
        return 0.5
    if any(v not in (0, 1) for v in t.tolist()):
        raise InvalidInputError("y_true must hold 0/1 labels only (bools allowed).")
    positive = np.asarray(t, dtype=np.float64) == 1.0
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        raise InvalidInputError("auroc needs both classes in y_true; with one class the ROC curve is undefined.")
    ranks = _average_ranks(s)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_ranks(values: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """1-based ranks, ties sharing the mean of their ranks (the Mann-Whitney U convention)."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    mean_rank = (starts + ends + 1) / 2.0  # ranks starts+1 .. ends, averaged
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks
