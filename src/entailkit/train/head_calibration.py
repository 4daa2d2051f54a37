"""Calibrate a trained NLI head for groundedness and fold the calibration into its weights.

Why: a checker's default threshold (0.5) should mean "as likely supported as not". A temperature ``T``
on every logit and a shift ``delta`` on the entailment logit change P(entailment) to
``sigmoid(z_e / T + delta - logsumexp(z_others / T))``; both are exact edits of the classifier's last
linear layer (``W / T``, ``b / T``, ``b_e + delta``), so the saved checkpoint gives calibrated
probabilities to every surface (scorer, checker, server) with no extra file to ship or forget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from entailkit.errors import InvalidInputError, ModelLoadError

__all__ = ["HeadCalibration", "fit_head_calibration", "fold_head_calibration", "supported_probability"]


@dataclass(frozen=True)
class HeadCalibration:
    """A temperature on every logit and a shift of the entailment logit (after the temperature)."""

    temperature: float
    entailment_shift: float


def _log_odds(logits: np.ndarray, entailment: int, temperature: float, shift: float) -> np.ndarray:
    scaled = logits / temperature
    others = np.delete(scaled, entailment, axis=1)
    top = others.max(axis=1, keepdims=True)
    rest = (top + np.log(np.exp(others - top).sum(axis=1, keepdims=True)))[:, 0]
    return np.asarray(scaled[:, entailment] + shift - rest, dtype=np.float64)


def supported_probability(logits: np.ndarray, entailment: int, calibration: HeadCalibration | None = None) -> np.ndarray:
    """P(entailment) of each row of ``logits``, under ``calibration`` (None: as the head gives it).

    Args:
        logits: ``(n, k)`` raw logits of a k-way NLI head (k >= 2).
        entailment: The column of the entailment class.
        calibration: The temperature and shift to apply.
    """
    cal = calibration or HeadCalibration(1.0, 0.0)
    z = _log_odds(np.asarray(logits, dtype=np.float64), entailment, cal.temperature, cal.entailment_shift)
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


def fit_head_calibration(logits: np.ndarray, supported: Sequence[int], entailment: int) -> HeadCalibration:
    """The temperature and entailment shift that minimise the log loss of P(supported) on held-out pairs.

    A two-parameter fit (L-BFGS over log T and the shift): unlike Platt scaling on the entailment
    log-odds, it stays an exact edit of a 3-way head.

    Args:
        logits: ``(n, k)`` raw logits of held-out claim-passage pairs (never the benchmark's).
        supported: 1 where the claim is supported, else 0 (both present).
        entailment: The column of the entailment class.

    Raises:
        InvalidInputError: Shapes disagree, fewer than 2 classes, or one label only.
    """
    from scipy.optimize import minimize

    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(supported, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] < 2 or len(y) != len(z) or not 0 <= entailment < z.shape[1]:
        raise InvalidInputError("logits must be (n, k >= 2) with one label per row and a valid entailment column.")
    if len(set(y.tolist())) != 2:
        raise InvalidInputError("calibration needs both supported (1) and unsupported (0) pairs.")

    def loss(params: np.ndarray) -> float:
        odds = _log_odds(z, entailment, float(np.exp(params[0])), float(params[1]))
        return float(np.mean(np.logaddexp(0.0, odds) - y * odds))

    best = minimize(loss, np.zeros(2), method="L-BFGS-B", bounds=[(-3.0, 3.0), (-10.0, 10.0)])
    return HeadCalibration(float(np.exp(best.x[0])), float(best.x[1]))


def _last_linear(model: Any, num_labels: int) -> Any:
    import torch

    found = [m for m in model.modules() if isinstance(m, torch.nn.Linear) and m.out_features == num_labels]
    if not found:
        raise ModelLoadError(f"no linear layer with {num_labels} outputs to fold a calibration into.")
    return found[-1]


def fold_head_calibration(model_dir: str | Path, calibration: HeadCalibration) -> None:
    """Rewrite the saved model's classifier so its logits are the calibrated ones (in place).

    Args:
        model_dir: A sequence-classification checkpoint folder with an ``entailment`` label.
        calibration: What ``fit_head_calibration`` returned.

    Raises:
        ModelLoadError: The folder cannot be loaded, or has no entailment label or classifier layer.
    """
    import torch
    from transformers import AutoModelForSequenceClassification

    try:
        model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), dtype=torch.float32)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot load {model_dir!s}: {exc}") from exc
    labels = {str(v).lower(): int(k) for k, v in model.config.id2label.items()}
    if "entailment" not in labels:
        raise ModelLoadError(f"{model_dir!s} has no entailment label ({sorted(labels)}).")
    layer = _last_linear(model, model.config.num_labels)
    if layer.bias is None and calibration.entailment_shift != 0.0:
        raise ModelLoadError(f"{model_dir!s}: the classifier has no bias to shift.")
    with torch.no_grad():
        layer.weight /= calibration.temperature
        if layer.bias is not None:
            layer.bias /= calibration.temperature
            layer.bias[labels["entailment"]] += calibration.entailment_shift
    model.save_pretrained(str(model_dir), safe_serialization=True)
