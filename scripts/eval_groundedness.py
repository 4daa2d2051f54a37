"""The groundedness dev benchmark (issue 22): is a short claim supported by a whole passage?

Each held-out pair of ``entailkit.train.groundedness_dev_set`` (MS MARCO passages of the held-out
queries and BoolQ dev_official, with rule-made claims: see docs/training.md, "Groundedness dev
benchmark") is checked as ``GroundednessChecker(scorer).check(claim, [passage])``; its report's score
is read as P(supported). Prints one JSON line (balanced accuracy at the threshold, AUROC, ECE, n,
accuracy per source and kind, the dev set's construction) and a Markdown table.

    python scripts/eval_groundedness.py --model ../shared/models/minilm-l6-sick-nli [--shared ../shared]
        [--limit 600] [--seed 0] [--threshold 0.5] [--device cpu] [--json out.json]

``--limit N`` scores the first N pairs of the dev set, which is in a seeded random order: a random
sample of it (every kind in about its share).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def markdown(model: str, figures: dict[str, float], limit: int | None) -> str:
    """The figures as two Markdown tables: the headline row, then accuracy per source and kind."""
    n = int(figures["n"])
    lines = [
        "| model | pairs | balanced accuracy | AUROC | ECE |",
        "|---|---|---|---|---|",
        f"| `{Path(model).name}` | {n}{' (limit)' if limit else ''} | {figures['balanced_accuracy']:.3f} | "
        f"{figures['auroc']:.3f} | {figures['ece']:.3f} |",
        "",
        "| source:kind | accuracy |",
        "|---|---|",
    ]
    lines += [
        f"| {key.removeprefix('accuracy:')} | {value:.3f} |"
        for key, value in figures.items()
        if key.startswith("accuracy:")
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="an NLI cross-encoder checkpoint (folder)")
    parser.add_argument("--shared", default=None, help="shared folder (default: $ENTAILKIT_SHARED or ../shared)")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N pairs (a random sample)")
    parser.add_argument("--seed", type=int, default=0, help="the dev set's seed (split, claims, order)")
    parser.add_argument("--threshold", type=float, default=0.5, help="score at which a claim counts as supported")
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: the scorer's choice)")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()

    from entailkit.errors import InvalidInputError
    from entailkit.scorers.loading import load_scorer
    from entailkit.tasks import GroundednessChecker
    from entailkit.train import evaluate_groundedness, groundedness_dev_set

    try:
        dev = groundedness_dev_set(args.shared, seed=args.seed)
    except InvalidInputError as exc:
        print(f"shared data absent, nothing to do: {exc}")
        return 0
    examples = dev.examples[: args.limit] if args.limit else dev.examples
    checker = GroundednessChecker(load_scorer(args.model, device=args.device), show_progress=False)
    started = time.perf_counter()
    figures = evaluate_groundedness(checker, examples, threshold=args.threshold)
    seconds = time.perf_counter() - started
    record = {
        "model": args.model,
        "limit": args.limit,
        "seed": args.seed,
        "threshold": args.threshold,
        "seconds": round(seconds, 1),
        "dev_set_size": len(dev.examples),
        "dev_set_counts": dev.counts,
        **figures,
    }
    print(json.dumps(record))
    print(markdown(args.model, figures, args.limit))
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
