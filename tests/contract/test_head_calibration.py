"""Calibrating an NLI head and folding it into the weights (entailkit.train.head_calibration)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from entailkit import load_scorer
from entailkit.errors import InvalidInputError, ModelLoadError
from entailkit.train import HeadCalibration, fit_head_calibration, fold_head_calibration
from entailkit.train.head_calibration import supported_probability


def test_fit_recovers_a_known_temperature_and_shift() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(0.0, 3.0, size=(4000, 3))
    truth = HeadCalibration(temperature=2.0, entailment_shift=-0.7)
    supported = (rng.random(4000) < supported_probability(logits, 1, truth)).astype(int)
    fitted = fit_head_calibration(logits, supported.tolist(), entailment=1)
    assert fitted.temperature == pytest.approx(2.0, rel=0.1)
    assert fitted.entailment_shift == pytest.approx(-0.7, abs=0.15)
    # the fit lowers the log loss against the uncalibrated head
    def loss(cal: HeadCalibration | None) -> float:
        p = np.clip(supported_probability(logits, 1, cal), 1e-12, 1 - 1e-12)
        return float(-np.mean(supported * np.log(p) + (1 - supported) * np.log(1 - p)))

    assert loss(fitted) < loss(None)


def test_fit_refuses_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="both"):
        fit_head_calibration(np.zeros((3, 3)), [1, 1, 1], 0)
    with pytest.raises(InvalidInputError, match="logits"):
        fit_head_calibration(np.zeros((3, 3)), [1, 0], 0)
    with pytest.raises(InvalidInputError, match="logits"):
        fit_head_calibration(np.zeros((2, 3)), [1, 0], 5)


def test_folding_gives_the_calibrated_probabilities(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    """After folding, the checkpoint's own P(entailment) is the calibrated one, in every 3-way label order."""
    for name in ("bert-nli3-cen", "bert-nli3-enc"):
        folder = tmp_path / name
        shutil.copytree(tiny_models[name], folder)
        premises, hypotheses = ["a man is playing a guitar"] * 3, ["a man plays music", "a dog runs", "nobody"]
        before = load_scorer(folder).score_pairs(premises, hypotheses)
        raw = np.log(np.asarray([[p.entailment, p.neutral, p.contradiction] for p in before]))
        cal = HeadCalibration(temperature=1.7, entailment_shift=0.4)
        fold_head_calibration(folder, cal)
        after = load_scorer(folder).score_pairs(premises, hypotheses)
        expected = supported_probability(raw, 0, cal)  # log-probabilities are logits up to a constant
        assert [p.entailment for p in after] == pytest.approx(expected.tolist(), abs=1e-5)
    with pytest.raises(ModelLoadError, match="entailment"):
        fold_head_calibration(tiny_models["bert-rel1"], cal)
