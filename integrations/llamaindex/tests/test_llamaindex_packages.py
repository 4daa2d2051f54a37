"""The per-category distributions: each with its ``[tool.llamahub]`` section, and the old import path kept."""

from __future__ import annotations

import importlib
from importlib import metadata
from pathlib import Path

import pytest
import tomllib

INTEGRATIONS = Path(__file__).resolve().parents[2]
DISTRIBUTIONS = {
    "llamaindex-postprocessor": ("llama-index-postprocessor-entailkit-rerank", "llama_index.postprocessor.entailkit_rerank"),
    "llamaindex-embeddings": ("llama-index-embeddings-entailkit", "llama_index.embeddings.entailkit"),
    "llamaindex-selectors": ("llama-index-selectors-entailkit", "llama_index.selectors.entailkit"),
    "llamaindex-evaluation": ("llama-index-evaluation-entailkit", "llama_index.evaluation.entailkit"),
}  # fmt: skip
OLD_PATHS = {
    "EntailkitRerank": "rerank",
    "EntailkitDocumentFilter": "filter",
    "EntailkitStreamGuard": "stream_guard",
    "EntailkitEmbedding": "embedding",
    "EntailkitSelector": "selector",
    "EntailkitFaithfulnessEvaluator": "evaluation",
    "EntailkitRelevancyEvaluator": "evaluation",
}


@pytest.mark.parametrize("folder", sorted(DISTRIBUTIONS))
def test_each_category_is_a_distribution_with_its_llamahub_section(folder: str) -> None:
    name, module = DISTRIBUTIONS[folder]
    project = tomllib.loads((INTEGRATIONS / folder / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["name"] == name
    hub = project["tool"]["llamahub"]
    assert hub["import_path"] == module
    exported = importlib.import_module(module)
    assert set(hub["class_authors"]) == set(exported.__all__)
    assert all(getattr(exported, cls).__module__.startswith(module) for cls in hub["class_authors"])
    assert metadata.version(name)  # installed (scripts/install.sh installs every integrations/*/)


def test_the_old_import_paths_give_the_same_classes() -> None:
    old = importlib.import_module("llama_index.postprocessor.entailkit")
    for cls, submodule in OLD_PATHS.items():
        new = next(
            getattr(importlib.import_module(m), cls)
            for _, m in DISTRIBUTIONS.values()
            if hasattr(importlib.import_module(m), cls)
        )
        assert getattr(old, cls) is new
        assert getattr(importlib.import_module(f"llama_index.postprocessor.entailkit.{submodule}"), cls) is new
    requires = metadata.requires("llama-index-postprocessor-entailkit") or []
    assert {name for name, _ in DISTRIBUTIONS.values()} <= {r.split(";")[0].strip() for r in requires}
