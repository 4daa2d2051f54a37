"""ExampleStore with a deterministic bag-of-words embedder (no torch): add, search, save/load, checks."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("faiss")

from entailkit.errors import InvalidInputError, ModelLoadError
from entailkit.index import ExampleStore
from entailkit.types import ExampleHit, LabelledExample

DIM = 64


class BagOfWords:
    """Hashed word counts, L2-normalised: texts sharing words are similar."""

    def __init__(self, name: str = "bag-of-words", dim: int = DIM) -> None:
        self.name = name
        self.dim = dim
        self.calls = 0

    @property
    def info(self) -> object:
        return type("Info", (), {"model": self.name})()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, zlib.crc32(word.encode()) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


EXAMPLES = [
    LabelledExample(text="football match goal team", true_labels=("sports",), all_labels=("sports", "business")),
    LabelledExample(text="tennis match player serve", true_labels=("sports",)),
    LabelledExample(text="stocks market shares bank", true_labels=("business",), all_labels=("sports", "business")),
    LabelledExample(text="rain wind storm forecast", true_labels=("weather",)),
]


def test_search_ranks_by_similarity_and_filters() -> None:
    store = ExampleStore(BagOfWords(), EXAMPLES)
    assert len(store) == 4 and store.dimension == DIM
    hits = store.search("the football match today", k=2)
    assert [h.example.true_labels for h in hits] == [("sports",), ("sports",)]
    assert hits[0].similarity >= hits[1].similarity
    assert all(isinstance(h, ExampleHit) for h in hits)
    assert len(store.search("football", k=10)) == 4, "k is capped at the number of examples"
    assert store.search("football", k=10, min_similarity=0.3)[0].example == EXAMPLES[0]
    assert all(h.similarity >= 0.3 for h in store.search("football", k=10, min_similarity=0.3))
    assert store.search("zzz unknown words", k=3, min_similarity=0.5) == []


def test_examples_for_and_search_many_embed_once() -> None:
    embedder = BagOfWords()
    store = ExampleStore(embedder, EXAMPLES)
    calls = embedder.calls
    per_text = store.examples_for(["football goal", "bank shares"], k=1)
    assert embedder.calls == calls + 1
    assert per_text == [[EXAMPLES[0]], [EXAMPLES[2]]]
    assert store.search_many([], k=2) == []


def test_add_accepts_dicts_and_appends() -> None:
    store = ExampleStore(BagOfWords())
    assert store.search("anything") == [] and store.dimension is None
    store.add([{"text": "snow and ice", "true_labels": ["weather"], "all_labels": ["weather", "sports"]}])
    store.add([])
    store.add(EXAMPLES[:1])
    assert [e.text for e in store.examples] == ["snow and ice", EXAMPLES[0].text]
    assert store.examples[0] == LabelledExample(
        text="snow and ice", true_labels=("weather",), all_labels=("weather", "sports")
    )


def test_save_load_round_trip(tmp_path: Path) -> None:
    store = ExampleStore(BagOfWords(), EXAMPLES)
    folder = store.save(tmp_path / "store")
    assert (folder / "index.faiss").is_file() and (folder / "examples.json").is_file()
    meta = json.loads((folder / "examples.json").read_text())
    assert meta["embedding_model"] == "bag-of-words" and meta["dimension"] == DIM
    loaded = ExampleStore.load(folder, BagOfWords())
    assert loaded.examples == store.examples and loaded.model_id == store.model_id
    for query in ("football match", "storm", "bank"):
        assert loaded.search(query, k=4) == store.search(query, k=4)
    empty = ExampleStore(BagOfWords()).save(tmp_path / "empty")
    assert len(ExampleStore.load(empty, BagOfWords())) == 0


def test_load_checks_the_embedding_model(tmp_path: Path) -> None:
    folder = ExampleStore(BagOfWords(), EXAMPLES).save(tmp_path / "store")
    with pytest.raises(InvalidInputError, match="embedding model"):
        ExampleStore.load(folder, BagOfWords(name="other-model"))
    relaxed = ExampleStore.load(folder, BagOfWords(name="other-model", dim=32), check_model=False)
    with pytest.raises(InvalidInputError, match="dim"):
        relaxed.search("football")
    with pytest.raises(ModelLoadError, match="not a saved ExampleStore"):
        ExampleStore.load(tmp_path / "missing", BagOfWords())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.add("text"), "list of examples"),
        (lambda s: s.add([{"text": "x"}]), "true_labels"),
        (lambda s: s.add([{"text": "x", "true_labels": "sports"}]), "list of label strings"),
        (lambda s: s.search(["x"]), "search_many"),
        (lambda s: s.search("x", k=0), "positive int"),
        (lambda s: s.search("x", min_similarity="high"), "min_similarity"),
    ],
)
def test_bad_inputs_raise(call: object, message: str) -> None:
    store = ExampleStore(BagOfWords(), EXAMPLES)
    with pytest.raises(InvalidInputError, match=message):
        call(store)  # type: ignore[operator]


def test_embedder_must_embed() -> None:
    with pytest.raises(InvalidInputError, match="embed"):
        ExampleStore(object())  # type: ignore[arg-type]


def test_store_does_not_keep_caller_lists() -> None:
    given = list(EXAMPLES)
    store = ExampleStore(BagOfWords(), given)
    given.append(EXAMPLES[0])
    assert len(store) == 4
