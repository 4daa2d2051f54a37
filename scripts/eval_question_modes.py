"""Choose how the checker reads a question and a short answer (issue 22): the QA part of the groundedness
dev benchmark (``entailkit.train.groundedness_qa_dev_set``: BoolQ dev questions answered "Yes." / "No.",
wh-questions on held-out MS MARCO passages answered with the right or a swapped value), scored under
each way of making the hypothesis:

- ``none``: the answer alone ("Yes.");
- ``prefix``: ``"<question> <answer>"`` (the old ``prefix_question=True``);
- ``claim``: the checker's default (``answer_claim``: yes/no replies become the question's statement,
  other fragments go into ``QA_TEMPLATE``);
- ``claim:answer-is``: ``claim`` with ``answer_template="The answer to the question {question} is {answer}"``.

    python scripts/eval_question_modes.py --model out/minilm-groundedness [--model ...] [--shared ../shared]
        [--json out.json]

Prints one JSON line per model and a Markdown table (balanced accuracy at 0.5, AUROC, per kind).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

STRATEGIES = {
    "none": ("none", None),
    "prefix": ("prefix", None),
    "claim": ("claim", None),
    "claim:answer-is": ("claim", "The answer to the question {question} is {answer}"),
}


def part_balanced_accuracy(figures: dict[str, float], counts: dict[str, int], part: str) -> float:
    """Balanced accuracy over the sources of one part (``yesno``, ``wh``) from the per-source accuracies:
    the mean of the recall on its right answers (``*_right``) and on its wrong ones (``*_wrong``)."""
    recall = []
    for side in ("_right", "_wrong"):
        names = [n for n in counts if f":{part}" in n and n.endswith(side)]
        total = sum(counts[n] for n in names)
        recall.append(sum(figures[f"accuracy:{n}"] * counts[n] for n in names) / total)
    return sum(recall) / 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", required=True, help="an NLI checkpoint folder (repeat)")
    parser.add_argument("--shared", default=None, help="shared folder (default: $ENTAILKIT_SHARED or ../shared)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="also write every figure to this JSON file")
    args = parser.parse_args()

    from entailkit import QA_TEMPLATE, GroundednessChecker, load_scorer
    from entailkit.errors import InvalidInputError
    from entailkit.train import evaluate_groundedness, groundedness_qa_dev_set

    try:
        qa = groundedness_qa_dev_set(args.shared, seed=args.seed)
    except InvalidInputError as exc:
        print(f"shared data absent, nothing to do: {exc}")
        return 0
    counts: dict[str, int] = {}
    for ex in qa:
        counts[ex.source] = counts.get(ex.source, 0) + 1
    records = []
    lines = ["| model | strategy | balanced accuracy | AUROC | ECE | yes/no bal-acc | wh bal-acc |", "|---|---|---|---|---|---|---|"]
    for model in args.model:
        scorer = load_scorer(model)
        for name, (mode, template) in STRATEGIES.items():
            checker = GroundednessChecker(scorer, question_mode=mode, answer_template=template or QA_TEMPLATE)  # type: ignore[arg-type]
            figures = evaluate_groundedness(checker, qa)
            parts = {part: part_balanced_accuracy(figures, counts, part) for part in ("yesno", "wh")}
            record = {"model": model, "strategy": name, **figures, **{f"balanced_accuracy:{k}": v for k, v in parts.items()}}
            records.append(record)
            print(json.dumps(record))
            lines.append(
                f"| `{Path(model).name}` | {name} | {figures['balanced_accuracy']:.3f} | {figures['auroc']:.3f} | "
                f"{figures['ece']:.3f} | {parts['yesno']:.3f} | {parts['wh']:.3f} |"
            )
    print(f"QA dev set: {len(qa)} pairs {counts}")
    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps({"counts": counts, "records": records}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
