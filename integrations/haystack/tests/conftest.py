"""Offline setup, tiny random models and the shared real models for the Haystack adapter tests.

Real weights and data come from ``$ENTAILKIT_SHARED`` (else ``../shared``) and skip with a reason when
absent; the tiny random-weight models are built once a session with the core tests' fixtures.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # as the core tests: tiny matmuls on a shared 2-core box

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
REPO_ROOT = PACKAGE_ROOT.parents[1]
CORE_TESTS = REPO_ROOT / "tests"

if importlib.util.find_spec("entailkit") is None:
    sys.path.insert(0, str(REPO_ROOT / "src"))
if str(CORE_TESTS) not in sys.path:  # tests/fixtures/tiny_models.py (tiny random-weight models)
    sys.path.insert(0, str(CORE_TESTS))


def _add_package_path() -> None:
    """Run from a checkout without installing the distribution: put its src/ on the path."""
    try:
        found = importlib.util.find_spec("haystack_integrations.components.rankers.entailkit") is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        sys.path.insert(0, str(PACKAGE_ROOT / "src"))
        importlib.invalidate_caches()


_add_package_path()

QUERY = "causes of left ventricular hypertrophy"  # query 87181 of the MS MARCO subset
QUERY_ID = "87181"
N_PASSAGES = 60


def shared_root() -> Path:
    return Path(os.environ.get("ENTAILKIT_SHARED", str(REPO_ROOT.parent / "shared"))).expanduser()


def _real_model(name: str) -> str:
    path = shared_root() / "models" / name
    if not (path / "config.json").is_file():
        pytest.skip(f"real NLI model absent: {path} (set ENTAILKIT_SHARED)")
    return str(path)


@pytest.fixture(scope="session")
def nli_model() -> str:
    """The path of the real 3-way NLI checkpoint ../shared/models/minilm-l6-general-nli."""
    return _real_model("minilm-l6-general-nli")


@pytest.fixture(scope="session")
def sick_model() -> str:
    """The path of the real 3-way NLI checkpoint ../shared/models/minilm-l6-sick-nli."""
    return _real_model("minilm-l6-sick-nli")


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """name -> path of a few tiny random-weight models (3-label NLI, 1-logit relevance, embedding)."""
    from fixtures.tiny_models import CROSS_ENCODER_SPECS, build_cross_encoder, build_embedding_model, make_tokenizer

    root = tmp_path_factory.mktemp("tiny-haystack")
    tokenizer = make_tokenizer()
    wanted = {"bert-nli3-cen", "bert-nli2-ent1", "bert-rel1"}
    out = {
        spec.name: str(build_cross_encoder(root / spec.name, spec, tokenizer))
        for spec in CROSS_ENCODER_SPECS
        if spec.name in wanted
    }
    out["bert-embed"] = str(build_embedding_model(root / "bert-embed", tokenizer))
    return out


@pytest.fixture(scope="session")
def msmarco_docs() -> list[Any]:
    """Haystack Documents of the first MS MARCO passages plus those judged for QUERY (a BM25 corpus)."""
    from haystack import Document

    root = shared_root() / "data" / "msmarco_trecdl_subset"
    if not (root / "corpus.jsonl").is_file():
        pytest.skip(f"MS MARCO subset absent: {root}")
    qrels = (root / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()
    judged = {line.split("\t")[1] for line in qrels if line.startswith(QUERY_ID + "\t")}
    docs = []
    with (root / "corpus.jsonl").open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            row = json.loads(line)
            if i < N_PASSAGES or row["_id"] in judged:
                docs.append(Document(id=row["_id"], content=row["text"], meta={"title": row.get("title") or ""}))
    return docs


@pytest.fixture(scope="session")
def query() -> str:
    return QUERY
