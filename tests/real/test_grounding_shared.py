"""The groundedness dev benchmark on the shared data (issue 22): held out from the training pairs, both labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from entailkit.train import GroundingData, groundedness_dev_set, groundedness_train_pairs
from entailkit.train.relevance import load_beir, split_queries

pytestmark = [pytest.mark.real, pytest.mark.slow]


@pytest.fixture(scope="module")
def data_dir(shared_dir: Path) -> Path:
    needed = ["msmarco_trecdl_subset/corpus.jsonl", "nli/boolq/dev_official.jsonl", "nli/boolq/train_heldout.jsonl"]
    missing = [name for name in needed if not (shared_dir / "data" / name).is_file()]
    if missing:
        pytest.skip(f"shared data absent: {missing}")
    return shared_dir


@pytest.fixture(scope="module")
def dev(data_dir: Path) -> GroundingData:
    return groundedness_dev_set(data_dir, seed=0)


def test_dev_set_is_disjoint_from_the_training_pairs_and_has_both_labels(data_dir: Path, dev: GroundingData) -> None:
    train = groundedness_train_pairs(data_dir, seed=0)
    assert dev.examples and train.examples
    assert not {ex.premise for ex in dev.examples} & {ex.premise for ex in train.examples}
    assert {ex.label for ex in dev.examples} == {"entailment", "not_entailment"}
    assert {ex.label for ex in train.examples} == {"entailment", "not_entailment"}
    assert sum(dev.counts.values()) == len(dev.examples) and max(dev.counts.values()) <= 300
    sources = set(dev.counts)
    assert {"msmarco:sentence", "msmarco:other_passage", "msmarco:negation", "boolq:qa_yes", "boolq:qa_no"} <= sources
    for ex in dev.examples:
        if ex.source.split(":")[1] not in ("sentence", "clause", "strip_lead", "qa_yes"):
            assert ex.hypothesis not in ex.premise, ex


def test_msmarco_dev_premises_are_passages_of_held_out_queries(data_dir: Path, dev: GroundingData) -> None:
    beir = load_beir(data_dir / "data" / "msmarco_trecdl_subset")
    train_q, held_q = split_queries(sorted(q for q in beir.qrels if q in beir.queries), seed=0)
    assert (len(train_q), len(held_q)) == (21, 22)
    held = {beir.corpus[p] for q in held_q for p in beir.qrels[q]}
    assert {ex.premise for ex in dev.examples if ex.source.startswith("msmarco:")} <= held
