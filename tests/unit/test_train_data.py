"""Training data adapters and metrics: pure python, no torch."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest

from entailkit.errors import InvalidInputError
from entailkit.metrics import accuracy, expected_calibration_error, macro_f1, mean_ndcg, ndcg_at_k
from entailkit.train.data import (
    ClassificationExample,
    NLIExample,
    classification_to_nli,
    few_shot,
    holdout_split,
    mix,
    nli_to_classification,
    normalize_label,
    split_dev,
)
from entailkit.train.datasets import clean_mpe_premise

LABELS = ["world", "sports", "business", "science"]


def _examples(per_label: int = 20) -> list[ClassificationExample]:
    return [ClassificationExample(f"{label} text {i}", (label,)) for label in LABELS for i in range(per_label)]


def test_normalize_label_spellings() -> None:
    assert normalize_label("ENTAILMENT") == "entailment"
    assert normalize_label("not entailment") == "not_entailment"
    with pytest.raises(InvalidInputError, match="unknown NLI label"):
        normalize_label("maybe")


def test_mpe_premise_loses_image_ids() -> None:
    raw = "3191828851jpg0A little boy on a bench 3191828851jpg1A child in the park"
    assert clean_mpe_premise(raw) == "A little boy on a bench A child in the park"


def test_classification_to_nli_true_and_false_labels() -> None:
    pairs = classification_to_nli([ClassificationExample("a goal", ("sports",))], LABELS, template="About {}.")
    assert [p.label for p in pairs] == ["entailment", "not_entailment", "not_entailment", "not_entailment"]
    assert pairs[0].hypothesis == "About sports." and all(p.premise == "a goal" for p in pairs)
    sampled = classification_to_nli([ClassificationExample("a goal", ("sports",))], LABELS, negatives=1, three_way=True)
    assert Counter(p.label for p in sampled) == {"entailment": 1, "contradiction": 1}
    with pytest.raises(InvalidInputError, match="template"):
        classification_to_nli([], LABELS, template="no slot")


def test_nli_to_classification_groups_hypotheses_by_premise() -> None:
    pairs = [
        NLIExample("A dog runs.", "An animal moves.", "entailment"),
        NLIExample("A man cooks.", "A person sleeps.", "contradiction"),
        NLIExample("A dog runs.", "A cat sleeps.", "contradiction"),
        NLIExample("A dog runs.", "The dog is happy.", "neutral"),
        NLIExample("A dog runs.", "A cat sleeps.", "not_entailment"),  # repeated hypothesis: counted once
    ]
    kept = list(pairs)
    rows = nli_to_classification(pairs)
    assert rows == [
        ClassificationExample(
            "A dog runs.", ("An animal moves.",), ("An animal moves.", "A cat sleeps.", "The dog is happy.")
        ),
        ClassificationExample("A man cooks.", (), ("A person sleeps.",)),  # nothing entailed: all negatives
    ]
    assert pairs == kept and nli_to_classification([]) == []


def test_few_shot_takes_n_per_label_deterministically() -> None:
    rows = _examples()
    shots = few_shot(rows, 8, seed=3)
    assert Counter(ex.labels[0] for ex in shots) == dict.fromkeys(LABELS, 8)
    assert shots == few_shot(rows, 8, seed=3)
    assert shots != few_shot(rows, 8, seed=4)
    assert len(few_shot(rows, 100)) == len(rows)  # capped by what exists
    with pytest.raises(InvalidInputError):
        few_shot(rows, 0)


def test_few_shot_does_not_mutate_input() -> None:
    rows = _examples(3)
    before = list(rows)
    few_shot(rows, 2)
    assert rows == before


def test_mix_weights_subsample_and_repeat() -> None:
    a = [NLIExample(f"a{i}", "h", "entailment") for i in range(10)]
    b = [NLIExample(f"b{i}", "h", "neutral") for i in range(4)]
    mixed = mix({"a": (a, 0.5), "b": (b, 2.5)}, seed=1)
    counts = Counter(row.premise[0] for row in mixed)
    assert counts == {"a": 5, "b": 10}
    assert set(row.premise for row in mixed if row.premise[0] == "b") == {r.premise for r in b}
    assert mix({"a": (a, 0.5), "b": (b, 2.5)}, seed=1) == mixed
    with pytest.raises(InvalidInputError):
        mix({"a": (a, -1.0)})


def test_split_dev_is_disjoint_and_seeded() -> None:
    rows = list(range(100))
    train, dev = split_dev(rows, 0.1, seed=0)
    assert len(dev) == 10 and len(train) == 90 and not set(train) & set(dev)
    assert split_dev(rows, 0.1, seed=0) == (train, dev)


def test_holdout_split_is_disjoint_seeded_and_feeds_few_shot() -> None:
    rows = _examples(30)
    held, rest = holdout_split(rows, 40, seed=0)
    assert len(held) == 40 and len(rest) == len(rows) - 40
    assert set(held).isdisjoint(rest) and set(held) | set(rest) == set(rows)
    assert holdout_split(rows, 40, seed=0) == (held, rest)
    assert holdout_split(rows, 40, seed=1)[0] != held
    assert set(few_shot(rest, 8, seed=3)).isdisjoint(held)
    with pytest.raises(InvalidInputError, match="n_eval"):
        holdout_split(rows, -1)


def test_metrics() -> None:
    assert accuracy(["a", "b", "a"], ["a", "a", "a"]) == pytest.approx(2 / 3)
    assert accuracy([], []) == 0.0
    # class a: tp 2 fp 1 fn 0 -> 0.8; class b: tp 0 fp 0 fn 1 -> 0.0
    assert macro_f1(["a", "b", "a"], ["a", "a", "a"]) == pytest.approx(0.4)
    assert ndcg_at_k(["d1", "d2"], {"d1": 3.0, "d2": 1.0}) == pytest.approx(1.0)
    swapped = (1 / math.log2(2) + 3 / math.log2(3)) / (3 + 1 / math.log2(3))
    assert ndcg_at_k(["d2", "d1"], {"d1": 3.0, "d2": 1.0}) == pytest.approx(swapped)
    assert mean_ndcg({"q": ["x", "d1"]}, {"q": {"d1": 1.0}, "unjudged": {}}) == pytest.approx(1 / math.log2(3))
    assert expected_calibration_error([[0.9, 0.1], [0.9, 0.1]], [0, 0], kind="top_label") == pytest.approx(0.1)
    assert expected_calibration_error([0.8, 0.2], [1, 0]) == pytest.approx(0.2)
    with pytest.raises(InvalidInputError):
        accuracy(["a"], [])


def _pairs_file(path: Path, labels: list[object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {"sentence1": f"A man plays guitar {i}.", "sentence2": "A person plays music.", "label": lab}
        for i, lab in enumerate(labels)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_sentence_pair_integer_labels_need_a_convention(tmp_path: Path) -> None:
    from entailkit.train.datasets import load_nli_jsonl

    loose = _pairs_file(tmp_path / "mine" / "pairs.jsonl", [0, 1])
    with pytest.raises(InvalidInputError, match=r"ambiguous.*label_convention='mrpc' or 'glue'"):
        load_nli_jsonl(loose)
    glue = [ex.label for ex in load_nli_jsonl(loose, label_convention="glue")]
    mrpc = [ex.label for ex in load_nli_jsonl(loose, label_convention="mrpc")]
    assert glue == ["entailment", "not_entailment"] and mrpc == ["not_entailment", "entailment"]
    # the folder says which: GLUE RTE reads 0 as entailment, MRPC 1
    assert [ex.label for ex in load_nli_jsonl(_pairs_file(tmp_path / "rte" / "dev.jsonl", [0, 1]))] == glue
    assert [ex.label for ex in load_nli_jsonl(_pairs_file(tmp_path / "mrpc" / "dev.jsonl", [0, 1]))] == mrpc
    named = _pairs_file(tmp_path / "mine" / "named.jsonl", ["entailment", "not_entailment"])
    assert [ex.label for ex in load_nli_jsonl(named)] == glue  # names need no convention
    with pytest.raises(InvalidInputError, match="not 0 or 1"):
        load_nli_jsonl(_pairs_file(tmp_path / "mine" / "three.jsonl", [2]), label_convention="glue")
    with pytest.raises(InvalidInputError, match="label_convention must be one of"):
        load_nli_jsonl(loose, label_convention="rte")  # type: ignore[arg-type]
