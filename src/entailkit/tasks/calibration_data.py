"""Calibration data: labelled scores checked (scores in [0, 1], 0/1 labels), collected from a scorer's or a
task's labelled inputs, and measured (ECE and its report)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from entailkit import metrics
from entailkit._validation import check_pairs, check_positive_int
from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer
from entailkit.tasks._calibration_fit import FloatArray
from entailkit.types import CalibrationReport, Normalization

__all__ = [
    "SupportsCalibration",
    "as_scores",
    "binary_labels",
    "calibration_report",
    "expected_calibration_error",
    "labelled_scores",
    "model_id",
    "scores_and_labels",
    "split_pairs",
]


@runtime_checkable
class SupportsCalibration(Protocol):
    """A task that turns its own labelled inputs into (raw score, 0/1 label) pairs for calibration."""

    def calibration_data(self, inputs: Sequence[Any], labels: Sequence[Any]) -> tuple[list[float], list[int]]:
        """The task's uncalibrated scores of labelled inputs, each with its 0/1 label.

        Args:
            inputs: The task's own inputs (a Router: queries).
            labels: Their truth, in the task's own form (a Router: route names).

        Returns:
            ``(scores, labels)``: raw scores in [0, 1] and 0/1 labels, one for one.
        """
        ...


def expected_calibration_error(probs: Sequence[float], labels: Sequence[Any], n_bins: int = 15) -> float:
    """Expected calibration error of positive-class probabilities against 0/1 labels, equal-width bins.

    Args:
        probs: Probabilities of the positive class, in [0, 1].
        labels: 0/1 labels (bools allowed), one per probability.
        n_bins: How many equal-width bins over [0, 1].

    Returns:
        The bin-size-weighted mean gap between mean probability and positive rate.

    Raises:
        InvalidInputError: No probabilities, values out of [0, 1], labels not 0/1, lengths that differ, or
            ``n_bins`` not a positive int.
    """
    check_positive_int(n_bins, "n_bins", allow_none=False)
    p, y = scores_and_labels(probs, labels)
    if p.size == 0:
        raise InvalidInputError("expected_calibration_error needs at least one score, got none.")
    return _ece(p, y, n_bins)


def _ece(probs: Any, labels: Any, n_bins: int) -> float:
    """Binary ECE of checked arrays, by the one definition (``entailkit.metrics``, torchmetrics' bins)."""
    return metrics.expected_calibration_error(probs, labels, n_bins, kind="binary")


def split_pairs(inputs: Sequence[Any], kind: str = "(premise, hypothesis)") -> tuple[list[str], list[str]]:
    """The two sides of a list of pairs, each a checked text.

    Args:
        inputs: The pairs (2-item sequences of str).
        kind: What the pairs are, for the message.

    Raises:
        InvalidInputError: ``inputs`` is not a list of pairs, or a side is not a str.
    """
    if isinstance(inputs, str) or not isinstance(inputs, Sequence):
        raise InvalidInputError(f"inputs must be a list of {kind} pairs, got {type(inputs).__name__}.")
    premises: list[Any] = []
    hypotheses: list[Any] = []
    for i, pair in enumerate(inputs):
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise InvalidInputError(
                f"inputs[{i}] must be a {kind} pair, got {pair!r:.80}"
                + ("; for a relevance head pass (passage, query)." if kind.startswith("(premise") else ".")
            )
        premises.append(pair[0])
        hypotheses.append(pair[1])
    return check_pairs(premises, hypotheses)


def binary_labels(labels: Sequence[Any]) -> list[int]:
    """0/1 labels (bools allowed) as ints, or a typed error naming the first bad one.

    Args:
        labels: A list (or array) of 0 / 1 / True / False.

    Raises:
        InvalidInputError: Not a list, or an item that is not 0 or 1.
    """
    if isinstance(labels, str) or not isinstance(labels, Sequence | np.ndarray):
        raise InvalidInputError(f"labels must be a list of 0/1 values, got {type(labels).__name__}.")
    out: list[int] = []
    for i, label in enumerate(labels):
        if isinstance(label, bool | np.bool_) or (
            isinstance(label, int | float | np.integer | np.floating) and float(label) in (0.0, 1.0)
        ):
            out.append(int(label))
        else:
            raise InvalidInputError(
                f"labels[{i}] must be 0 or 1 (or a bool), got {label!r:.40}; "
                "use 1 for entailment / relevant and 0 for the rest."
            )
    return out


def as_scores(scores: Sequence[float], name: str) -> FloatArray:
    """Scores as a float array, each a number in [0, 1] (logits are refused).

    Args:
        scores: The scores.
        name: Their argument name in messages.

    Raises:
        InvalidInputError: Not a list of numbers in [0, 1].
    """
    if isinstance(scores, str) or not isinstance(scores, Sequence | np.ndarray):
        raise InvalidInputError(f"{name} must be a list of numbers in [0, 1], got {type(scores).__name__}.")
    out = np.empty(len(scores), dtype=np.float64)
    for i, value in enumerate(scores):
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise InvalidInputError(f"{name}[{i}] must be a number in [0, 1], got {value!r:.40}.")
        v = float(value)
        if math.isnan(v) or not 0.0 <= v <= 1.0:
            raise InvalidInputError(
                f"{name}[{i}] must be a probability in [0, 1], got {v!r}; calibrate probabilities, not logits."
            )
        out[i] = v
    return out


def scores_and_labels(scores: Sequence[float], labels: Sequence[Any]) -> tuple[FloatArray, FloatArray]:
    """Scores in [0, 1] and their 0/1 labels as float arrays of one length (``as_scores``, ``binary_labels``).

    Args:
        scores: Probabilities in [0, 1], one per label.
        labels: 0/1 labels.

    Raises:
        InvalidInputError: Bad scores or labels, or lengths that differ.
    """
    raw = as_scores(scores, "scores")
    y = binary_labels(labels)
    if len(y) != raw.size:
        raise InvalidInputError(f"scores and labels must have the same length, got {raw.size} and {len(y)}.")
    return raw, np.asarray(y, dtype=np.float64)


def calibration_report(
    split: Literal["calibration", "held_out"],
    raw: FloatArray,
    y: FloatArray,
    calibrated: FloatArray,
    n_bins: int,
) -> CalibrationReport:
    """ECE of ``raw`` scores and of their ``calibrated`` values against labels ``y``.

    Args:
        split: Which data the report is of.
        raw: The raw scores.
        y: Their 0/1 labels.
        calibrated: The calibrated scores.
        n_bins: Equal-width bins of the ECE.

    Raises:
        InvalidInputError: The split is empty.
    """
    if raw.size == 0:
        raise InvalidInputError(f"the {split} split is empty; ECE needs at least one labelled score.")
    return CalibrationReport(
        split=split,
        n=int(raw.size),
        positives=int(y.sum()),
        ece_before=_ece(raw, y, n_bins),
        ece_after=_ece(calibrated, y, n_bins),
        n_bins=n_bins,
    )


def labelled_scores(
    obj: Any, inputs: Sequence[Any], labels: Sequence[Any], normalization: Normalization
) -> tuple[list[float], list[int]]:
    """(raw scores, 0/1 labels) of labelled inputs, from a task's own hook or a scorer's pair scores.

    Args:
        obj: A Scorer, a Reranker-like task (``scorer`` and ``hypothesis_for``) or a ``SupportsCalibration``.
        inputs: The labelled inputs in the form ``obj`` takes (see ``calibrate``).
        labels: Their truth: 0/1 per pair, or the task's own labels.
        normalization: How a Scorer's NLI logits become scores (tasks use their own).

    Raises:
        InvalidInputError: ``obj`` is none of those, or the inputs or labels are malformed.
    """
    if isinstance(obj, SupportsCalibration):
        scores, y = obj.calibration_data(inputs, labels)
        return list(scores), list(y)
    pair_task = callable(getattr(obj, "hypothesis_for", None)) and isinstance(getattr(obj, "scorer", None), Scorer)
    if pair_task:  # a Reranker: (query, document) pairs, scored as the task scores them
        queries, documents = split_pairs(inputs, "(query, document)")
        y = binary_labels(labels)
        if len(y) != len(queries):
            raise InvalidInputError(f"inputs and labels must have the same length, got {len(queries)} and {len(y)}.")
        if not queries:
            return [], []
        hypotheses = [str(obj.hypothesis_for(q)) for q in queries]
        task_normalization = getattr(obj, "normalization", normalization)
        return obj.scorer.score_pairs(documents, hypotheses, normalization=task_normalization).scores, y
    if isinstance(obj, Scorer):
        premises, hypotheses = split_pairs(inputs)
        y = binary_labels(labels)
        if len(y) != len(premises):
            raise InvalidInputError(f"inputs and labels must have the same length, got {len(premises)} and {len(y)}.")
        if not premises:
            return [], []
        return obj.score_pairs(premises, hypotheses, normalization=normalization).scores, y
    raise InvalidInputError(
        f"calibrate() needs a Scorer or a task with calibration_data(inputs, labels), got "
        f"{type(obj).__name__}; pass the task's scorer with (premise, hypothesis) pairs instead."
    )


def model_id(obj: Any) -> str | None:
    """The scorer's model id (``obj.info.model`` or ``obj.scorer.info.model``) when there is one.

    Args:
        obj: A scorer or a task with a ``scorer``.
    """
    for candidate in (obj, getattr(obj, "scorer", None)):
        info = getattr(candidate, "info", None)
        model = getattr(info, "model", None)
        if isinstance(model, str):
            return model
    return None
