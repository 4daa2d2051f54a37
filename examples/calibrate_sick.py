"""Calibrate the SICK NLI model's zero-shot scores and pick a threshold for 80% precision.

Scores entailment vs contradiction (what zero-shot classification with multi_label=True reports) on
300 SICK TEST pairs, fits Platt scaling on 150 of them and measures ECE and precision on the other 150.
Uses ../shared (or $ENTAILKIT_SHARED); exits 2 with a message when absent.

    python examples/calibrate_sick.py
"""

from __future__ import annotations

import csv
import os
import random
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from entailkit import load_scorer
from entailkit.tasks.calibration import Calibrator, calibrate

SHARED = Path(os.environ.get("ENTAILKIT_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
MODEL = SHARED / "models/minilm-l6-sick-nli"
DATA = SHARED / "data/sick/SICK.txt"


def main() -> int:
    if not (MODEL / "config.json").is_file() or not DATA.is_file():
        print(f"cannot run: SICK model or data absent under {SHARED} (set ENTAILKIT_SHARED)", file=sys.stderr)
        return 2
    with DATA.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if r["SemEval_set"] == "TEST"]
    rows = random.Random(1).sample(rows, 300)
    pairs = [(r["sentence_A"], r["sentence_B"]) for r in rows]
    labels = [int(r["entailment_label"] == "ENTAILMENT") for r in rows]
    scorer = load_scorer(MODEL, device="cpu")
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
