"""Ray Data reranking with a relevance model trained on top of a retriever: the first-stage column is fused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from entailkit.distributed import BatchOptions, rerank_dataset

QUERY = "how do cats sleep"
PASSAGES = ["cats sleep all day", "the market fell", "a cat naps in the sun", "rain this weekend"]
COSINES = [0.7, 0.1, 0.55, 0.05]


@pytest.fixture(scope="module")
def fused_model(tiny_embed_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from entailkit.train.cross_encoder import train_cross_encoder
    from entailkit.train.data import RelevanceExample
    from entailkit.train.recipe import TrainConfig

    out = tmp_path_factory.mktemp("fused")
    rows = [RelevanceExample(QUERY, p, float(c > 0.5), "toy", c) for p, c in zip(PASSAGES, COSINES, strict=True)]
    config = TrainConfig(max_steps=1, batch_size=4, max_length=32, num_threads=1, patience=0)
    train_cross_encoder(tiny_embed_path, rows, dev=[], task="relevance", out_dir=out, config=config)
    return out


def test_document_lists_fuse_the_first_stage_column(ray_runtime: Any, fused_model: Path) -> None:
    from entailkit.scorers.loading import load_scorer
    from entailkit.tasks import Reranker

    options = BatchOptions(num_actors=1)
    lists = [
        {"query": QUERY, "documents": PASSAGES, "cos": COSINES},
        {"query": QUERY, "documents": PASSAGES[:2], "cos": COSINES[:1]},  # wrong length: that row's error
    ]
    out = rerank_dataset(
        lists, str(fused_model), documents_column="documents", first_stage_column="cos", options=options
    ).take_all()
    expected = Reranker(load_scorer(fused_model)).rerank(QUERY, PASSAGES, first_stage_scores=COSINES)
    assert out[0]["error"] is None and out[0]["ranking"] == expected.indices
    by_index = {item.index: item.score for item in expected}
    assert out[0]["scores"] == pytest.approx([by_index[i] for i in range(len(PASSAGES))], abs=1e-6)
    assert out[1]["scores"] is None and "one number per document" in out[1]["error"]


def test_pair_rows_fuse_their_first_stage_number(fused_model: Path) -> None:
    """The actor class Ray runs, called in this process on an Arrow batch (the Ray path is tested above)."""
    import pyarrow as pa

    from entailkit.distributed.options import ScorerSpec
    from entailkit.distributed.udf import RerankActor
    from entailkit.scorers.loading import load_scorer
    from entailkit.tasks import Reranker

    actor = RerankActor(
        ScorerSpec(str(fused_model), {}),
        query_column="query",
        document_column="document",
        list_mode=False,
        first_stage_column="cos",
    )
    cosines: list[float | None] = [*COSINES[:3], None]
    batch = pa.table({"query": [QUERY] * 4, "document": PASSAGES, "cos": cosines})
    out = actor(batch).to_pylist()
    expected = Reranker(load_scorer(fused_model)).rerank(QUERY, PASSAGES, first_stage_scores=COSINES)
    by_index = {item.index: item.score for item in expected}
    assert [r["score"] for r in out[:3]] == pytest.approx([by_index[i] for i in range(3)], abs=1e-6)
    assert out[3]["score"] is None and "cos: null, expected a number" in out[3]["error"]
