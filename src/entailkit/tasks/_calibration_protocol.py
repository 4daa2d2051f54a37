"""The calibrator hook every task accepts: a map from raw model scores to calibrated probabilities.

Tasks only call ``transform``; tasks/calibration.py implements it (temperature / Platt / isotonic).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from entailkit.errors import InvalidInputError


@runtime_checkable
class Calibrator(Protocol):
    """Maps raw scores in [0, 1] to calibrated probabilities in [0, 1], one for one, order kept."""

    def transform(self, scores: Sequence[float]) -> list[float]: ...


def check_calibrator(calibrator: object) -> Calibrator | None:
    """None, or an object with a callable ``transform``; anything else is a typed error."""
    if calibrator is None:
        return None
    if not callable(getattr(calibrator, "transform", None)):
        raise InvalidInputError(
            f"calibrator must have a transform(scores) -> list[float] method, "
            f"got {type(calibrator).__name__}; "
            "pass a fitted entailkit calibrator or None."
        )
    return calibrator  # type: ignore[return-value]


def apply_calibrator(calibrator: Calibrator | None, scores: Sequence[float]) -> list[float]:
    """Calibrate ``scores`` (identity when no calibrator), checking length and clipping into [0, 1]."""
    raw = [float(s) for s in scores]
    if calibrator is None or not raw:
        return [min(1.0, max(0.0, s)) for s in raw]
    out = list(calibrator.transform(raw))
    if len(out) != len(raw):
        raise InvalidInputError(
            f"calibrator.transform returned {len(out)} scores for {len(raw)} inputs; "
            "it must return one calibrated score per input score."
        )
    calibrated: list[float] = []
    for value in out:
        v = float(value)
        if math.isnan(v):
            raise InvalidInputError("calibrator.transform returned NaN; check how the calibrator was fitted.")
        calibrated.append(min(1.0, max(0.0, v)))
    return calibrated
