"""The training adapters on the real shared data: pool sizes, held-out sets kept out, relevance examples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from entailkit.train.datasets import EVAL_SETS, GENERAL_POOL, load_ag_news, load_named
from entailkit.train.relevance import dense_search, load_beir, relevance_examples, split_queries

pytestmark = pytest.mark.real


def test_general_pool_is_the_57k_training_files(shared_dir: Path) -> None:
    rows = load_named("general", shared_dir)
    assert len(rows) == 57_518
    assert {r.source for r in rows} == {"sick", "rte", "mnli", "snli", "qnli", "joci", "mpe", "cb"}
    assert not any("jpg" in r.premise for r in rows if r.source == "mpe")
    assert "mnli:dev_matched" not in GENERAL_POOL and "qnli:dev" not in GENERAL_POOL


def test_held_out_pairs_never_in_training(shared_dir: Path) -> None:
    train = {(r.premise, r.hypothesis) for r in load_named("general", shared_dir)}
    for name in ("qnli:dev", "sick:test", "rte:dev", "scitail:test", "mnli:dev_matched"):
        held = {(r.premise, r.hypothesis) for r in load_named(name, shared_dir)}
        assert not held & train, name
    assert len(load_named("qnli:train", shared_dir)) == 5_732 - 2_798
    assert set(EVAL_SETS) >= {"sick:test", "rte:dev", "mnli:dev_matched", "qnli:dev", "scitail:test"}


def test_ag_news_loader(shared_dir: Path) -> None:
    rows, names = load_ag_news(shared_dir / "data" / "ag_news" / "test.csv")
    assert len(rows) == 7_600 and names == ["World", "Sports", "Business", "Sci/Tech"]
    assert all(len(r.labels) == 1 and r.labels[0] in names for r in rows)


def test_msmarco_relevance_examples(shared_dir: Path) -> None:
    data = load_beir(shared_dir / "data" / "msmarco_trecdl_subset")
    assert (len(data.queries), len(data.corpus)) == (50, 5_000)
    assert sum(len(v) for v in data.qrels.values()) == 4_102  # DATA.md says 4,101; the file has 4,102 lines, grades 1-3
    train_q, test_q = split_queries(list(data.qrels), seed=0)
    assert len(data.qrels) == 43  # 7 of the 50 queries have no judgments
    assert (len(train_q), len(test_q)) == (21, 22) and not set(train_q) & set(test_q)
    unjudged = {q: [d for d in data.corpus if d not in data.qrels[q]][:10] for q in train_q[:2]}
    rows = relevance_examples(data, train_q[:2], unjudged, negatives_per_query=5)
    n_judged = sum(len(data.qrels[q]) for q in train_q[:2])
    assert len(rows) == n_judged + 10
    assert sum(r.label == 0.0 and r.source == "mined" for r in rows) == 10
    assert all(0.0 < r.label <= 1.0 for r in rows if r.source == "qrels")


def test_dense_search_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    docs = rng.normal(size=(50, 8)).astype(np.float32)
    queries = rng.normal(size=(3, 8)).astype(np.float32)
    expected = np.argsort(-(queries @ docs.T), axis=1)[:, :5]
    assert (dense_search(queries, docs, 5) == expected).all()
