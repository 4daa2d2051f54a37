"""Calibration results: the calibration method, expected calibration error and precision at a threshold."""

from __future__ import annotations

from typing import Literal

from entailkit.types._base import _Frozen

__all__ = ["CalibrationMethod", "CalibrationReport", "PrecisionPoint"]

CalibrationMethod = Literal["temperature", "platt", "isotonic"]
"""How raw scores become calibrated probabilities: one temperature on the log-odds, Platt's 1-D logistic
regression on the log-odds, or a monotone step function (isotonic regression)."""


class CalibrationReport(_Frozen):
    """Expected calibration error (ECE) of one split before and after calibration."""

    split: Literal["calibration", "held_out"]
    n: int
    positives: int
    ece_before: float
    """ECE of the raw scores."""
    ece_after: float
    """ECE of the calibrated scores."""
    n_bins: int = 15


class PrecisionPoint(_Frozen):
    """Precision and recall of ``calibrated score >= threshold`` on the calibration data."""

    threshold: float
    precision: float
    recall: float
    support: int
    """How many calibration items scored at or above the threshold."""
