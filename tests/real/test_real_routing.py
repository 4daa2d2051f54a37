"""Router on AG News with the real SICK NLI model (zero-shot) and all-MiniLM-L6-v2 (kNN): the protocol
of scripts/eval_router_agnews.py (figures there: fit 400, evaluate 1,000) on fewer rows to keep CI
short: fit on 200 rows, evaluate on 400 disjoint rows.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytestmark = [pytest.mark.real, pytest.mark.slow]

pytest.importorskip("torch")
pytest.importorskip("faiss")

ROOT = Path(__file__).resolve().parents[2]
N_FIT = 200
N_EVAL = 400


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_router_agnews", ROOT / "scripts/eval_router_agnews.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fitted(shared_dir: Path, sick_model_path: Path, minilm_path: Path) -> dict[str, Any]:
    if not (shared_dir / "data/ag_news/test.csv").is_file():
        pytest.skip(f"AG News absent: {shared_dir / 'data/ag_news/test.csv'}")
    from entailkit.scorers.loading import load_scorer

    script = _script()
    scorer = load_scorer(sick_model_path, device="cpu")
    embedder = load_scorer(minilm_path, kind="embedding", device="cpu")
    fit_rows, eval_rows = script.load_split(shared_dir, N_FIT, N_EVAL, seed=0)
    router = script.build_router(scorer, embedder, fit_rows)
    report = router.fit([t for t, _ in fit_rows], [label for _, label in fit_rows])
    return {"router": router, "report": report, "eval": eval_rows, "scorer": scorer, "embedder": embedder}


def test_router_accuracy_on_held_out_agnews(fitted: dict[str, Any]) -> None:
    router, eval_rows = fitted["router"], fitted["eval"]
    assert not {t for t, _ in eval_rows} & {t for r in router.routes for t in r.examples}, "splits must be disjoint"
    report = router.evaluate([t for t, _ in eval_rows], [label for _, label in eval_rows])
    assert report.n == N_EVAL and report.signals == ("zero-shot", "knn")
    assert report.accuracy > 0.70, report
    assert set(report.per_route) == {"World", "Sports", "Business", "Sci/Tech"}
    fit = fitted["report"]
    assert len(fit.blend_search) == 11 and 0.0 <= fit.blend_weight <= 1.0


def test_fitted_router_survives_save_and_load(fitted: dict[str, Any], tmp_path: Path) -> None:
    from entailkit.tasks.routing import Router

    router = fitted["router"]
    path = tmp_path / "agnews-router.json"
    router.save(path)
    loaded = Router.load(path, fitted["scorer"], embedding_scorer=fitted["embedder"])
    queries = [t for t, _ in fitted["eval"][:5]]
    assert loaded.route_many(queries) == router.route_many(queries)
