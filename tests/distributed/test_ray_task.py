"""The Ray jobs take a configured task or its spec: the same scores as flat options and as the task in process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from entailkit.distributed import BatchOptions, check_dataset, classify_dataset, rerank_dataset
from entailkit.distributed.jobtask import job_task
from entailkit.errors import InvalidInputError
from entailkit.tasks.specs import CheckSpec, ClassifySpec, RerankSpec
from fakes import FakeScorer

MODEL = "bert-nli3-cen"
QUERIES = ["a cat on a mat", "markets and money", "bread and baking"]
DOCUMENTS = [
    "The cat sat on the mat near the door.",
    "Stock markets fell sharply on Monday.",
    "A recipe for bread needs flour, water and salt.",
    "Rain is expected over the weekend in the north.",
]
ROWS = [{"qid": i, "query": q, "documents": DOCUMENTS[: 2 + i]} for i, q in enumerate(QUERIES)]


@pytest.fixture(scope="module")
def tiny_nli(tiny_models: dict[str, Path]) -> Path:
    return tiny_models[MODEL]


def _rerank(model: Path, **kwargs: Any) -> list[dict[str, Any]]:
    options = BatchOptions(num_actors=1, num_cpus=1)
    out = rerank_dataset(ROWS, str(model), documents_column="documents", options=options, **kwargs).take_all()
    return sorted(out, key=lambda row: row["qid"])


def test_a_spec_and_flat_options_give_the_same_job(ray_runtime: Any, tiny_nli: Path) -> None:
    flat = _rerank(tiny_nli, query_template="Is it about {}?", top_n=2)
    spec = _rerank(tiny_nli, task=RerankSpec(query_template="Is it about {}?", top_n=2))
    assert [r["error"] for r in flat] == [None] * len(ROWS)
    assert [r["ranking"] for r in spec] == [r["ranking"] for r in flat]
    for got, want in zip(spec, flat, strict=True):
        assert got["scores"] == pytest.approx(want["scores"], abs=1e-6)
    assert all(len(r["ranking"]) == 2 and len(r["scores"]) == len(r["documents"]) for r in flat)  # top_n cuts ranking


def test_a_configured_reranker_scores_as_in_process(ray_runtime: Any, tiny_nli: Path) -> None:
    from entailkit.scorers.loading import load_scorer
    from entailkit.tasks import Reranker, fit_calibrator

    calibrator = fit_calibrator([0.1, 0.4, 0.6, 0.9, 0.3, 0.7], [0, 0, 1, 1, 0, 1])
    reranker = Reranker(
        load_scorer(tiny_nli, device="cpu"), query_template="About {}.", threshold=0.2, calibrator=calibrator
    )
    out = _rerank(tiny_nli, task=reranker)
    expected = reranker.rerank_many([r["query"] for r in ROWS], [r["documents"] for r in ROWS])
    uncut = Reranker(reranker.scorer, query_template="About {}.", calibrator=calibrator).rerank_many(
        [r["query"] for r in ROWS], [r["documents"] for r in ROWS]
    )
    for row, result, every in zip(out, expected, uncut, strict=True):
        assert row["error"] is None
        assert row["ranking"] == result.indices  # the Reranker's threshold applies to the ranking
        by_index = {item.index: item.score for item in every}
        assert row["scores"] == pytest.approx([by_index[i] for i in range(len(row["documents"]))], abs=1e-6)


@pytest.mark.parametrize(
    ("job", "kwargs", "fragment"),
    [
        (rerank_dataset, {"task": RerankSpec(top_n=0)}, "top_n must be a positive int"),
        (rerank_dataset, {"task": {"top_k": 3}}, "unknown option 'top_k'"),
        (rerank_dataset, {"query_templat": "{}"}, "unknown options ['query_templat']"),
        (rerank_dataset, {"task": CheckSpec()}, "takes a Reranker, a RerankSpec"),
        (check_dataset, {"threshold": "0.5"}, "threshold: Input should be a valid number"),
        (check_dataset, {"task": {"aggregate": "max"}}, "aggregate: Input should be 'mean' or 'min'"),
        (check_dataset, {"task": CheckSpec(threshold=0.5), "threshold": 1.5}, "threshold must be a number in [0, 1]"),
        (classify_dataset, {"labels": ["a", "b"], "hypothesis_template": "no slot"}, "template"),
    ],
)
def test_a_bad_task_option_is_refused_before_ray_starts(
    monkeypatch: pytest.MonkeyPatch, job: Any, kwargs: dict[str, Any], fragment: str
) -> None:
    import entailkit.distributed.datasets as datasets

    def no_ray() -> Any:
        raise AssertionError("Ray was reached")

    monkeypatch.setattr(datasets, "ray_module", no_ray)
    with pytest.raises(InvalidInputError) as caught:
        job([{"text": "x"}], "some-model", **kwargs)
    assert fragment in str(caught.value)


def test_a_configured_task_needs_the_model_of_its_actors(tiny_models: dict[str, Path]) -> None:
    from entailkit.scorers.loading import load_scorer
    from entailkit.tasks import GroundednessChecker

    checker = GroundednessChecker(load_scorer(tiny_models[MODEL], device="cpu"))
    with pytest.raises(InvalidInputError, match="pass model="):
        check_dataset([{"answer": "a", "contexts": ["b"]}], task=checker)


def test_a_configured_task_carries_its_options_and_objects() -> None:
    from entailkit.tasks import GroundednessChecker, ZeroShotClassifier

    def splitter(text: str) -> list[tuple[str, tuple[int, int]]]:
        return [(text, (0, len(text)))]

    checker = GroundednessChecker(FakeScorer(), threshold=0.7, aggregate="mean", splitter=splitter)
    resolved = job_task(CheckSpec, checker, {"question_mode": "prefix"}, calibrator=None, model_given=True, job="j")
    # the task's options (an unset contradiction threshold stays unset: it follows threshold), flat ones over them
    assert resolved.spec == CheckSpec(threshold=0.7, aggregate="mean", question_mode="prefix")
    assert resolved.objects == {"splitter": splitter}
    default = job_task(CheckSpec, GroundednessChecker(FakeScorer()), {}, calibrator=None, model_given=True, job="j")
    assert default.objects == {}  # the default splitter does not travel
    classifier = ZeroShotClassifier(FakeScorer(), hypothesis_template="It is {}.")
    spec = job_task(ClassifySpec, classifier, {"hypothesis_template": None}, calibrator=None, model_given=True, job="j")
    assert spec.spec == ClassifySpec(hypothesis_template="It is {}.")  # None leaves the option as it is
