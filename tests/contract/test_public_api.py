"""One public surface (issue 21): the names users import, pinned, light to import, and one model once.

``__all__`` of ``entailkit``, ``entailkit.train`` and ``entailkit.scorers`` is pinned here: a name added
or removed is a decision, made in this file too.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

PINNED: dict[str, list[str]] = {
    "entailkit": [
        "CalibrationReport", "Calibrator", "Classification", "Client", "CrossEncoderScorer", "EmbeddingScorer",
        "EntailkitError", "Evidence", "ExampleHit", "ExampleStore", "FirstStageFusion", "GLiClassScorer",
        "GroundednessChecker", "GroundednessReport", "InvalidInputError", "LabelScores", "LabelledExample",
        "MissingDependencyError", "ModelLoadError", "PairScore", "PairScores", "PassageDecision",
        "PassageFilterResult", "PrecisionPoint", "RerankItem", "RerankResult", "Reranker", "Route", "RouteDecision",
        "RouteMetrics", "Router", "RouterReport", "Scorer", "ScorerInfo", "SentenceCheck", "ServerError",
        "TextLabelScores", "ZeroShotClassifier", "__version__", "calibrate", "clear_shared_scorers",
        "expected_calibration_error", "filter_passages", "fit_calibrator", "load_scorer", "shared_scorer",
        "split_sentences",
    ],
    "entailkit.train": [
        "BeirData", "ClassificationExample", "NLIExample", "RelevanceExample", "TrainConfig", "TrainResult",
        "build_gliclass", "classification_to_nli", "dense_retrieve", "dense_scores", "evaluate_classification",
        "evaluate_nli", "evaluate_reranking", "few_shot", "fit_fusion", "holdout_split", "load_ag_news",
        "load_beir", "load_named", "load_nli_jsonl", "load_rte", "load_sick", "mix", "nli_to_classification",
        "relevance_examples", "rerank_candidates", "split_dev", "train_cross_encoder", "train_gliclass",
        "write_model_card",
    ],
    "entailkit.scorers": [
        "CrossEncoderScorer", "DEFAULT_HYPOTHESIS_TEMPLATE", "EmbeddingScorer", "GLiClassScorer",
        "OnnxCrossEncoderScorer", "Scorer", "clear_shared_scorers", "detect_kind", "load_scorer", "shared_scorer",
    ],
}  # fmt: skip


def _run(code: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.parametrize("module", sorted(PINNED))
def test_all_is_pinned(module: str) -> None:
    assert sorted(importlib.import_module(module).__all__) == sorted(PINNED[module])


@pytest.mark.parametrize("module", sorted(PINNED))
def test_every_public_name_resolves(module: str) -> None:
    package = importlib.import_module(module)
    missing = [name for name in package.__all__ if not hasattr(package, name)]
    assert missing == []
    assert set(PINNED[module]) <= set(dir(package))


def test_importing_the_public_packages_imports_no_torch() -> None:
    result = _run(
        "import sys, entailkit, entailkit.train, entailkit.scorers; "
        "heavy = [m for m in ('torch', 'transformers', 'gliclass', 'onnxruntime') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    assert result.returncode == 0, result.stderr


def test_training_names_import_from_entailkit_train() -> None:
    result = _run("from entailkit.train import train_cross_encoder, train_gliclass, TrainConfig, NLIExample; print('ok')")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_an_unknown_name_is_an_attribute_error() -> None:
    import entailkit

    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        entailkit.nonexistent  # noqa: B018


def test_one_model_once_across_adapters(tiny_models: dict[str, Path]) -> None:
    """The LangChain reranker and the LlamaIndex postprocessor built from one model id share one scorer."""
    from langchain_entailkit import EntailkitRerank as LangChainRerank
    from llama_index.postprocessor.entailkit import EntailkitRerank as LlamaIndexRerank

    from entailkit import clear_shared_scorers, shared_scorer

    model = str(tiny_models["bert-nli3-cen"])
    clear_shared_scorers()
    langchain = LangChainRerank(model=model)
    llamaindex = LlamaIndexRerank(scorer=model)
    core = shared_scorer(model)
    assert langchain.scorer is core
    assert llamaindex._reranker.scorer is core
    relative = os.path.relpath(model)
    assert shared_scorer(relative) is core  # the same directory named another way
    assert shared_scorer(model, max_length=64) is not core  # other options, another scorer
