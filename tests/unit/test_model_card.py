"""Model cards are huggingface_hub ModelCards: valid metadata, base model by hub id or name, evals round-trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import ModelCard

from entailkit.train.card import hub_base_model, record_evaluation, write_model_card

CONFIG = {
    "learning_rate": 2e-5,
    "weight_decay": 0.01,
    "warmup_ratio": 0.1,
    "batch_size": 8,
    "grad_accum": 1,
    "max_length": 128,
    "seed": 1,
    "patience": 2,
}


def _result(base: str, **extra: object) -> dict[str, object]:
    return {
        "base": base,
        "task": "relevance",
        "head": "relevance",
        "id2label": {"0": "relevance"},
        "config": CONFIG,
        "n_train": 10,
        "n_dev": 2,
        "steps": 4,
        "epochs": 1.0,
        "wall_s": 1.0,
        "best_step": 2,
        "stopped_early": False,
        "dev_metric": "ndcg@10",
        "best_dev": 0.75,
        **extra,
    }


def _write(out: Path, result: dict[str, object]) -> Path:
    out.mkdir(parents=True)
    (out / "train_result.json").write_text(json.dumps(result), encoding="utf-8")
    return write_model_card(out)


def test_card_parses_back_with_metadata_and_eval_results(tmp_path: Path) -> None:
    out = tmp_path / "my-reranker"
    _write(out, _result("cross-encoder/ms-marco-MiniLM-L-6-v2", license="apache-2.0", language="en"))
    record_evaluation(out, "trec-dl", {"ndcg@10": 0.5, "mrr@10": 0.625})
    card = ModelCard.load(out / "README.md")
    data = card.data.to_dict()
    assert data["library_name"] == "transformers"
    assert data["pipeline_tag"] == "text-ranking"
    assert data["tags"] == ["entailkit", "cross-encoder", "relevance"]
    assert data["base_model"] == "cross-encoder/ms-marco-MiniLM-L-6-v2"
    assert data["license"] == "apache-2.0" and data["language"] == "en"
    results = {(r.dataset_name, r.metric_type): r.metric_value for r in card.data.eval_results}
    assert results == {
        ("dev split (early stopping)", "ndcg@10"): 0.75,
        ("trec-dl", "mrr@10"): 0.625,
        ("trec-dl", "ndcg@10"): 0.5,
    }
    assert "## Recipe" in card.text and "| trec-dl | ndcg@10 | 0.5000 |" in card.text


@pytest.mark.parametrize("origin", [None, "/work/shared/models/base", "../base"])
def test_local_base_is_named_by_its_directory(tmp_path: Path, origin: str | None) -> None:
    base = tmp_path / "models" / "minilm-base"
    base.mkdir(parents=True)
    (base / "config.json").write_text(json.dumps({"_name_or_path": origin} if origin else {}), encoding="utf-8")
    out = tmp_path / "out"
    _write(out, _result(str(base)))
    value = ModelCard.load(out / "README.md").data.to_dict()["base_model"]
    assert value == "minilm-base"
    assert not value.startswith(("/", ".", "~")) and str(tmp_path) not in (out / "README.md").read_text()


def test_local_base_uses_the_hub_id_it_came_from(tmp_path: Path) -> None:
    base = tmp_path / "snapshot"
    base.mkdir()
    (base / "config.json").write_text(json.dumps({"_name_or_path": "microsoft/MiniLM-L12-H384-uncased"}))
    assert hub_base_model(str(base)) == "microsoft/MiniLM-L12-H384-uncased"


def test_paths_that_do_not_exist_are_reduced_to_their_name() -> None:
    assert hub_base_model("/gone/models/base-model") == "base-model"
    assert hub_base_model("../models/base-model") == "base-model"
    assert hub_base_model("org/model") == "org/model"
    assert hub_base_model(None) is None
