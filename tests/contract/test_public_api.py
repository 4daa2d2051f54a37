"""One public surface (issue 21): the names users import, pinned, light to import, and one model once.

``__all__`` of ``entailkit``, ``entailkit.train`` and ``entailkit.scorers`` is pinned here: a name added
or removed is a decision, made in this file too.
"""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

PINNED: dict[str, list[str]] = {
    "entailkit": [
        "CalibrationReport", "Calibrator", "CheckSpec", "Classification", "ClassifySpec", "Client", "CrossEncoderScorer", "EmbeddingScorer",
        "EntailkitError", "Evidence", "ExampleHit", "ExampleStore", "FirstStageFusion", "GLiClassScorer",
        "GroundednessChecker", "GroundednessReport", "InvalidInputError", "LabelScores", "LabelledExample",
        "MissingDependencyError", "ModelLoadError", "Overloaded", "PairScore", "PairScores", "PassageDecision",
        "PassageFilterResult", "PrecisionPoint", "RerankItem", "RerankResult", "RerankSpec", "Reranker", "Route",
        "RouteDecision", "RouteMetrics", "RouteSpec", "Router", "RouterReport", "Scorer", "ScorerInfo", "SentenceCheck", "ServerError", "StreamedSentence",
        "TaskSpec", "TextLabelScores", "ZeroShotClassifier", "__version__", "calibrate", "clear_shared_scorers", "configure_batching",
        "expected_calibration_error", "filter_passages", "fit_calibrator", "load_scorer", "shared_scorer",
        "split_sentences", "TEMPLATE_LANGUAGES", "template_for", "QA_TEMPLATE", "QUESTION_MODES", "answer_claim",
    ],
    "entailkit.train": [
        "BeirData", "ClassificationExample", "GroundingData", "NLIExample", "RelevanceExample", "TrainConfig",
        "TrainResult", "boolq_claims", "build_gliclass", "classification_to_nli", "dense_retrieve", "dense_scores",
        "evaluate_classification", "evaluate_groundedness", "evaluate_nli", "evaluate_reranking", "few_shot",
        "fit_fusion", "groundedness_dev_set", "groundedness_train_pairs", "holdout_split", "load_ag_news",
        "load_beir", "load_named", "load_nli_jsonl", "load_rte", "load_sick", "mix", "nli_to_classification",
        "passage_claims", "relevance_examples", "rerank_candidates", "split_dev", "train_cross_encoder",
        "train_gliclass", "write_model_card", "HeadCalibration", "QAExample", "fit_head_calibration",
        "fold_head_calibration", "groundedness_qa_dev_set",
    ],
    "entailkit.scorers": [
        "CrossEncoderScorer", "DEFAULT_HYPOTHESIS_TEMPLATE", "EmbeddingScorer", "GLiClassScorer",
        "OnnxCrossEncoderScorer", "Scorer", "clear_shared_scorers", "detect_kind", "load_scorer", "scorer_for",
        "shared_scorer",
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


REPO = Path(__file__).resolve().parents[2]
PUBLIC_ROOTS = [
    REPO / "src/entailkit",
    REPO / "integrations/langchain/langchain_entailkit",
    REPO / "integrations/llamaindex/llama_index",
]


def _public_modules() -> list[Path]:
    """Every module whose path has no private part (``_x``), ``__init__.py`` included."""
    found = []
    for root in PUBLIC_ROOTS:
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root).parts
            if any(p.startswith("_") for p in parts[:-1]) or path.name == "__main__.py":
                continue
            if path.name.startswith("_") and path.name != "__init__.py":
                continue
            found.append(path)
    return found


def _module_names(tree: ast.Module) -> tuple[list[str] | None, set[str], set[str]]:
    """(__all__, public names defined at top level, every name bound at top level)."""
    declared: list[str] | None = None
    defined: set[str] = set()
    bound: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        nonlocal declared
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(node.name)
                bound.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                bound.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        bound.add(target.id)
                        if target.id == "__all__" and node.value is not None:
                            try:
                                declared = list(ast.literal_eval(node.value))
                            except ValueError:  # computed (a lazy package's sorted table): read it on import
                                declared = []
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)

    visit(tree.body)
    return declared, {name for name in defined if not name.startswith("_")}, bound


@pytest.mark.parametrize("path", _public_modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_public_module_declares_its_public_names(path: Path) -> None:
    """``__all__`` on every public module: it lists every public class and function the module defines,
    and only names the module binds (lazy packages resolve theirs through ``__getattr__``)."""
    declared, defined, bound = _module_names(ast.parse(path.read_text(encoding="utf-8")))
    assert declared is not None, f"{path.name} has no __all__"
    if not declared and path.name == "__init__.py":
        root = next(r for r in PUBLIC_ROOTS if r in path.parents)
        dotted = ".".join((root.name, *path.parent.relative_to(root).parts))
        declared = list(importlib.import_module(dotted).__all__)
    assert sorted(defined - set(declared)) == [], "public names missing from __all__"
    if path.name != "__init__.py":
        assert sorted(set(declared) - bound) == [], "__all__ names that the module does not define"
    assert len(declared) == len(set(declared)), "duplicates in __all__"


def test_importing_the_public_packages_imports_no_torch() -> None:
    result = _run(
        "import sys, entailkit, entailkit.train, entailkit.scorers; "
        "heavy = [m for m in ('torch', 'transformers', 'gliclass', 'onnxruntime') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    assert result.returncode == 0, result.stderr


def test_training_names_import_from_entailkit_train() -> None:
    result = _run(
        "from entailkit.train import train_cross_encoder, train_gliclass, TrainConfig, NLIExample; print('ok')"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_an_unknown_name_is_an_attribute_error() -> None:
    import entailkit

    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        entailkit.nonexistent  # noqa: B018


def test_every_error_class_is_in_errors_and_derives_from_entailkit_error() -> None:
    import inspect

    from entailkit import errors

    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__]
    names = {c.__name__ for c in classes}
    assert {"ServerError", "ApiError", "Overloaded", "RequestTimeout", "RequestCancelled", "BatcherClosed"} <= names
    assert all(issubclass(c, errors.EntailkitError) for c in classes)
    assert issubclass(errors.FieldError, errors.InvalidInputError)
    assert errors.__doc__ and all(c.__doc__ and c.__doc__.strip() for c in classes)
    result = _run("import sys, entailkit.errors; assert 'fastapi' not in sys.modules and 'torch' not in sys.modules")
    assert result.returncode == 0, result.stderr


def test_the_server_errors_are_the_ones_of_errors_py() -> None:
    import entailkit
    import entailkit.serve
    from entailkit import errors
    from entailkit.distributed import rows
    from entailkit.serve import batcher, client, jobs, limits

    assert entailkit.ServerError is entailkit.serve.ServerError is client.ServerError is errors.ServerError
    assert batcher.Overloaded is errors.Overloaded and batcher.BatcherClosed is errors.BatcherClosed
    assert jobs.RequestTimeout is errors.RequestTimeout and jobs.RequestCancelled is errors.RequestCancelled
    assert limits.ApiError is errors.ApiError and rows.FieldError is errors.FieldError


def test_one_model_once_across_adapters(tiny_models: dict[str, Path]) -> None:
    """The LangChain reranker, the LlamaIndex postprocessor and the HTTP app built from one model id share one scorer."""
    pytest.importorskip("fastapi", reason="the 'serve' extra is not installed")
    from langchain_entailkit import EntailkitRerank as LangChainRerank
    from llama_index.postprocessor.entailkit import EntailkitRerank as LlamaIndexRerank

    from entailkit import clear_shared_scorers, shared_scorer
    from entailkit.serve import BatchingScorer, create_app

    model = str(tiny_models["bert-nli3-cen"])
    clear_shared_scorers()
    langchain = LangChainRerank(model=model)
    llamaindex = LlamaIndexRerank(scorer=model)
    app = create_app(model)  # not started: no worker thread, nothing to stop
    core = shared_scorer(model)
    assert langchain.scorer is core
    assert llamaindex._reranker.scorer is core
    state = app.app.state.entailkit
    assert isinstance(state.scorer, BatchingScorer)  # what the server's tasks call wraps the shared scorer
    assert state.scorer.inner is core
    assert state.batcher.scorer is core
    assert create_app(os.path.relpath(model)).app.state.entailkit.batcher.scorer is core
    relative = os.path.relpath(model)
    assert shared_scorer(relative) is core  # the same directory named another way
    assert shared_scorer(model, max_length=64) is not core  # other options, another scorer


def test_ray_actors_in_one_process_share_one_scorer(tiny_models: dict[str, Path]) -> None:
    """Two actors (of two jobs) constructed in one worker process load the model once (no Ray runtime needed)."""
    pytest.importorskip("pyarrow", reason="the 'ray' extra is not installed")
    from entailkit import clear_shared_scorers, shared_scorer
    from entailkit.distributed.options import BatchOptions, scorer_spec
    from entailkit.distributed.udf import CheckActor, RerankActor

    model = str(tiny_models["bert-nli3-cen"])
    clear_shared_scorers()
    spec = scorer_spec(model, BatchOptions(), 0.0)
    rerank = {"query_column": "q", "document_column": "d", "list_mode": False}
    first = RerankActor(spec, **rerank)
    second = RerankActor(scorer_spec(os.path.relpath(model), BatchOptions(), 0.0), **rerank)
    check = CheckActor(spec, answer_column="a", contexts_column="c", question_column=None)
    assert first.scorer is second.scorer is check.scorer is shared_scorer(model, **dict(spec.kwargs))
    other = scorer_spec(model, BatchOptions(scorer_kwargs={"max_length": 64}), 0.0)
    assert RerankActor(other, **rerank).scorer is not first.scorer  # other options, another scorer
