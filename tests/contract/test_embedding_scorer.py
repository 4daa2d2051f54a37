"""EmbeddingScorer on the tiny encoder: shape, dtype, normalisation, cosine pairs, parity, order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from contract_data import HYPOTHESES, TEXTS

from entailkit.errors import InvalidInputError

torch = pytest.importorskip("torch")


def test_embed_shape_dtype_norm(load_tiny: Callable[..., Any]) -> None:
    scorer = load_tiny("bert-embed")
    vectors = scorer.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), 32) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    empty = scorer.embed([])
    assert empty.shape == (0, 32) and empty.dtype == np.float32
    assert scorer.info.kind == "embedding" and scorer.info.head == "cosine"


def test_embed_matches_manual_mean_pooling(tiny_embed_path: Path, load_tiny: Callable[..., Any]) -> None:
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(tiny_embed_path).eval()
    tok = AutoTokenizer.from_pretrained(tiny_embed_path)
    expected = []
    with torch.inference_mode():
        for text in TEXTS:  # one at a time: no padding in the reference
            enc = tok([text], return_tensors="pt")
            hidden = model(**enc).last_hidden_state[0]
            v = hidden.mean(dim=0)
            expected.append((v / v.norm()).numpy())
    got = load_tiny("bert-embed", batch_size=3).embed(TEXTS)
    assert np.max(np.abs(got - np.array(expected))) <= 1e-5


def test_embed_matches_sentence_transformers(tiny_embed_path: Path, load_tiny: Callable[..., Any]) -> None:
    st = pytest.importorskip("sentence_transformers")
    # A plain transformers directory: sentence-transformers adds mean pooling by itself.
    model = st.SentenceTransformer(str(tiny_embed_path), device="cpu")
    ref = model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    got = load_tiny("bert-embed").embed(TEXTS)
    assert np.max(np.abs(got - ref)) <= 1e-5


def test_embed_order_and_batch_invariance(load_tiny: Callable[..., Any]) -> None:
    texts = [" ".join(TEXTS[: (i % 5) + 1]) for i in range(17)] + [""]
    ref = load_tiny("bert-embed", batch_size=1).embed(texts)
    for kwargs in ({"batch_size": 4}, {"batch_size": 64}, {"batch_size": 64, "token_budget": 50}):
        assert np.max(np.abs(load_tiny("bert-embed", **kwargs).embed(texts) - ref)) <= 1e-5
    single = np.array([load_tiny("bert-embed").embed([t])[0] for t in texts])
    assert np.max(np.abs(single - ref)) <= 1e-5


def test_cosine_score_pairs(load_tiny: Callable[..., Any]) -> None:
    scorer = load_tiny("bert-embed")
    premises, hypotheses = [*TEXTS, TEXTS[0]], [*HYPOTHESES, TEXTS[0]]
    got = scorer.score_pairs(premises, hypotheses)
    assert got.head == "cosine" and len(got) == len(premises)
    p, h = scorer.embed(premises), scorer.embed(hypotheses)
    cos = np.sum(p * h, axis=1)
    assert np.max(np.abs(np.array([item.logits[0] for item in got]) - cos)) <= 1e-5
    assert np.max(np.abs(np.array(got.scores) - np.clip(cos, 0, 1))) <= 1e-5
    assert abs(got.items[-1].score - 1.0) <= 1e-5  # a text with itself
    assert len(scorer.score_pairs([], [])) == 0


def test_embedding_label_scores(load_tiny: Callable[..., Any]) -> None:
    scorer = load_tiny("bert-embed")
    got = scorer.score_labels(TEXTS[:3], ["sports", "music", "politics"])
    assert len(got) == 3
    for item in got:
        assert abs(sum(item.scores) - 1) <= 1e-5
    multi = scorer.score_labels(TEXTS[:3], ["sports", "music"], multi_label=True)
    for item in multi:
        assert all(0 <= s <= 1 for s in item.scores)


def test_embedding_long_text_policy(load_tiny: Callable[..., Any], tiny_embed_path: Path) -> None:
    from entailkit import load_scorer

    long_text = "the dog eats an apple in the park. " * 60  # ~540 tokens > 128
    vectors = load_tiny("bert-embed").embed([long_text, "short"])
    assert vectors.shape == (2, 32) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    strict = load_scorer(tiny_embed_path, truncation="error")
    with pytest.raises(InvalidInputError):
        strict.embed([long_text])


def test_embedding_bad_inputs(load_tiny: Callable[..., Any]) -> None:
    scorer = load_tiny("bert-embed")
    for bad in (None, "a str", [None], ["a", 1]):
        with pytest.raises(InvalidInputError):
            scorer.embed(bad)
