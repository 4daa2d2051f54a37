"""Expected calibration error, binned as torchmetrics' ``BinaryCalibrationError`` /
``MulticlassCalibrationError(norm="l1")`` bin it."""

from __future__ import annotations

import numbers
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from entailkit.errors import InvalidInputError
from entailkit.metrics._checks import check_cutoff, check_same_length, label_array, real_array

__all__ = ["CalibrationKind", "expected_calibration_error"]

CalibrationKind = Literal["binary", "top_label"]


def expected_calibration_error(
    probs: npt.ArrayLike,
    labels: npt.ArrayLike,
    n_bins: int = 15,
    *,
    kind: CalibrationKind = "binary",
) -> float:
    """ECE: the mean |accuracy - confidence| over equal-width confidence bins, weighted by bin size.

    Bins are ``[j / n_bins, (j + 1) / n_bins)``, closed on the left; a confidence of exactly 1.0 has a bin
    of its own (torchmetrics' ``bucketize(right=True)`` binning, matched exactly).

    Args:
        probs: ``kind="binary"``: ``(n,)`` probabilities of the positive class. ``kind="top_label"``:
            ``(n, n_classes)`` class probabilities (the confidence is the row maximum, the prediction its
            first argmax).
        labels: ``"binary"``: 0/1 labels (bools allowed). ``"top_label"``: class indices in ``[0, n_classes)``.
        n_bins: How many equal-width bins over [0, 1] (>= 1).
        kind: ``"binary"`` (reliability of P(positive): ``BinaryCalibrationError``) or ``"top_label"``
            (reliability of the predicted class: ``MulticlassCalibrationError``).

    Returns:
        The ECE in [0, 1]; 0.0 for no rows.

    Raises:
        InvalidInputError: ``n_bins`` < 1, an unknown ``kind``, probabilities outside [0, 1] or of the wrong
            shape, labels that are not 0/1 (binary) or valid class indices (top-label), or lengths that differ.
    """
    n_bins = check_cutoff(n_bins, "n_bins")
    if kind == "binary":
        confidence = real_array(probs, "probs", ndim=1).reshape(-1)
        y = _indices(labels, 2, "labels (0/1 for kind='binary')")
        check_same_length(confidence, y, ("probs", "labels"))
        correct = y.astype(np.float64)
    elif kind == "top_label":
        p = real_array(probs, "probs", ndim=2)
        if p.size == 0:
            p = p.reshape(0, 1)
        y = _indices(labels, p.shape[1], f"labels (class indices below {p.shape[1]} for kind='top_label')")
        check_same_length(p, y, ("probs", "labels"))
        confidence = p.max(axis=1)
        correct = (p.argmax(axis=1) == y).astype(np.float64)
    else:
        raise InvalidInputError(f"kind must be 'binary' or 'top_label', got {kind!r}.")
    if confidence.size == 0:
        return 0.0
    if np.any((confidence < 0.0) | (confidence > 1.0)) or (kind == "top_label" and np.any(p < 0.0)):
        raise InvalidInputError("probs must lie in [0, 1] (pass probabilities, not logits).")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.searchsorted(edges, confidence, side="right") - 1  # [lo, hi); 1.0 -> bin n_bins, on its own
    conf_sum = np.bincount(bins, weights=confidence, minlength=n_bins + 1)
    acc_sum = np.bincount(bins, weights=correct, minlength=n_bins + 1)
    # sum over bins of |mean accuracy - mean confidence| * count / n, an empty bin adding 0
    return float(np.sum(np.abs(acc_sum - conf_sum)) / confidence.size)


def _indices(labels: Any, n_classes: int, what: str) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Labels as int class indices in ``[0, n_classes)``, or a typed error saying what was expected."""
    out: list[int] = []
    for value in label_array(labels, "labels").tolist():
        if isinstance(value, str) or not isinstance(value, numbers.Real) or not float(value).is_integer():
            raise InvalidInputError(f"{what}, got {value!r}.")
        index = int(float(value))
        if not 0 <= index < n_classes:
            raise InvalidInputError(f"{what}, got {value!r}.")
        out.append(index)
    return np.asarray(out, dtype=np.int64)
