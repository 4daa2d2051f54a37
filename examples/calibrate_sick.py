"""Calibrate the SICK NLI model's zero-shot scores and pick a threshold for 80% precision.

Scores entailment vs contradiction (what zero-shot classification with multi_label=True reports) on
300 SICK TEST pairs, fits Platt scaling on 150 of them and measures ECE and precision on the other 150.
Uses ../shared (or $ENTAILKIT_SHARED); exits 2 with a message when absent.

    python examples/calibrate_sick.py
"""

from __future__ import annotations

import csv
import random
import sys
import tempfile
from pathlib import Path

from _shared import SICK_DATA, SICK_NLI, require

from entailkit import Calibrator, calibrate, load_scorer


def main() -> int:
    require(SICK_NLI, SICK_DATA)
    with SICK_DATA.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if r["SemEval_set"] == "TEST"]
    rows = random.Random(1).sample(rows, 300)
    pairs = [(r["sentence_A"], r["sentence_B"]) for r in rows]
    labels = [int(r["entailment_label"] == "ENTAILMENT") for r in rows]
    scorer = load_scorer(SICK_NLI, device="cpu")
    calibrator = calibrate(
        scorer,
        pairs[:150],
        labels[:150],
        "platt",
        held_out=(pairs[150:], labels[150:]),
        target_precision=0.8,
        normalization="entailment_vs_contradiction",
    )
    held = calibrator.held_out
    assert held is not None
    print(f"Platt scaling: slope {calibrator.slope:.2f}, intercept {calibrator.intercept:.2f}")
    print(f"held-out ECE {held.ece_before:.3f} -> {held.ece_after:.3f} ({held.n} pairs)")
    print(f"threshold for 80% precision on the calibration pairs: {calibrator.threshold}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calibrator.json"
        calibrator.save(path)
        assert Calibrator.load(path) == calibrator
        print(f"saved and reloaded {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
