"""Calibration of the SICK NLI model on SICK: ECE before and after, for temperature, Platt and isotonic.

Task: entailment vs the rest (label 1 = ENTAILMENT). The model (../shared/models/minilm-l6-sick-nli) was
trained on SICK TRAIN + TRIAL, so its scores on those splits are over-confident in a way TEST scores are
not; calibrating on them would teach the wrong correction. The protocol therefore splits SICK TEST
(4,906 pairs) in two disjoint halves by a fixed seeded shuffle: fit on one half (2,453), measure ECE on
the other (2,453). ``--fit-split trial`` fits on TRIAL instead (495 pairs, seen in training) for
comparison.

    python scripts/eval_calibration_sick.py [--shared ../shared] [--fit-split test-half|trial] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from entailkit.scorers.loading import load_scorer  # noqa: E402
from entailkit.tasks.calibration import METHODS, expected_calibration_error, fit_calibrator  # noqa: E402


def shared_root(arg: str | None) -> Path:
    return Path(arg or os.environ.get("ENTAILKIT_SHARED", str(ROOT.parent / "shared"))).expanduser()


def read_sick(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def evaluate(name: str, scores: list[float], labels: list[int], n_fit: int) -> dict[str, dict[str, object]]:
    """Fit every method on the first n_fit scores, measure ECE and precision at t80 on the rest."""
    fit_s, fit_y = scores[:n_fit], labels[:n_fit]
    eval_s, eval_y = scores[n_fit:], labels[n_fit:]
    print(f"\n[{name}] held-out ECE (15 bins) before calibration: {expected_calibration_error(eval_s, eval_y):.4f}")
    results: dict[str, dict[str, object]] = {}
    for method in METHODS:
        cal = fit_calibrator(fit_s, fit_y, method, held_out=(eval_s, eval_y), target_precision=0.8)
        held = cal.held_out
        assert held is not None
        t80 = cal.threshold
        calibrated = cal.transform(eval_s)
        kept = [y for s, y in zip(calibrated, eval_y, strict=True) if t80 is not None and s >= t80]
        precision = sum(kept) / len(kept) if kept else None
        results[method] = {
            "ece_before": held.ece_before,
            "ece_after": held.ece_after,
            "threshold_p80": t80,
            "held_out_precision_at_t80": precision,
            "temperature": cal.temperature,
            "slope": cal.slope,
            "intercept": cal.intercept,
        }
        if method == "temperature":
            extra = f"T={cal.temperature:.3f}"
        elif method == "platt":
            extra = f"a={cal.slope:.3f} b={cal.intercept:.3f}"
        else:
            extra = f"{len(cal.knots_x)} knots"
        shown = "none" if t80 is None else f"{t80:.3f}"
        got = "n/a" if precision is None else f"{precision:.3f}"
        print(
            f"  {method:12s} ECE {held.ece_before:.4f} -> {held.ece_after:.4f} ({extra}); threshold for 80% "
            f"precision {shown} -> held-out precision {got} on {len(kept)} pairs"
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=None, help="shared folder (default: $ENTAILKIT_SHARED or ../shared)")
    parser.add_argument("--fit-split", choices=["test-half", "trial"], default="test-half")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    shared = shared_root(args.shared)
    sick, model = shared / "data/sick/SICK.txt", shared / "models/minilm-l6-sick-nli"
    if not sick.is_file() or not (model / "config.json").is_file():
        print(f"SICK data or model absent under {shared}; nothing to do.")
        return 0
    rows = read_sick(sick)
    test = [r for r in rows if r["SemEval_set"] == "TEST"]
    random.Random(args.seed).shuffle(test)
    half = len(test) // 2
    if args.fit_split == "trial":
        fit_rows, eval_rows = [r for r in rows if r["SemEval_set"] == "TRIAL"], test
    else:
        fit_rows, eval_rows = test[:half], test[half:]
    scorer = load_scorer(str(model), device="cpu")
    started = time.perf_counter()
    every = fit_rows + eval_rows
    items = scorer.score_pairs(
        [r["sentence_A"] for r in every], [r["sentence_B"] for r in every], show_progress=True
    ).items
    seconds = time.perf_counter() - started
    labels = [int(r["entailment_label"] == "ENTAILMENT") for r in every]
    print(
        f"model {model.name}, fit on {args.fit_split} ({len(fit_rows)} pairs), evaluate on "
        f"{len(eval_rows)} held-out TEST pairs; scoring took {seconds:.1f} s"
    )
    # One forward pass gives both normalisations: softmax over the 3 classes, and entailment vs
    # contradiction (what zero-shot classification with multi_label=True reports).
    variants = {
        "softmax": [item.score for item in items],
        "entailment_vs_contradiction": [
            (item.entailment or 0.0) / max((item.entailment or 0.0) + (item.contradiction or 0.0), 1e-12)
            for item in items
        ],
    }
    report: dict[str, object] = {"fit_split": args.fit_split, "n_fit": len(fit_rows), "n_eval": len(eval_rows)}
    for name, scores in variants.items():
        report[name] = evaluate(name, scores, labels, len(fit_rows))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
