"""One definition per metric, each checked against its reference library (tests/unit/test_metrics_parity.py).

Ranking metrics follow trec_eval (``ndcg_cut``, ``recip_rank``, ``recall``) unless another convention is
named; classification metrics follow scikit-learn with ``zero_division=0``; the expected calibration error
bins as torchmetrics does. numpy only; inputs are never modified. See docs/metrics.md.
"""

from __future__ import annotations

from entailkit.metrics._calibration import CalibrationKind, expected_calibration_error
from entailkit.metrics._classification import accuracy, auroc, balanced_accuracy, f1, macro_f1, precision, recall
from entailkit.metrics._ranking import (
    Gains,
    Ideal,
    Queries,
    mean_mrr,
    mean_ndcg,
    mean_recall,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
)

__all__ = [
    "CalibrationKind",
    "Gains",
    "Ideal",
    "Queries",
    "accuracy",
    "auroc",
    "balanced_accuracy",
    "expected_calibration_error",
    "f1",
    "macro_f1",
    "mean_mrr",
    "mean_ndcg",
    "mean_recall",
    "mrr_at_k",
    "ndcg_at_k",
    "precision",
    "recall",
    "recall_at_k",
]
