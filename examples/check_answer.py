"""Check an answer sentence by sentence against retrieved contexts: supported, contradicted or unsupported,
with the context window that is the evidence for each verdict.

Uses ../shared/models/minilm-l6-sick-nli (or $ENTAILKIT_SHARED); exits 2 with a message when absent.

    python examples/check_answer.py
"""

from __future__ import annotations

import sys

from _shared import SICK_NLI, require

from entailkit import GroundednessChecker, load_scorer

CONTEXTS = [
    "Two dogs are running through a grassy field.",
    "A man is playing a guitar on stage.",
    "A woman is slicing an onion in the kitchen.",
]
ANSWER = "A man is playing a guitar. There is no woman slicing an onion. A child is riding a horse."


def main() -> int:
    require(SICK_NLI)
    checker = GroundednessChecker(load_scorer(SICK_NLI, device="cpu"), threshold=0.5, aggregate="min")
    report = checker.check(ANSWER, CONTEXTS, question="What is happening?")
    for sentence in report.sentences:
        evidence = sentence.evidence
        where = f"context {evidence.context_index} {evidence.span}" if evidence else "no context"
        print(
            f"{sentence.verdict:>12}  entail {sentence.entailment:.2f}  contra {sentence.contradiction:.2f}  "
            f"{sentence.text!r}  <- {where}"
        )
    print(
        f"supported {report.supported_fraction:.0%}, score ({report.aggregate}) {report.score:.2f} "
        f"vs threshold {report.threshold:.2f}, grounded: {report.grounded}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
