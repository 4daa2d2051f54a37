"""Relevance cross-encoders trained on top of a retriever's scores: fit, training, saved fusion, Reranker."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from entailkit.errors import InvalidInputError
from entailkit.tasks import Reranker
from entailkit.train.cross_encoder import train_cross_encoder
from entailkit.train.data import RelevanceExample
from entailkit.train.fusion import fit_fusion
from entailkit.train.recipe import TrainConfig
from entailkit.types import FIRST_STAGE_CONFIG_KEY

QUERY = "how do cats sleep"
PASSAGES = [
    "cats sleep for sixteen hours a day",
    "the stock market fell on monday",
    "a cat curls up to sleep in the sun",
    "rain is expected over the weekend",
    "kittens sleep even more than adult cats",
    "the recipe needs two eggs and flour",
]
LABELS = [1.0, 0.0, 0.67, 0.0, 0.33, 0.0]
COSINES = [0.71, 0.12, 0.55, 0.05, 0.42, 0.2]


def _rows(first_stage: bool = True) -> list[RelevanceExample]:
    return [
        RelevanceExample(QUERY, p, y, "toy", c if first_stage else None)
        for p, y, c in zip(PASSAGES, LABELS, COSINES, strict=True)
    ]


def _config(**kwargs: Any) -> TrainConfig:
    base = dict(learning_rate=2e-3, batch_size=3, warmup_ratio=0.0, max_length=32, seed=7, num_threads=1, patience=0)
    return TrainConfig(**{**base, **kwargs})


def test_fit_fusion_recovers_a_logistic_model() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=20_000)
    y = (rng.random(x.size) < 1 / (1 + np.exp(-(3.0 * x - 1.0)))).astype(float)
    fusion = fit_fusion(x, y, source="toy")
    assert fusion.scale == pytest.approx(3.0, abs=0.15) and fusion.bias == pytest.approx(-1.0, abs=0.1)
    assert fusion.source == "toy"
    with pytest.raises(InvalidInputError, match="as many labels"):
        fit_fusion(np.zeros(3), np.zeros(2))
    with pytest.raises(InvalidInputError, match="finite"):
        fit_fusion(np.array([0.1, np.nan]), np.array([0.0, 1.0]))


def test_trained_on_first_stage_saves_fusion_and_reranker_fuses(tiny_embed_path: Path, tmp_path: Path) -> None:
    from entailkit import load_scorer

    rows = _rows()
    before = list(rows)
    out = tmp_path / "fused"
    result = train_cross_encoder(
        tiny_embed_path, rows, dev=rows, task="relevance", out_dir=out, config=_config(max_steps=3, eval_every=3)
    )
    assert rows == before  # nothing the caller passed changes
    saved = json.loads((out / "config.json").read_text(encoding="utf-8"))[FIRST_STAGE_CONFIG_KEY]
    expected = fit_fusion(np.asarray(COSINES), np.asarray(LABELS))
    assert saved["scale"] == pytest.approx(expected.scale) and saved["bias"] == pytest.approx(expected.bias)
    assert saved["scale"] > 0  # higher cosine, more relevant in the toy labels
    assert result.dev_metric == "ndcg@10"

    scorer = load_scorer(out)
    assert scorer.info.first_stage is not None and scorer.info.first_stage.scale == pytest.approx(saved["scale"])
    docs = [{"text": p, "id": i} for i, p in enumerate(PASSAGES)]
    docs_before = json.dumps(docs)
    fused = Reranker(scorer).rerank(QUERY, docs, first_stage_scores=COSINES)
    assert json.dumps(docs) == docs_before
    logits = {i: s.logits[0] for i, s in enumerate(scorer.score_pairs(PASSAGES, [QUERY] * len(PASSAGES)))}
    for item in fused:
        z = logits[item.index] + saved["scale"] * COSINES[item.index] + saved["bias"]
        assert item.raw_score == pytest.approx(1 / (1 + math.exp(-z)), abs=1e-6)
        assert item.first_stage_score == COSINES[item.index]
    assert [item.score for item in fused] == sorted((item.score for item in fused), reverse=True)
    # The fusion is the scorer's: score_pairs(first_stage_scores=) gives the same fused relevance.
    direct = scorer.score_pairs(PASSAGES, [QUERY] * len(PASSAGES), first_stage_scores=COSINES)
    assert {item.index: item.raw_score for item in fused} == pytest.approx(dict(enumerate(direct.scores)), abs=1e-12)
    with pytest.raises(InvalidInputError, match=r"first_stage_scores\[1\] must be a finite number"):
        scorer.score_pairs(PASSAGES[:2], [QUERY] * 2, first_stage_scores=[0.1, float("inf")])
    many = Reranker(scorer).rerank_many([QUERY, QUERY], [docs, docs[:2]], first_stage_scores=[COSINES, COSINES[:2]])
    assert many[0].indices == fused.indices and len(many[1]) == 2


def test_reranker_checks_first_stage_scores(tiny_embed_path: Path, tmp_path: Path, caplog: Any) -> None:
    from entailkit import load_scorer

    plain_dir, fused_dir = tmp_path / "plain", tmp_path / "fused"
    train_cross_encoder(
        tiny_embed_path, _rows(False), dev=[], task="relevance", out_dir=plain_dir, config=_config(max_steps=1)
    )
    train_cross_encoder(
        tiny_embed_path, _rows(), dev=[], task="relevance", out_dir=fused_dir, config=_config(max_steps=1)
    )
    plain, fused = load_scorer(plain_dir), load_scorer(fused_dir)
    assert plain.info.first_stage is None
    with pytest.raises(InvalidInputError, match="not trained on top of a retriever"):
        Reranker(plain).rerank(QUERY, PASSAGES, first_stage_scores=COSINES)
    with pytest.raises(InvalidInputError, match="one number per document"):
        Reranker(fused).rerank(QUERY, PASSAGES, first_stage_scores=COSINES[:-1])
    with pytest.raises(InvalidInputError, match="finite number"):
        Reranker(fused).rerank(QUERY, PASSAGES, first_stage_scores=[*COSINES[:-1], float("nan")])
    with pytest.raises(InvalidInputError, match="one list of numbers per query"):
        Reranker(fused).rerank_many([QUERY], [PASSAGES], first_stage_scores=[COSINES, COSINES])
    with caplog.at_level(logging.WARNING, logger="entailkit.tasks.first_stage"):
        alone = Reranker(fused).rerank(QUERY, PASSAGES)
    assert "without first_stage_scores=" in caplog.text
    assert all(item.first_stage_score is None for item in alone)
    assert Reranker(fused).rerank(QUERY, [], first_stage_scores=[]).items == ()


def test_first_stage_scores_on_all_rows_or_none(tiny_embed_path: Path, tmp_path: Path) -> None:
    mixed = [*_rows()[:3], *_rows(False)[3:]]
    with pytest.raises(InvalidInputError, match="3 of 6 relevance rows"):
        train_cross_encoder(tiny_embed_path, mixed, dev=[], task="relevance", out_dir=tmp_path / "m", config=_config())
    with pytest.raises(InvalidInputError, match="dev rows need them too"):
        train_cross_encoder(
            tiny_embed_path, _rows(), dev=_rows(False), task="relevance", out_dir=tmp_path / "d", config=_config()
        )


def test_dense_scores_feed_relevance_examples(tiny_embed_path: Path) -> None:
    from entailkit import load_scorer
    from entailkit.train.relevance import BeirData, dense_retrieve, dense_scores, relevance_examples

    data = BeirData(
        corpus={f"d{i}": p for i, p in enumerate(PASSAGES)},
        queries={"q1": QUERY, "q2": "what is in the recipe"},
        qrels={"q1": {"d0": 3.0, "d2": 2.0}, "q2": {"d5": 3.0}},
    )
    embedder = load_scorer(tiny_embed_path, kind="embedding")
    retrieved, vectors = dense_retrieve(embedder, data, ["q1", "q2"], k=3)
    candidates = {q: [*retrieved[q], *(p for p in data.qrels[q] if p not in retrieved[q])] for q in retrieved}
    scores = dense_scores(embedder, data, candidates, vectors)
    for qid, pids in candidates.items():
        query_vector = embedder.embed([data.queries[qid]])[0]
        for pid in pids:
            assert scores[qid][pid] == pytest.approx(float(vectors[int(pid[1:])] @ query_vector), abs=1e-6)
    rows = relevance_examples(data, ["q1", "q2"], retrieved, negatives_per_query=2, first_stage=scores)
    assert rows and all(
        r.first_stage == pytest.approx(scores[_qid(data, r.query)][_pid(data, r.passage)]) for r in rows
    )
    assert {r.passage for r in rows if r.label > 0} == {PASSAGES[0], PASSAGES[2], PASSAGES[5]}
    shown_only = relevance_examples(data, ["q1"], {"q1": ["d0", "d1"]}, negatives_per_query=5, candidates_only=True)
    assert sorted(r.passage for r in shown_only) == sorted([PASSAGES[0], PASSAGES[1]])
    assert all(r.first_stage is None for r in shown_only)


def _qid(data: Any, query: str) -> str:
    return next(q for q, text in data.queries.items() if text == query)


def _pid(data: Any, passage: str) -> str:
    return next(p for p, text in data.corpus.items() if text == passage)


def test_cli_train_relevance_first_stage(tiny_embed_path: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from entailkit import load_scorer
    from entailkit.cli import app

    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    (beir / "corpus.jsonl").write_text(
        "\n".join(json.dumps({"_id": f"d{i}", "text": p}) for i, p in enumerate(PASSAGES)), encoding="utf-8"
    )
    (beir / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": QUERY}), encoding="utf-8")
    (beir / "qrels" / "test.tsv").write_text("q1\td0\t3\nq1\td2\t2\nq1\td4\t1\n", encoding="utf-8")
    out = tmp_path / "cli-rel"
    args = ["train", "relevance", "--base", str(tiny_embed_path), "--data", str(beir), "--out", str(out)]
    done = CliRunner().invoke(app, [*args, "--first-stage", "--negatives", "2", "--epochs", "1", "--quiet"])
    assert done.exit_code == 0, done.output
    fusion = load_scorer(out).info.first_stage
    assert fusion is not None and math.isfinite(fusion.scale) and math.isfinite(fusion.bias)


def test_server_fuses_first_stage_scores(tiny_embed_path: Path, tmp_path: Path) -> None:
    import httpx

    from entailkit import Client, load_scorer
    from entailkit.serve import BackgroundServer

    out = tmp_path / "fused"
    train_cross_encoder(tiny_embed_path, _rows(), dev=[], task="relevance", out_dir=out, config=_config(max_steps=2))
    scorer = load_scorer(out)
    expected = Reranker(scorer).rerank(QUERY, PASSAGES, first_stage_scores=COSINES)
    with BackgroundServer(scorer) as running:
        body = {"query": QUERY, "documents": PASSAGES, "first_stage_scores": COSINES}
        v2 = httpx.post(f"{running.url}/v2/rerank", json=body, timeout=60)
        full = Client(running.url).rerank(QUERY, PASSAGES, first_stage_scores=COSINES)
        short = httpx.post(f"{running.url}/v1/rerank", json={**body, "first_stage_scores": COSINES[:2]}, timeout=60)
    assert v2.status_code == 200, v2.text
    assert [r["index"] for r in v2.json()["results"]] == expected.indices
    assert [r["relevance_score"] for r in v2.json()["results"]] == pytest.approx(expected.scores, abs=1e-6)
    assert full.indices == expected.indices and [i.first_stage_score for i in full] == [
        COSINES[i] for i in expected.indices
    ]
    assert short.status_code == 422 and "one number per document" in short.text


def test_cli_rerank_first_stage_key(tiny_embed_path: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from entailkit import load_scorer
    from entailkit.cli import app

    out = tmp_path / "fused"
    train_cross_encoder(tiny_embed_path, _rows(), dev=[], task="relevance", out_dir=out, config=_config(max_steps=1))
    lines = "\n".join(json.dumps({"text": p, "cos": c}) for p, c in zip(PASSAGES, COSINES, strict=True))
    args = ["rerank", "--model", str(out), "--query", QUERY, "--quiet"]
    done = CliRunner().invoke(app, [*args, "--first-stage-key", "cos", "-"], input=lines)
    assert done.exit_code == 0, done.output
    items = json.loads(done.output.strip().splitlines()[-1])["items"]
    expected = Reranker(load_scorer(out)).rerank(QUERY, PASSAGES, first_stage_scores=COSINES)
    assert [i["index"] for i in items] == expected.indices
    assert [i["first_stage_score"] for i in items] == [COSINES[i] for i in expected.indices]
    bad = CliRunner().invoke(app, [*args, "--first-stage-key", "score", "-"], input=lines)
    assert bad.exit_code != 0 and "are not JSON objects with it" in bad.output


def test_fused_base_trained_without_scores_loses_its_fusion(tiny_embed_path: Path, tmp_path: Path) -> None:
    from entailkit import load_scorer

    fused, plain = tmp_path / "fused", tmp_path / "plain"
    train_cross_encoder(tiny_embed_path, _rows(), dev=[], task="relevance", out_dir=fused, config=_config(max_steps=1))
    train_cross_encoder(fused, _rows(False), dev=[], task="relevance", out_dir=plain, config=_config(max_steps=1))
    assert load_scorer(fused).info.first_stage is not None
    assert load_scorer(plain).info.first_stage is None
    assert FIRST_STAGE_CONFIG_KEY not in json.loads((plain / "config.json").read_text(encoding="utf-8"))
    assert json.loads((fused / "train_result.json").read_text(encoding="utf-8"))["first_stage_fusion"]["scale"] > 0
