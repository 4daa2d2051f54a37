"""Check an answer sentence by sentence against retrieved contexts: supported, contradicted or unsupported,
with the context window that is the evidence for each verdict.

Uses ../shared/models/minilm-l6-sick-nli (or $ENTAILKIT_SHARED); exits 2 with a message when absent.

    python examples/check_answer.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from entailkit import load_scorer
from entailkit.tasks import GroundednessChecker

SHARED = Path(os.environ.get("ENTAILKIT_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
MODEL = SHARED / "models/minilm-l6-sick-nli"

CONTEXTS = [
    "Two dogs are running through a grassy field.",
    "A man is playing a guitar on stage.",
    "A woman is slicing an onion in the kitchen.",
]
ANSWER = "A man is playing a guitar. There is no woman slicing an onion. A child is riding a horse."


def main() -> int:
    if not (MODEL / "config.json").is_file():
        print(f"cannot run: model absent: {MODEL} (set ENTAILKIT_SHARED)", file=sys.stderr)
        return 2
    checker = GroundednessChecker(load_scorer(MODEL, device="cpu"), threshold=0.5, aggregate="min")
    report = checker.check(ANSWER, CONTEXTS, question="What is happening?")
    for sentence in report.sentences:
        evidence = sentence.evidence
        where = f"context {evidence.context_index} {evidence.span}" if evidence else "no context"
        print(
            f"{sentence.verdict:>12}  entail {sentence.entailment:.2f}  contra {sentence.contradiction:.2f}  "
            f"{sentence.text!r}  <- {where}"
        )
    print(f"supported {report.score:.0%}, min score {report.min_score:.2f}, grounded: {report.grounded}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
