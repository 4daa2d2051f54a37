"""GroundednessChecker on answers built from SICK TEST pairs: verdicts, evidence and answer-level figures.

Each synthetic item takes two SICK TEST pairs (premise A1 / hypothesis B1, premise A2 / hypothesis B2)
and one distractor premise from a third pair. The answer is "B1. B2." and the contexts are the three
premises in a seeded random order, so every answer sentence has exactly one passage it was written
against. The gold verdict of a sentence follows its SICK label: ENTAILMENT -> supported,
CONTRADICTION -> contradicted, NEUTRAL -> unsupported; the answer is grounded when both are
ENTAILMENT. The script reports:

- sentence verdict accuracy (3-way), and per gold verdict how often it was predicted;
- evidence accuracy: for sentences correctly found supported (or contradicted), how often the
  supporting (contradicting) passage is the sentence's own premise;
- answer-level accuracy of ``grounded`` and the mean ``supported_fraction`` (fraction of supported sentences).

The model (../shared/models/minilm-l6-sick-nli) was trained on SICK TRAIN + TRIAL, never on TEST; it
is in its own domain here, so these figures check the checker's machinery (splitting, windows,
evidence, verdict rules) on real pairs, not how well a model judges real-world answers.

    python scripts/eval_groundedness_sick.py [--shared ../shared] [--items 300] [--seed 0] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

GOLD = {"ENTAILMENT": "supported", "CONTRADICTION": "contradicted", "NEUTRAL": "unsupported"}


def shared_root(arg: str | None) -> Path:
    return Path(arg or os.environ.get("ENTAILKIT_SHARED", str(ROOT.parent / "shared"))).expanduser()


def sentence(text: str) -> str:
    """A SICK sentence as an answer sentence: ending with a full stop."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def build_items(rows: list[dict[str, str]], n_items: int, seed: int) -> list[dict[str, Any]]:
    """``n_items`` answers of two sentences each, with their gold verdicts and own-premise indices."""
    rng = random.Random(seed)
    rows = list(rows)
    rng.shuffle(rows)
    items: list[dict[str, Any]] = []
    i = 0
    while len(items) < n_items and i + 3 <= len(rows):
        first, second, distractor = rows[i], rows[i + 1], rows[i + 2]
        i += 3
        premises = [first["sentence_A"], second["sentence_A"], distractor["sentence_A"]]
        if len({p.lower() for p in premises}) < 3:
            continue  # the distractor must not be a copy of a true premise
        order = [0, 1, 2]
        rng.shuffle(order)
        contexts = [sentence(premises[j]) for j in order]
        own = [order.index(0), order.index(1)]
        items.append(
            {
                "answer": f"{sentence(first['sentence_B'])} {sentence(second['sentence_B'])}",
                "contexts": contexts,
                "gold": [GOLD[first["entailment_label"]], GOLD[second["entailment_label"]]],
                "own": own,
            }
        )
    return items


def score(items: list[dict[str, Any]], reports: list[Any]) -> dict[str, Any]:
    """The figures of the module docstring."""
    verdict_right = 0
    sentences = 0
    confusion: Counter[tuple[str, str]] = Counter()
    evidence_right = Counter[str]()
    evidence_total = Counter[str]()
    grounded_right = 0
    split_right = 0
    for item, report in zip(items, reports, strict=True):
        split_right += len(report.sentences) == 2
        for check, gold, own in zip(report.sentences, item["gold"], item["own"], strict=False):
            sentences += 1
            verdict_right += check.verdict == gold
            confusion[(gold, check.verdict)] += 1
            if check.verdict == gold and gold in ("supported", "contradicted"):
                evidence = check.supporting if gold == "supported" else check.contradicting
                evidence_total[gold] += 1
                evidence_right[gold] += evidence is not None and evidence.context_index == own
        grounded_right += report.grounded == all(g == "supported" for g in item["gold"])
    verdicts = ("supported", "contradicted", "unsupported")
    per_gold = {
        gold: {pred: confusion[(gold, pred)] for pred in verdicts}
        for gold in verdicts
        if any(confusion[(gold, p)] for p in verdicts)
    }
    return {
        "items": len(items),
        "sentences": sentences,
        "split_into_two_sentences": split_right / len(items),
        "verdict_accuracy": verdict_right / sentences,
        "confusion_gold_to_predicted": per_gold,
        "evidence_accuracy": {
            gold: evidence_right[gold] / evidence_total[gold] for gold in evidence_total if evidence_total[gold]
        },
        "evidence_counted": dict(evidence_total),
        "grounded_accuracy": grounded_right / len(items),
        "gold_grounded_rate": sum(all(g == "supported" for g in item["gold"]) for item in items) / len(items),
        "mean_supported_fraction": sum(r.supported_fraction for r in reports) / len(reports),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=None, help="shared folder (default: $ENTAILKIT_SHARED or ../shared)")
    parser.add_argument("--items", type=int, default=300, help="answers to build (2 sentences, 3 contexts each)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    shared = shared_root(args.shared)
    sick, model = shared / "data/sick/SICK.txt", shared / "models/minilm-l6-sick-nli"
    if not sick.is_file() or not (model / "config.json").is_file():
        print(f"SICK data or model absent under {shared}; nothing to do.")
        return 0
    from entailkit.scorers.loading import load_scorer
    from entailkit.tasks import GroundednessChecker

    with sick.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if r["SemEval_set"] == "TEST"]
    items = build_items(rows, args.items, args.seed)
    checker = GroundednessChecker(load_scorer(str(model), device="cpu"), threshold=args.threshold, show_progress=True)
    started = time.perf_counter()
    reports = checker.check_many([{"answer": it["answer"], "contexts": it["contexts"]} for it in items])
    seconds = time.perf_counter() - started
    figures = score(items, reports)
    figures["threshold"] = args.threshold
    figures["seconds"] = round(seconds, 1)
    print(
        f"{figures['items']} answers x 2 sentences x 3 contexts from SICK TEST (seed {args.seed}), "
        f"threshold {args.threshold}, {seconds:.0f} s"
    )
    print(f"  answers split into their 2 sentences: {figures['split_into_two_sentences']:.3f}")
    print(f"  sentence verdict accuracy (3-way): {figures['verdict_accuracy']:.3f}")
    for gold, row in figures["confusion_gold_to_predicted"].items():
        print(f"    gold {gold:12s} -> " + ", ".join(f"{p} {n}" for p, n in row.items()))
    for gold, value in figures["evidence_accuracy"].items():
        print(f"  evidence accuracy ({gold}, right verdicts): {value:.3f} of {figures['evidence_counted'][gold]}")
    print(
        f"  answer 'grounded' accuracy: {figures['grounded_accuracy']:.3f} "
        f"(gold grounded rate {figures['gold_grounded_rate']:.3f}); "
        f"mean supported fraction {figures['mean_supported_fraction']:.3f}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
