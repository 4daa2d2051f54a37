"""Reranker with real checkpoints: the SICK NLI cross-encoder, and dense retrieval + rerank on MS MARCO.

The end-to-end test embeds the 5,000 passages of ../shared/data/msmarco_trecdl_subset with
all-MiniLM-L6-v2 (cached under pytest's cache folder), reranks 10 queries' top 100 with
../shared/models/minilm-l6-sick-nli and records nDCG@10 (scripts/eval_msmarco_rerank.py does all 50).
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from entailkit.tasks import Reranker

pytestmark = pytest.mark.real
logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
RERANK_QUERIES = 10
DEPTH = 100


def _eval_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_msmarco_rerank", ROOT / "scripts" / "eval_msmarco_rerank.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sick_scorer(sick_model_path: Path) -> Any:
    from entailkit.scorers.loading import load_scorer

    return load_scorer(sick_model_path, device="cpu", batch_size=64)


def test_sick_reranker_orders_and_windows(sick_model_path: Path, sick_scorer: Any) -> None:
    docs: list[Any] = [
        "A woman is slicing an onion.",
        {"text": "A man is playing a guitar on stage.", "metadata": {"id": "g"}},
        "Two dogs are running through a field.",
    ]
    result = Reranker(sick_scorer, query_template="{}").rerank("A person is playing music.", docs)
    assert result.indices[0] == 1 and result[0].metadata == {"id": "g"} and result[0].document is docs[1]
    assert result.scores == sorted(result.scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in result.scores) and result[0].score > 0.5

    from entailkit.scorers.loading import load_scorer

    short = load_scorer(sick_model_path, device="cpu", max_length=64)
    filler = " ".join(["A child is riding a bike on the road."] * 5)
    passage = f"{filler} A man is playing a guitar on stage. {filler}"
    top = Reranker(short, query_template="{}").rerank("A man is playing a guitar.", ["A cat sleeps.", passage])[0]
    assert top.index == 1 and top.num_windows > 1 and top.pair.window is not None
    assert "playing a guitar" in passage[top.pair.window[0] : top.pair.window[1]]


@pytest.fixture(scope="module")
def msmarco(
    shared_dir: Path, minilm_path: Path, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Corpus, queries, qrels, the embedder and the passage vectors (cached across runs)."""
    folder = shared_dir / "data" / "msmarco_trecdl_subset"
    if not (folder / "corpus.jsonl").is_file():
        pytest.skip(f"MS MARCO subset absent: {folder}")
    from entailkit.scorers.loading import load_scorer

    ev = _eval_module()
    corpus, queries, qrels = ev.load_subset(folder)
    embedder = load_scorer(minilm_path, kind="embedding", device="cpu", batch_size=64)
    # pytest's cache folder keeps the vectors across runs; without the cache plugin, a temporary folder.
    config_cache = getattr(request.config, "cache", None)
    cache = (
        Path(config_cache.mkdir("entailkit-embeddings"))
        if config_cache is not None
        else tmp_path_factory.mktemp("entailkit-embeddings")
    )
    vectors = ev.embed_corpus(embedder, corpus, cache)
    return {"ev": ev, "corpus": corpus, "queries": queries, "qrels": qrels, "embedder": embedder, "vectors": vectors}


@pytest.mark.slow
def test_dense_retrieval_then_rerank_msmarco(msmarco: dict[str, Any], sick_scorer: Any, record_property: Any) -> None:
    ev, corpus, queries, qrels = msmarco["ev"], msmarco["corpus"], msmarco["queries"], msmarco["qrels"]
    doc_ids = list(corpus)
    assert len(doc_ids) == 5000 and msmarco["vectors"].shape == (5000, 384)
    assert np.allclose(np.linalg.norm(msmarco["vectors"], axis=1), 1.0, atol=1e-4)
    qids = list(queries)
    candidates = ev.dense_top(msmarco["embedder"], msmarco["vectors"], doc_ids, [queries[q] for q in qids], DEPTH)
    dense = dict(zip(qids, candidates, strict=True))
    dense_ndcg = ev.both_ndcg(dense, qrels)["ndcg@10"]  # 2**g - 1 gains, all queries
    record_property("dense_ndcg@10_all_queries", round(dense_ndcg, 4))
    assert dense_ndcg == pytest.approx(0.605, abs=0.01)  # the reference figure of ../shared/data/DATA.md

    judged = [q for q in qids if qrels.get(q)][:RERANK_QUERIES]
    reranker = Reranker(sick_scorer)
    documents = [[{"text": corpus[d], "id": d} for d in dense[q]] for q in judged]
    results = reranker.rerank_many([queries[q] for q in judged], documents)
    reranked = {}
    for qid, result, docs in zip(judged, results, documents, strict=True):
        assert len(result) == DEPTH and result.num_documents == DEPTH
        assert sorted(result.indices) == list(range(DEPTH))
        assert result.scores == sorted(result.scores, reverse=True)
        assert all(0.0 <= s <= 1.0 for s in result.scores)
        assert all(item.document is docs[item.index] for item in result)
        reranked[qid] = [item.document["id"] for item in result]
    before = ev.both_ndcg({q: dense[q] for q in judged}, qrels)["ndcg@10"]
    after = ev.both_ndcg(reranked, qrels)["ndcg@10"]
    record_property("dense_ndcg@10_10_queries", round(before, 4))
    record_property("rerank_ndcg@10_10_queries", round(after, 4))
    logger.warning("MS MARCO, %d queries x top %d: nDCG@10 dense %.4f, dense + SICK rerank %.4f",
                   len(judged), DEPTH, before, after)  # fmt: skip
    assert 0.0 < after <= 1.0
