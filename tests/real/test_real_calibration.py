"""Calibration of the real SICK NLI model on SICK TEST (entailment vs the rest), fit and measured on
disjoint halves of a seeded sample. Full figures: scripts/eval_calibration_sick.py (docs/calibration.md).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

pytestmark = [pytest.mark.real, pytest.mark.slow]

pytest.importorskip("torch")

N_FIT = 400
N_EVAL = 400


@pytest.fixture(scope="module")
def sick_scores(shared_dir: Path, sick_model_path: Path) -> dict[str, tuple[list[float], list[int]]]:
    """Softmax and entailment-vs-contradiction scores of 800 TEST pairs (one forward pass each)."""
    path = shared_dir / "data/sick/SICK.txt"
    if not path.is_file():
        pytest.skip(f"SICK data absent: {path}")
    from entailkit.scorers.loading import load_scorer

    with path.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if r["SemEval_set"] == "TEST"]
    rows = random.Random(0).sample(rows, N_FIT + N_EVAL)
    scorer = load_scorer(sick_model_path, device="cpu")
    items = scorer.score_pairs([r["sentence_A"] for r in rows], [r["sentence_B"] for r in rows]).items
    labels = [int(r["entailment_label"] == "ENTAILMENT") for r in rows]
    evc = [(i.entailment or 0.0) / max((i.entailment or 0.0) + (i.contradiction or 0.0), 1e-12) for i in items]
    return {"softmax": ([i.score for i in items], labels), "entailment_vs_contradiction": (evc, labels)}


@pytest.mark.parametrize("method", ["temperature", "platt", "isotonic"])
def test_calibration_lowers_ece_of_zero_shot_scores(
    sick_scores: dict[str, tuple[list[float], list[int]]], method: str
) -> None:
    """entailment / (entailment + contradiction) ignores 'neutral' and is far too confident."""
    from entailkit.tasks.calibration import fit_calibrator

    scores, labels = sick_scores["entailment_vs_contradiction"]
    cal = fit_calibrator(
        scores[:N_FIT],
        labels[:N_FIT],
        method,
        held_out=(scores[N_FIT:], labels[N_FIT:]),  # type: ignore[arg-type]
    )
    held = cal.held_out
    assert held is not None and held.n == N_EVAL
    assert held.ece_before > 0.25
    assert held.ece_after < held.ece_before
    if method != "temperature":  # one temperature cannot remove a bias; Platt and isotonic can
        assert held.ece_after < 0.1


def test_softmax_scores_are_already_close_to_calibrated(
    sick_scores: dict[str, tuple[list[float], list[int]]],
) -> None:
    from entailkit.tasks.calibration import fit_calibrator

    scores, labels = sick_scores["softmax"]
    for method in ("temperature", "platt", "isotonic"):
        cal = fit_calibrator(
            scores[:N_FIT],
            labels[:N_FIT],
            method,
            held_out=(scores[N_FIT:], labels[N_FIT:]),  # type: ignore[arg-type]
        )
        assert cal.held_out is not None
        assert cal.held_out.ece_before < 0.06 and cal.held_out.ece_after < 0.07


def test_threshold_for_80_percent_precision_holds_on_held_out_pairs(
    sick_scores: dict[str, tuple[list[float], list[int]]],
) -> None:
    from entailkit.tasks.calibration import fit_calibrator

    scores, labels = sick_scores["entailment_vs_contradiction"]
    cal = fit_calibrator(scores[:N_FIT], labels[:N_FIT], "platt", target_precision=0.8)
    assert cal.threshold is not None
    kept = [y for s, y in zip(cal.transform(scores[N_FIT:]), labels[N_FIT:], strict=True) if s >= cal.threshold]
    assert len(kept) > 50 and sum(kept) / len(kept) > 0.7
