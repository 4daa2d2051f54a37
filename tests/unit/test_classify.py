"""ZeroShotClassifier on a FakeScorer: single/multi-label, thresholds, descriptions, examples, errors."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from entailkit.errors import InvalidInputError
from entailkit.scorers.base import DEFAULT_HYPOTHESIS_TEMPLATE
from entailkit.tasks import ZeroShotClassifier
from entailkit.types import Classification, LabelledExample
from fakes import FakeScorer

T = DEFAULT_HYPOTHESIS_TEMPLATE
TEXTS = ["the match ended two to one", "stocks fell sharply today"]
LABELS = ["sports", "business", "science"]


def scorer(**kwargs: Any) -> FakeScorer:
    table: dict[tuple[str, str], Any] = {
        ("match", T.format("sports")): (0.8, 0.1),
        ("match", T.format("science")): (0.1, 0.6),
        ("stocks", T.format("business")): (0.6, 0.1),
        ("stocks", T.format("sports")): (0.2, 0.3),
        ("stocks", T.format("science")): (0.2, 0.3),
    }
    return FakeScorer(table, default=(0.1, 0.1), **kwargs)


def test_single_label_sorted_with_top_prediction() -> None:
    fake = scorer()
    first, second = ZeroShotClassifier(fake).classify(TEXTS, LABELS)
    assert first.labels == ("sports", "business", "science")
    assert first.scores == pytest.approx((0.8, 0.1, 0.1))
    assert sum(first.scores) == pytest.approx(1.0)
    assert first.predicted == ("sports",) and first.top == "sports" and first.top_score == pytest.approx(0.8)
    assert second.labels == ("business", "sports", "science")  # sports and science tie: given order kept
    assert second.predicted == ("business",) and not second.multi_label and second.threshold is None
    assert first.text == TEXTS[0] and first.as_dict()["science"] == pytest.approx(0.1)
    assert fake.calls[-1].hypotheses == [T.format(label) for label in LABELS] * 2


def test_single_label_threshold_can_leave_no_prediction() -> None:
    results = ZeroShotClassifier(scorer()).classify(TEXTS, LABELS, threshold=0.7)
    assert results[0].predicted == ("sports",) and results[1].predicted == ()
    assert results[1].threshold == 0.7


def test_multi_label_independent_scores_and_thresholds() -> None:
    first, second = ZeroShotClassifier(scorer()).classify(TEXTS, LABELS, multi_label=True)
    assert first.multi_label and first.threshold == 0.5
    assert dict(zip(first.labels, first.scores, strict=True)) == pytest.approx(
        {"sports": 0.8 / 0.9, "business": 0.5, "science": 0.1 / 0.7}
    )
    assert first.predicted == ("sports", "business")
    assert second.predicted == ("business",)
    low = ZeroShotClassifier(scorer()).classify(TEXTS, LABELS, multi_label=True, threshold=0.3)
    assert low[1].predicted == ("business", "sports", "science")


def test_templates_default_instance_and_per_call() -> None:
    fake = scorer()
    clf = ZeroShotClassifier(fake, hypothesis_template="Topic: {}.")
    clf.classify(TEXTS[:1], ["a"])
    assert fake.calls[-1].hypotheses == ["Topic: a."]
    clf.classify(TEXTS[:1], ["a"], hypothesis_template="It is {}")
    assert fake.calls[-1].hypotheses == ["It is a"]


def test_label_descriptions_are_read_names_come_back() -> None:
    fake = FakeScorer({("stocks", T.format("money and markets")): 0.9}, default=0.1)
    labels = {"business": "money and markets", "sports": "games and athletes"}
    snapshot = copy.deepcopy(labels)
    (result,) = ZeroShotClassifier(fake).classify(TEXTS[1:], labels)
    assert result.labels == ("business", "sports") and result.predicted == ("business",)
    assert fake.calls[-1].hypotheses == [T.format("money and markets"), T.format("games and athletes")]
    assert labels == snapshot


def test_per_text_labels_and_mappings() -> None:
    fake = scorer()
    results = ZeroShotClassifier(fake).classify(TEXTS, [["sports", "science"], {"business": "business"}])
    assert results[0].labels == ("sports", "science") and results[1].labels == ("business",)
    assert results[1].scores == pytest.approx((0.6 / 0.7,))  # one label: scored on its own


def test_gliclass_gets_raw_labels() -> None:
    fake = FakeScorer({("match", "sports"): 0.7}, head="gliclass", default=0.1)
    (result,) = ZeroShotClassifier(fake).classify(TEXTS[:1], LABELS, multi_label=True)
    assert fake.calls[-1].hypotheses == LABELS
    assert result.predicted == ("sports",)


def test_examples_shared_per_text_and_translated_to_descriptions() -> None:
    fake = scorer()
    ex = LabelledExample(text="a goal was scored", true_labels=("sports",), all_labels=("sports", "business"))
    clf = ZeroShotClassifier(fake)
    results = clf.classify(TEXTS, LABELS, examples=[ex])
    assert fake.calls[-1].examples == [[ex], [ex]] and results[0].examples == (ex,)
    clf.classify(TEXTS, LABELS, examples=[[ex], []])
    assert fake.calls[-1].examples == [[ex], []]
    clf.classify(TEXTS[:1], LABELS, examples=[{"text": "x", "true_labels": ["science"]}])
    assert fake.calls[-1].examples == [[LabelledExample(text="x", true_labels=("science",))]]
    (result,) = clf.classify(TEXTS[:1], {"sports": "games", "business": "money"}, examples=[ex])
    sent = fake.calls[-1].examples[0][0]
    assert sent.true_labels == ("games",) and sent.all_labels == ("games", "money")
    assert result.examples == (ex,)  # the result shows the caller's example
    clf.classify(TEXTS[:1], LABELS)
    assert fake.calls[-1].examples is None


@dataclass
class Hit:
    example: LabelledExample
    similarity: float


class Store:
    def __init__(self) -> None:
        self.queries: list[tuple[str, int]] = []
        self.examples = [LabelledExample(text=f"ex{i}", true_labels=(LABELS[i % 3],)) for i in range(5)]

    def search(self, query: str, k: int = 4) -> list[Hit]:
        self.queries.append((query, k))
        return [Hit(e, 1.0 - i / 10) for i, e in enumerate(self.examples[:k])]


def test_example_store_retrieves_rac_k_per_text() -> None:
    fake, store = scorer(), Store()
    results = ZeroShotClassifier(fake).classify(TEXTS, LABELS, example_store=store, rac_k=3)
    assert store.queries == [(TEXTS[0], 3), (TEXTS[1], 3)]
    assert fake.calls[-1].examples == [store.examples[:3], store.examples[:3]]
    assert results[0].examples == tuple(store.examples[:3])
    ZeroShotClassifier(fake).classify(TEXTS[:1], LABELS, example_store=store)
    assert store.queries[-1] == (TEXTS[0], 2) and len(fake.calls[-1].examples[0]) == 2


def test_calibrator() -> None:
    class Flip:
        def transform(self, scores: Sequence[float]) -> list[float]:
            return [1 - s for s in scores]

    (result,) = ZeroShotClassifier(scorer(), calibrator=Flip()).classify(TEXTS[:1], LABELS)
    assert result.labels == ("business", "science", "sports")
    assert result.scores == pytest.approx((0.9, 0.9, 0.2))


def test_empty_texts() -> None:
    fake = scorer()
    assert ZeroShotClassifier(fake).classify([], LABELS) == []
    assert fake.calls == []


def test_inputs_not_mutated_and_result_round_trips() -> None:
    texts, labels = list(TEXTS), list(LABELS)
    results = ZeroShotClassifier(scorer()).classify(texts, labels, multi_label=True)
    assert texts == TEXTS and labels == LABELS
    for result in results:
        assert Classification.model_validate_json(result.model_dump_json()) == result


@pytest.mark.parametrize(
    ("texts", "labels", "kwargs", "message"),
    [
        ("one text", LABELS, {}, "texts must be a list of strings, got a single str"),
        ([1], LABELS, {}, r"texts\[0\] must be a str, got int"),
        (TEXTS, "sports", {}, "labels must be a list of label names or a {name: description} mapping, got a single"),
        (TEXTS, [], {}, "labels is empty; pass at least one candidate label"),
        (TEXTS, ["a", "a"], {}, "labels has the duplicate label 'a'"),
        (TEXTS, ["a", " "], {}, r"labels\[1\] is an empty or blank label"),
        (TEXTS, 5, {}, "labels must be a list or a mapping, got int"),
        (TEXTS, [["a"]], {}, "per-text labels must have one list \\(or mapping\\) per text: got 1 for 2 texts"),
        (TEXTS, {"a": ""}, {}, r"labels\['a'\] must be a non-empty description str"),
        (TEXTS, {"a": "same", "b": "same"}, {}, "labels 'a' and 'b' have the same description 'same'"),
        (TEXTS, LABELS, {"threshold": 3}, "threshold must be a number in"),
        (TEXTS, LABELS, {"hypothesis_template": "none"}, "hypothesis_template must contain exactly one"),
        (TEXTS, LABELS, {"rac_k": 0}, "rac_k must be a positive int, got 0"),
        (TEXTS, LABELS, {"multi_label": "yes"}, "multi_label must be a bool, got str"),
        (TEXTS, LABELS, {"examples": "ex"}, "examples must be a list of LabelledExample, got str"),
        (TEXTS, LABELS, {"examples": [3]}, r"examples\[0\] must be a LabelledExample"),
        (TEXTS, LABELS, {"examples": [{"text": "x"}]}, r"examples\[0\] has no 'true_labels'"),
        (TEXTS, LABELS, {"examples": [[]]}, "per-text examples must have one list per text: got 1 lists for 2"),
        (TEXTS, LABELS, {"examples": [], "example_store": Store()}, "pass examples= or example_store=, not both"),
        (TEXTS, LABELS, {"example_store": object()}, "example_store must have a search\\(text, k=...\\) method"),
    ],
)
def test_classify_errors(texts: Any, labels: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        ZeroShotClassifier(scorer()).classify(texts, labels, **kwargs)


def test_constructor_errors() -> None:
    with pytest.raises(InvalidInputError, match="scorer must implement the entailkit Scorer protocol"):
        ZeroShotClassifier(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="hypothesis_template must contain exactly one"):
        ZeroShotClassifier(scorer(), hypothesis_template="{} and {}")
    with pytest.raises(InvalidInputError, match="calibrator must have a transform"):
        ZeroShotClassifier(scorer(), calibrator="platt")  # type: ignore[arg-type]


def test_example_store_search_many_is_preferred() -> None:
    class BatchStore(Store):
        def search_many(self, texts: Sequence[str], k: int = 4) -> list[list[Hit]]:
            self.queries.append(("<many>", k))
            return [self.search(text, k) for text in texts]

    fake, store = scorer(), BatchStore()
    ZeroShotClassifier(fake).classify(TEXTS, LABELS, example_store=store)
    assert store.queries[0] == ("<many>", 2)


def test_real_example_store_with_a_fake_embedder() -> None:
    pytest.importorskip("faiss", reason="faiss-cpu not installed (pip install 'entailkit[faiss]')")
    import numpy as np

    from entailkit.index import ExampleStore

    class Embedder:
        info = type("Info", (), {"model": "fake-embedder"})()

        def embed(self, texts: Sequence[str]) -> np.ndarray:
            vectors = np.array([[t.count("goal") + 0.1, t.count("stock") + 0.1] for t in texts], dtype=np.float32)
            return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    store = ExampleStore(Embedder())
    store.add([
        LabelledExample(text="a goal and another goal", true_labels=("sports",)),
        LabelledExample(text="stock prices and a stock split", true_labels=("business",)),
    ])  # fmt: skip
    fake = scorer()
    results = ZeroShotClassifier(fake).classify(
        ["late goal wins it", "stock slump"], LABELS, example_store=store, rac_k=1
    )
    assert [r.examples[0].true_labels for r in results] == [("sports",), ("business",)]
