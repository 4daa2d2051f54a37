"""Task specs: derived from the tasks' own signatures (an option is written once), strict, round-tripping."""

from __future__ import annotations

import inspect
import json
import pickle
from typing import Any

import pytest
import yaml

from entailkit.errors import InvalidInputError
from entailkit.tasks.classify import ZeroShotClassifier
from entailkit.tasks.groundedness import GroundednessChecker
from entailkit.tasks.rerank import Reranker
from entailkit.tasks.routing import Router
from entailkit.tasks.specs import (
    OBJECT_OPTIONS,
    CheckSpec,
    ClassifySpec,
    RerankSpec,
    RouteSpec,
    TaskSpec,
    fold_spec_options,
    task_spec,
)
from fakes import FakeScorer

SPECS: list[tuple[type[TaskSpec], type[Any]]] = [
    (RerankSpec, Reranker),
    (CheckSpec, GroundednessChecker),
    (ClassifySpec, ZeroShotClassifier),
    (RouteSpec, Router),
]
ROUTES = [{"name": "billing", "description": "invoices and payments"}, {"name": "tech", "description": "bugs"}]


@pytest.mark.parametrize(("spec", "task"), SPECS)
def test_spec_fields_are_the_tasks_keyword_options(spec: type[TaskSpec], task: type[Any]) -> None:
    params = list(inspect.signature(task.__init__).parameters.values())[1:]
    options = {p.name: p.default for p in params if p.name not in OBJECT_OPTIONS}
    assert list(spec.model_fields) == list(options)
    for name, default in options.items():
        field = spec.model_fields[name]
        assert field.is_required() if default is inspect.Parameter.empty else field.default == default


def test_a_new_task_option_is_a_new_spec_field() -> None:
    class Tagger:
        def __init__(self, scorer: Any, *, tag: str = "x", weight: float = 0.5, calibrator: Any = None) -> None:
            self.scorer, self.tag, self.weight, self.calibrator = scorer, tag, weight, calibrator

    spec = task_spec(Tagger, "TagSpec")
    assert list(spec.model_fields) == ["tag", "weight"]
    built = spec(tag="y").build("scorer", calibrator="cal")
    assert (built.scorer, built.tag, built.weight, built.calibrator) == ("scorer", "y", 0.5, "cal")


def test_build_and_of_round_trip() -> None:
    scorer = FakeScorer()
    cases: list[TaskSpec] = [
        RerankSpec(top_n=2, threshold=0.25, query_template="{}", normalization="entailment_vs_contradiction"),
        CheckSpec(threshold=0.7, contradiction_threshold=0.4, aggregate="mean", question_mode="prefix"),
        ClassifySpec(hypothesis_template="It is about {}."),
        RouteSpec(routes=ROUTES, fallback="human", multi=True, threshold=0.3),
    ]
    for spec in cases:
        task = spec.build(scorer, **({} if isinstance(spec, RouteSpec) else {"show_progress": False}))
        assert task.scorer is scorer
        assert type(spec).of(task) == spec


def test_specs_are_strict_and_errors_are_typed() -> None:
    with pytest.raises(InvalidInputError, match="unknown option 'topn'"):
        RerankSpec(topn=3)
    with pytest.raises(InvalidInputError, match=r"top_n: Input should be a valid integer \(got '3'\)"):
        RerankSpec(top_n="3")
    with pytest.raises(InvalidInputError, match="threshold"):
        CheckSpec(threshold=True)
    with pytest.raises(InvalidInputError, match="aggregate"):
        CheckSpec(aggregate="max")
    with pytest.raises(InvalidInputError, match="routes"):
        RouteSpec()
    # Ranges are the task's: checked, with its own message, when the task is built.
    with pytest.raises(InvalidInputError, match="top_n"):
        RerankSpec(top_n=0).build(FakeScorer())
    with pytest.raises(InvalidInputError, match="put \\['top_n'\\] in the spec"):
        RerankSpec().build(FakeScorer(), top_n=3)
    with pytest.raises(InvalidInputError, match="takes a Reranker"):
        RerankSpec.of(ZeroShotClassifier(FakeScorer()))


def test_parse_updated_split_and_fold() -> None:
    text = yaml.safe_dump({"top_n": 3, "query_template": "{}"})
    spec = RerankSpec.parse(yaml.safe_load(text))
    assert spec == RerankSpec.parse(json.loads(json.dumps({"top_n": 3, "query_template": "{}"})))
    assert RerankSpec.parse(None) == RerankSpec() and RerankSpec.parse(spec) is spec
    with pytest.raises(InvalidInputError, match="mapping of option names"):
        RerankSpec.parse(["top_n"])
    assert spec.updated(threshold=0.5, top_n=None) == RerankSpec(top_n=3, query_template="{}", threshold=0.5)
    assert spec.updated() is spec
    mine, rest = RerankSpec.split({"top_n": 1, "model": "m"})
    assert (mine, rest) == ({"top_n": 1}, {"model": "m"})
    folded = fold_spec_options({"model": "m", "top_n": 1, "spec": {"threshold": 0.2}}, RerankSpec)
    assert folded == {"model": "m", "spec": RerankSpec(top_n=1, threshold=0.2)}
    assert fold_spec_options("not a mapping", RerankSpec) == "not a mapping"


def test_specs_pickle_and_dump_to_json() -> None:
    spec = RouteSpec(routes=ROUTES, k=3)
    assert pickle.loads(pickle.dumps(spec)) == spec
    dumped = json.loads(spec.model_dump_json())
    assert dumped["k"] == 3 and dumped["routes"][0]["name"] == "billing"
    assert RouteSpec.parse(dumped) == spec
    frozen = RerankSpec(top_n=1)
    with pytest.raises(Exception, match="frozen"):
        frozen.top_n = 2  # type: ignore[misc]
