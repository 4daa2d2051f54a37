"""int8 against fp32 on one NLI checkpoint: how far the scores move and how many decisions flip.

The two are the same model; what differs is the arithmetic, so the figures are differences, not
accuracy: the entailment score's absolute difference (percentiles and maximum) over SICK test, the share
of pairs on the same side of the default threshold (0.5, the groundedness checker's and multi-label
classification's), and the share with the same top NLI class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from entailkit.bench import data
from entailkit.scorers.loading import load_scorer

__all__ = ["DEFAULT_DECISION_THRESHOLD", "int8_agreement"]

DEFAULT_DECISION_THRESHOLD = 0.5


def int8_agreement(model: Path, shared: Path, *, limit: int | None = None) -> dict[str, Any]:
    """Entailment-score differences and decision agreement of ONNX int8 against torch fp32 on SICK test.

    Args:
        model: An NLI cross-encoder folder (2- or 3-label head).
        shared: The shared folder with the data sets.
        limit: SICK test rows (None: all 4,906).
    """
    premises, hypotheses, _ = data.sick_test(shared, limit)
    fp32 = load_scorer(model, device="cpu").score_pairs(premises, hypotheses)
    int8 = load_scorer(model, backend="onnx", quantize="int8").score_pairs(premises, hypotheses)
    a = np.array([float(item.entailment or 0.0) for item in fp32.items])
    b = np.array([float(item.entailment or 0.0) for item in int8.items])
    diff = np.abs(a - b)
    top_a = [int(np.argmax(item.logits)) for item in fp32.items]
    top_b = [int(np.argmax(item.logits)) for item in int8.items]
    threshold = DEFAULT_DECISION_THRESHOLD
    return {
        "pairs": len(premises),
        "abs_diff": {f"p{q}": float(np.percentile(diff, q)) for q in (50, 90, 99)} | {"max": float(diff.max())},
        "decision_agreement": float(np.mean((a >= threshold) == (b >= threshold))),
        "threshold": threshold,
        "top_class_agreement": float(np.mean(np.array(top_a) == np.array(top_b))),
    }
