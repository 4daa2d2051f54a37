"""Few-shot fine-tuning in a minute: adapt an NLI checker to your labels with two examples per label.

Starts from ../shared/models/minilm-l6-sick-nli (or $ENTAILKIT_SHARED), turns the labelled texts into
entailment pairs ("This ticket is about billing." entailed or not), trains a few steps on CPU and
classifies new texts with the result. Run: python examples/train_few_shot.py
"""

from __future__ import annotations

import sys
import tempfile

from _shared import SICK_NLI, require

from entailkit import load_scorer
from entailkit.train import ClassificationExample, TrainConfig, classification_to_nli, train_cross_encoder

TEMPLATE = "This ticket is about {}."
LABELS = ["billing", "login problems", "shipping"]
EXAMPLES = [
    ClassificationExample("I was charged twice for my subscription this month.", ("billing",)),
    ClassificationExample("Please refund the invoice I paid by mistake.", ("billing",)),
    ClassificationExample("The password reset link never arrives, I can't sign in.", ("login problems",)),
    ClassificationExample("My account is locked after too many attempts.", ("login problems",)),
    ClassificationExample("The parcel has been stuck at the depot for a week.", ("shipping",)),
    ClassificationExample("The courier delivered my order to the wrong address.", ("shipping",)),
]
NEW_TEXTS = ["Why does my card show two payments?", "Where is my package?", "Two-factor code is rejected."]


def main() -> int:
    require(SICK_NLI)
    pairs = classification_to_nli(EXAMPLES, LABELS, template=TEMPLATE)
    with tempfile.TemporaryDirectory() as out:
        before = load_scorer(SICK_NLI).score_labels(NEW_TEXTS, LABELS, hypothesis_template=TEMPLATE)
        config = TrainConfig(epochs=8, batch_size=6, learning_rate=1e-4, num_threads=1, patience=0)
        result = train_cross_encoder(SICK_NLI, pairs, dev=[], out_dir=out, config=config)
        after = load_scorer(out).score_labels(NEW_TEXTS, LABELS, hypothesis_template=TEMPLATE)
        print(f"trained {result.steps} steps on {len(pairs)} pairs in {result.wall_s:.0f} s")
        for text, b, a in zip(NEW_TEXTS, before, after, strict=True):
            print(f"{text!r}: before {b.top} ({max(b.scores):.2f}) -> after {a.top} ({max(a.scores):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
