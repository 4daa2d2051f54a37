"""Zero-shot classification with an NLI cross-encoder: labels given as {name: description}, and a
threshold under which a text gets no label.

Uses ../shared/models/minilm-l6-sick-nli (or $ENTAILKIT_SHARED); exits 2 with a message when absent.

    python examples/classify_texts.py
"""

from __future__ import annotations

import sys

from _shared import SICK_NLI, require

from entailkit import ZeroShotClassifier, load_scorer

TEXTS = [
    "A man is playing a guitar on stage.",
    "A woman is slicing an onion in the kitchen.",
    "Two dogs are running through a grassy field.",
]
# The model reads the description inside the template; the result carries the label name.
LABELS = {
    "music": "a person playing music",
    "cooking": "a person cooking food",
    "animals": "animals running",
}


def main() -> int:
    require(SICK_NLI)
    classifier = ZeroShotClassifier(load_scorer(SICK_NLI, device="cpu"), hypothesis_template="There is {}.")
    for result in classifier.classify(TEXTS, LABELS):
        ranked = ", ".join(f"{label} {score:.2f}" for label, score in zip(result.labels, result.scores, strict=True))
        print(f"{result.top:>8}  <- {result.text!r}  ({ranked})")
    # With a threshold, a text whose best label is not clear enough gets no prediction.
    for result in classifier.classify(TEXTS, LABELS, threshold=0.6):
        print(f"threshold 0.6: {result.predicted or '(none)'} for {result.text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
