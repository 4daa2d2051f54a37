"""Real weights: GLiClass on the all-MiniLM-L6-v2 backbone, and ExampleStore on real MiniLM embeddings.

The GLiClass head is random (no GLiClass checkpoint can be downloaded here), so these tests check
mechanics at real size (parity, windows, retrieval-augmented inputs), not label quality. Retrieval
quality is real: the embeddings are all-MiniLM-L6-v2's.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("gliclass")
pytest.importorskip("faiss")

from entailkit.index import ExampleStore
from entailkit.scorers.gliclass import GLiClassScorer
from entailkit.scorers.loading import load_scorer
from entailkit.tasks.classify import ZeroShotClassifier
from entailkit.types import LabelledExample
from fixtures.tiny_gliclass import minilm_gliclass_path, reference_pipeline, reference_scores

pytestmark = pytest.mark.real

LABELS = ["sports", "business", "world", "science and technology"]
TEXTS = [
    "The striker scored twice as the home side won the cup final.",
    "Shares of the chip maker jumped after quarterly profits beat forecasts.",
    "Leaders met in Geneva to discuss a ceasefire in the region.",
]
EXAMPLES = [
    LabelledExample(text="The goalkeeper saved a penalty in the last minute of the derby.", true_labels=("sports",)),
    LabelledExample(text="The tennis champion won the open in straight sets.", true_labels=("sports",)),
    LabelledExample(text="The point guard scored 40 points in the playoff game.", true_labels=("sports",)),
    LabelledExample(text="The central bank raised interest rates by half a point.", true_labels=("business",)),
    LabelledExample(text="Oil prices fell as supply grew faster than demand.", true_labels=("business",)),
    LabelledExample(text="The prime minister resigned after the election defeat.", true_labels=("world",)),
    LabelledExample(text="Astronomers found a planet orbiting a nearby star.", true_labels=("science and technology",)),
    LabelledExample(text="The new phone ships with a faster processor.", true_labels=("science and technology",)),
]


@pytest.fixture(scope="module")
def minilm_gliclass(minilm_path: Path) -> Path:
    path = minilm_gliclass_path()
    assert path is not None
    return path


@pytest.fixture(scope="module")
def embedder(minilm_path: Path) -> Any:
    return load_scorer(minilm_path, kind="embedding")


@pytest.fixture(scope="module")
def store(embedder: Any) -> ExampleStore:
    return ExampleStore(embedder, EXAMPLES)


@pytest.mark.parametrize("multi_label", [True, False], ids=["multi", "single"])
def test_minilm_gliclass_parity_with_gliclass_pipeline(minilm_gliclass: Path, multi_label: bool) -> None:
    scorer = GLiClassScorer.from_pretrained(minilm_gliclass)
    assert scorer.info.max_length == 512
    examples = [e.model_dump() for e in EXAMPLES[:3]]
    for kwargs in ({}, {"examples": examples}):
        ours = scorer.score_labels(TEXTS, LABELS, multi_label=multi_label, **kwargs)
        rac = {"rac_examples": [examples] * len(TEXTS)} if kwargs else {}
        ref = reference_scores(reference_pipeline(minilm_gliclass, max_length=512), TEXTS, LABELS, multi_label, **rac)
        for item, expected in zip(ours, ref, strict=True):
            for label, score in item.as_dict().items():
                assert score == pytest.approx(expected[label], abs=1e-5)


def test_minilm_gliclass_long_text_scores_every_label(minilm_gliclass: Path) -> None:
    scorer = GLiClassScorer.from_pretrained(minilm_gliclass)
    long = " ".join(TEXTS * 60)
    assert scorer.count_tokens([long])[0] > 1000
    pairs = scorer.score_pairs([long] * len(LABELS), LABELS)
    assert all(p.num_windows > 1 and p.window is not None for p in pairs)


def test_sports_text_retrieves_sports_examples_first(store: ExampleStore) -> None:
    hits = store.search("The striker scored twice as the home side won the cup final.", k=3)
    assert [h.example.true_labels for h in hits] == [("sports",)] * 3
    assert hits[0].similarity > 0.4
    business = store.search("Stock markets slid as investors worried about inflation.", k=2)
    assert [h.example.true_labels for h in business] == [("business",)] * 2


def test_ag_news_sports_queries_retrieve_sports_examples(minilm_path: Path, shared_dir: Path) -> None:
    """20 AG News examples per topic in the store; 40 other sports articles as queries."""
    source = shared_dir / "data" / "ag_news" / "test.csv"
    if not source.is_file():
        pytest.skip(f"AG News absent: {source}")
    topics = {"1": "world", "2": "sports", "3": "business", "4": "science and technology"}
    with source.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_topic = {k: [f"{r['title']}. {r['description']}" for r in rows if r["label"] == k] for k in topics}
    examples = [{"text": t, "true_labels": [name]} for k, name in topics.items() for t in by_topic[k][:20]]
    store = ExampleStore(load_scorer(minilm_path, kind="embedding"), examples)
    hits = store.search_many(by_topic["2"][20:60], k=1)
    top1 = sum(h[0].example.true_labels == ("sports",) for h in hits) / len(hits)
    assert top1 >= 0.8  # measured 0.90


def test_store_round_trip_with_real_embeddings(store: ExampleStore, embedder: Any, tmp_path: Path) -> None:
    folder = store.save(tmp_path / "store")
    loaded = ExampleStore.load(folder, embedder)
    assert loaded.examples == store.examples and loaded.model_id == store.model_id
    query = "The striker scored a hat-trick."
    assert loaded.search(query, k=4) == store.search(query, k=4)


def test_store_add_search_and_min_similarity_with_real_embeddings(embedder: Any) -> None:
    """Similarities are the cosine of MiniLM vectors; ``min_similarity`` cuts between them; ``add`` appends."""
    store = ExampleStore(embedder, EXAMPLES[:4])
    store.add([e.model_dump() for e in EXAMPLES[4:]])
    assert len(store) == len(EXAMPLES) and store.dimension == 384
    query = "The midfielder scored in the derby."
    hits = store.search(query, k=len(EXAMPLES))
    vectors = np.asarray(embedder.embed([query, *(h.example.text for h in hits)]), dtype=np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert [h.similarity for h in hits] == pytest.approx(list(vectors[1:] @ vectors[0]), abs=1e-5)
    assert [h.similarity for h in hits] == sorted((h.similarity for h in hits), reverse=True)
    cut = (hits[1].similarity + hits[2].similarity) / 2
    assert store.search(query, k=len(EXAMPLES), min_similarity=cut) == hits[:2]
    assert store.search(query, k=1, min_similarity=cut) == hits[:1]
    new = {"text": "The jockey won the derby by a length.", "true_labels": ["sports"]}
    store.add([new])
    top = store.search(new["text"], k=1)[0]
    assert top.example.text == new["text"] and top.similarity == pytest.approx(1.0, abs=1e-5)


def test_retrieval_augmented_classification_end_to_end(minilm_gliclass: Path, store: ExampleStore) -> None:
    scorer = GLiClassScorer.from_pretrained(minilm_gliclass)
    results = ZeroShotClassifier(scorer).classify(TEXTS, LABELS, example_store=store, rac_k=2)
    retrieved = store.examples_for(TEXTS, k=2)
    assert [list(r.examples) for r in results] == retrieved
    assert results[0].examples[0].true_labels == ("sports",)
    direct = scorer.score_labels(TEXTS, LABELS, examples=retrieved)
    plain = scorer.score_labels(TEXTS, LABELS)
    for result, item, without in zip(results, direct, plain, strict=True):
        assert result.as_dict() == pytest.approx(item.as_dict(), abs=1e-9)
        assert item.scores != pytest.approx(without.scores, abs=1e-6), "the examples reach the model"


def test_task_retrieval_keeps_only_examples_above_min_similarity(minilm_gliclass: Path, store: ExampleStore) -> None:
    """``rac_min_similarity`` reaches the store: per text, only the retrieved examples at or above it."""
    scorer = GLiClassScorer.from_pretrained(minilm_gliclass)
    hits = store.search_many(TEXTS, k=3)
    cut = (hits[0][0].similarity + hits[0][1].similarity) / 2  # text 0 keeps exactly one example
    classifier = ZeroShotClassifier(scorer)
    results = classifier.classify(TEXTS, LABELS, example_store=store, rac_k=3, rac_min_similarity=cut)
    for result, found in zip(results, hits, strict=True):
        assert list(result.examples) == [h.example for h in found if h.similarity >= cut]
    assert len(results[0].examples) == 1
    nothing = classifier.classify(TEXTS, LABELS, example_store=store, rac_min_similarity=1.01)
    plain = classifier.classify(TEXTS, LABELS)
    assert all(not r.examples for r in nothing)
    assert [r.as_dict() for r in nothing] == [r.as_dict() for r in plain]
