"""Check short answers against their question: "Yes." or "Jesse Eisenberg." asserts nothing alone, so the
checker scores the claim the answer makes for the question (question_mode="claim", the default).

Uses ../shared/models/minilm-l6-general-nli (or $ENTAILKIT_SHARED); exits 2 with a message when absent.

    python examples/check_short_answers.py
"""

from __future__ import annotations

import sys

from _shared import GENERAL_NLI, require

from entailkit import GroundednessChecker, answer_claim, load_scorer

CONTEXT = (
    "The Social Network is a 2010 American biographical drama film directed by David Fincher. "
    "Jesse Eisenberg stars as Mark Zuckerberg, and Andrew Garfield plays Eduardo Saverin. "
    "The film was released in the United States on October 1, 2010."
)
CASES = [
    ("Who played Mark Zuckerberg in The Social Network?", "Jesse Eisenberg."),
    # a value mixed up inside the passage: the MiniLM checkers often accept it (docs/groundedness.md)
    ("Who played Mark Zuckerberg in The Social Network?", "Andrew Garfield."),
    ("is the social network a drama film", "Yes."),
    ("is the social network a drama film", "No."),
    (None, "When was it released? In 2010."),  # a question inside the answer is not a claim
]


def main() -> int:
    require(GENERAL_NLI)
    checker = GroundednessChecker(load_scorer(GENERAL_NLI, device="cpu"))
    for question, answer in CASES:
        report = checker.check(answer, [CONTEXT], question=question)
        for sentence in report.sentences:
            print(f"{sentence.verdict:>12} {sentence.score:.2f}  {answer!r} -> claim {sentence.claim or sentence.text!r}")
    print(answer_claim("1889.", "What year was the tower built?"))  # the rule on its own
    return 0


if __name__ == "__main__":
    sys.exit(main())
