"""Calibration shared by all tasks: map raw scores to probabilities that mean what they say.

After calibration, items scored about 0.8 are positive about 80% of the time (on data like the
calibration split), so thresholds become precisions. Three methods, all fitted on binary labels:

- ``temperature``: p' = sigmoid(logit(p) / T), one parameter; keeps the ranking.
- ``platt``: p' = sigmoid(a * logit(p) + b), Platt's 1-D logistic regression; keeps the ranking.
- ``isotonic``: a non-decreasing step function fitted by pool-adjacent-violators; may create ties.

For 1-logit relevance heads logit(p) is the raw logit; for NLI heads it is the log-odds of entailment
against the other classes. A fitted ``Calibrator`` is a frozen pydantic model saved as JSON together
with its thresholds, ECE figures and precision curve.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from entailkit._validation import check_positive_int, check_probability
from entailkit.errors import InvalidInputError
from entailkit.tasks._calibration_fit import (
    FloatArray,
    fit_isotonic,
    fit_platt,
    fit_temperature,
    log_odds,
    precision_curve,
    sigmoid,
)
from entailkit.tasks.calibration_data import (
    as_scores,
    calibration_report,
    expected_calibration_error,
    labelled_scores,
    model_id,
    scores_and_labels,
)
from entailkit.types import CalibrationMethod, CalibrationReport, Normalization, PrecisionPoint

__all__ = [
    "FORMAT",
    "METHODS",
    "Calibrator",
    "calibrate",
    "expected_calibration_error",
    "fit_calibrator",
]

logger = logging.getLogger(__name__)

METHODS: tuple[CalibrationMethod, ...] = ("temperature", "platt", "isotonic")
FORMAT = "entailkit.calibrator"


class Calibrator(BaseModel):
    """A fitted map from raw scores in [0, 1] to calibrated probabilities, saved as JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["entailkit.calibrator"] = "entailkit.calibrator"
    method: CalibrationMethod
    temperature: float | None = None
    """``temperature``: T in sigmoid(logit(p) / T); T > 1 softens over-confident scores."""
    slope: float | None = None
    intercept: float | None = None
    """``platt``: sigmoid(slope * logit(p) + intercept)."""
    knots_x: tuple[float, ...] = ()
    knots_y: tuple[float, ...] = ()
    """``isotonic``: raw-score knots and calibrated values, linearly interpolated, clipped at the ends."""
    model: str | None = None
    """The model id of the scorer it was fitted for (calibrations do not transfer between models)."""
    fit_report: CalibrationReport
    held_out: CalibrationReport | None = None
    curve: tuple[PrecisionPoint, ...] = ()
    """Precision and recall of calibrated thresholds on the calibration data (descending thresholds)."""
    threshold: float | None = None
    """A decision threshold on calibrated scores saved with the calibrator (e.g. for a target precision)."""
    target_precision: float | None = None

    def transform(self, scores: Sequence[float]) -> list[float]:
        """Calibrated probabilities of raw ``scores`` (one for one, order kept; empty gives empty).

        Args:
            scores: Raw scores in [0, 1] from the scorer the calibrator was fitted for.

        Returns:
            The calibrated probabilities.

        Raises:
            InvalidInputError: ``scores`` is not a list of numbers in [0, 1] (logits are refused).
        """
        raw = as_scores(scores, "scores")
        if raw.size == 0:
            return []
        return [float(v) for v in self._apply(raw)]

    def _apply(self, raw: FloatArray) -> FloatArray:
        if self.method == "temperature":
            return sigmoid(log_odds(raw) / float(self.temperature or 1.0))
        if self.method == "platt":
            return sigmoid(float(self.slope or 0.0) * log_odds(raw) + float(self.intercept or 0.0))
        xs = np.asarray(self.knots_x, dtype=np.float64)
        ys = np.asarray(self.knots_y, dtype=np.float64)
        return np.asarray(np.interp(raw, xs, ys), dtype=np.float64)

    def threshold_for_precision(self, target: float) -> float | None:
        """The lowest calibrated threshold whose precision on the calibration data reaches ``target``
        (so recall is as high as it can be), or None when no threshold reaches it.

        Args:
            target: The precision wanted, in [0, 1].

        Raises:
            InvalidInputError: ``target`` is not a number in [0, 1].
        """
        goal = check_probability(target, "target")
        assert goal is not None  # check_probability only returns None for None
        reaching = [point.threshold for point in self.curve if point.precision >= goal - 1e-12]
        return min(reaching) if reaching else None

    def evaluate(self, scores: Sequence[float], labels: Sequence[Any], *, n_bins: int = 15) -> CalibrationReport:
        """ECE of held-out raw ``scores`` before and after this calibrator.

        Args:
            scores: Raw scores in [0, 1] of data the calibrator was not fitted on.
            labels: Their 0/1 labels (bools allowed).
            n_bins: Equal-width bins of the ECE.

        Returns:
            The report (split ``"held_out"``).

        Raises:
            InvalidInputError: No scores, scores not in [0, 1], labels not 0/1, or lengths that differ.
        """
        raw, y = scores_and_labels(scores, labels)
        return calibration_report("held_out", raw, y, self._apply(raw), n_bins)

    def save(self, path: str | Path) -> None:
        """Write the calibrator (parameters, thresholds, figures) as JSON.

        Args:
            path: The file to write (replaced if it exists).
        """
        Path(path).write_text(self.model_dump_json(indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Calibrator:
        """Read a calibrator written by ``save``.

        Args:
            path: The JSON file.

        Raises:
            InvalidInputError: The file cannot be read or is not an entailkit calibrator.
        """
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInputError(f"cannot read calibrator file {str(path)!r}: {exc}") from exc
        return cls.from_json(text, source=str(path))

    @classmethod
    def from_json(cls, text: str, *, source: str = "<json>") -> Calibrator:
        """Parse a calibrator from its JSON text.

        Args:
            text: The JSON ``save`` writes.
            source: Where the text came from, for the error message.

        Raises:
            InvalidInputError: The text is not an entailkit calibrator.
        """
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise InvalidInputError(
                f"{source} is not an entailkit calibrator ({exc.error_count()} problem(s): "
                f"{exc.errors()[0]['msg']}); write it with Calibrator.save()."
            ) from exc


def fit_calibrator(
    scores: Sequence[float],
    labels: Sequence[Any],
    method: CalibrationMethod = "temperature",
    *,
    held_out: tuple[Sequence[float], Sequence[Any]] | None = None,
    target_precision: float | None = None,
    n_bins: int = 15,
    model: str | None = None,
) -> Calibrator:
    """Fit a calibrator on raw scores in [0, 1] and 0/1 labels; ``held_out`` (scores, labels) is only
    measured. With ``target_precision`` the saved threshold is the lowest one reaching it.

    Args:
        scores: Raw scores in [0, 1] (probabilities, not logits) from the scorer or task to calibrate.
        labels: 0/1 labels (bools allowed), one per score; both classes must occur.
        method: ``"temperature"`` (one parameter, keeps the ranking), ``"platt"`` (slope and intercept,
            keeps the ranking) or ``"isotonic"`` (a monotone step function, may create ties).
        held_out: ``(scores, labels)`` not fitted on, measured into ``Calibrator.held_out``.
        target_precision: Save as ``threshold`` the lowest calibrated threshold whose precision on the
            calibration data reaches it (None, logged, when none does).
        n_bins: Equal-width bins of the ECE figures.
        model: The scorer's model id, saved with the calibrator.

    Returns:
        The fitted calibrator, with its ECE report(s) and precision curve.

    Raises:
        InvalidInputError: An unknown method, no scores, only one class, scores out of [0, 1], labels
            not 0/1, lengths that differ, a malformed ``held_out``, or an out-of-range option.
    """
    if method not in METHODS:
        raise InvalidInputError(f"method must be one of {', '.join(METHODS)}, got {method!r}.")
    check_positive_int(n_bins, "n_bins", allow_none=False)
    goal = check_probability(target_precision, "target_precision")
    raw, y = scores_and_labels(scores, labels)
    if raw.size == 0:
        raise InvalidInputError("calibration needs at least one labelled score, got none.")
    positives = int(y.sum())
    if positives in (0, raw.size):
        raise InvalidInputError(
            f"calibration needs both positive and negative labels, got {positives} positive(s) "
            f"of {raw.size}; "
            "add examples of the missing class."
        )
    params: dict[str, Any] = {}
    if method == "temperature":
        params["temperature"] = fit_temperature(log_odds(raw), y)
    elif method == "platt":
        params["slope"], params["intercept"] = fit_platt(log_odds(raw), y)
    else:
        xs, ys = fit_isotonic(raw, y)
        params["knots_x"], params["knots_y"] = tuple(xs), tuple(ys)
    draft = Calibrator(
        method=method,
        model=model,
        fit_report=CalibrationReport(split="calibration", n=0, positives=0, ece_before=0.0, ece_after=0.0),
        **params,
    )
    calibrated = draft._apply(raw)
    fields: dict[str, Any] = {
        "fit_report": calibration_report("calibration", raw, y, calibrated, n_bins),
        "curve": tuple(
            PrecisionPoint(threshold=t, precision=p, recall=r, support=s)
            for t, p, r, s in precision_curve(calibrated, y)
        ),
    }
    if held_out is not None:
        if not isinstance(held_out, tuple) or len(held_out) != 2:
            raise InvalidInputError("held_out must be a (scores, labels) tuple.")
        fields["held_out"] = draft.evaluate(held_out[0], held_out[1], n_bins=n_bins)
    calibrator = draft.model_copy(update=fields)
    if goal is not None:
        threshold = calibrator.threshold_for_precision(goal)
        if threshold is None:
            logger.warning("calibration: no threshold reaches precision %.3f on the calibration data.", goal)
        calibrator = calibrator.model_copy(update={"threshold": threshold, "target_precision": goal})
    report = calibrator.held_out or calibrator.fit_report
    logger.info(
        "calibration (%s): ECE %.4f -> %.4f on the %s split (n=%d)",
        method,
        report.ece_before,
        report.ece_after,
        report.split,
        report.n,
    )
    return calibrator


def calibrate(
    task_or_scorer: Any,
    inputs: Sequence[Any],
    labels: Sequence[Any],
    method: CalibrationMethod = "temperature",
    *,
    held_out: tuple[Sequence[Any], Sequence[Any]] | None = None,
    target_precision: float | None = None,
    n_bins: int = 15,
    normalization: Normalization = "softmax",
) -> Calibrator:
    """Score labelled inputs with a scorer or task and fit a calibrator on the scores.

    - a Scorer: ``inputs`` are (premise, hypothesis) pairs (for relevance heads: (passage, query)),
      ``labels`` are 1 for entailment / relevant and 0 otherwise; the score is ``PairScore.score``
      under ``normalization`` (use the one you will threshold: "entailment_vs_contradiction" is what
      zero-shot ``multi_label=True`` reports).
    - a Reranker (any task with ``scorer`` and ``hypothesis_for(query)``): ``inputs`` are
      (query, document text) pairs scored as the task scores them (its template and normalization);
    - a task with ``calibration_data(inputs, labels)`` (e.g. a Router: queries and their route names)
      turns its own inputs into (score, 0/1 label) pairs.

    Args:
        task_or_scorer: A Scorer, a Reranker, or a task with ``calibration_data`` (a Router).
        inputs: The labelled inputs in the form the first argument takes (see above).
        labels: Their truth: 0/1 per pair, or the task's own labels (a Router: route names).
        method: ``"temperature"``, ``"platt"`` or ``"isotonic"`` (see ``fit_calibrator``).
        held_out: An ``(inputs, labels)`` tuple in the same form, scored and measured but not fitted on.
        target_precision: Save the lowest threshold that reaches this precision (see ``fit_calibrator``).
        n_bins: Equal-width bins of the ECE figures.
        normalization: How a Scorer's NLI logits become scores (ignored for tasks, which use their own).

    Returns:
        The fitted calibrator, tagged with the scorer's model id; pass it as ``calibrator=`` to the task.

    Raises:
        InvalidInputError: The first argument is none of those, inputs are not pairs of str, labels are not
            0/1 or do not match the inputs, or as ``fit_calibrator``.
    """
    scores, y = labelled_scores(task_or_scorer, inputs, labels, normalization)
    held: tuple[Sequence[float], Sequence[Any]] | None = None
    if held_out is not None:
        if not isinstance(held_out, tuple) or len(held_out) != 2:
            raise InvalidInputError("held_out must be an (inputs, labels) tuple.")
        held = labelled_scores(task_or_scorer, held_out[0], held_out[1], normalization)
    return fit_calibrator(
        scores,
        y,
        method,
        held_out=held,
        target_precision=target_precision,
        n_bins=n_bins,
        model=model_id(task_or_scorer),
    )
