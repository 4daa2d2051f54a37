"""The Haystack components on tiny random models: same numbers as the entailkit tasks, serialisation,
lazy loading, typed errors, empty input and untouched inputs."""

from __future__ import annotations

import copy
from typing import Any

import pytest

pytest.importorskip("haystack", reason="pip install 'haystack-ai>=2.9'")

from haystack import Document, Pipeline
from haystack.dataclasses import ChatMessage

from entailkit import GroundednessChecker, Reranker, Router, shared_scorer
from entailkit.adapters import DEFAULT_EMPTY_ANSWER
from entailkit.errors import InvalidInputError, UngroundedAnswerError
from haystack_integrations.components.evaluators.entailkit import (
    EntailkitGroundednessEvaluator,
    EntailkitGroundednessGuard,
)
from haystack_integrations.components.rankers.entailkit import EntailkitRanker
from haystack_integrations.components.routers.entailkit import EntailkitRouter

DOCS = [
    Document(content="The tower is in Paris.", meta={"title": "Eiffel"}),
    Document(content="Bananas are yellow.", meta={"title": "Fruit"}),
    Document(content="The tower was finished in 1889.", meta={}),
]
QUERY = "the tower"
ANSWER = "The tower is in Paris. Bananas are blue. It was finished in 1889."
ROUTES = [
    {"name": "billing", "description": "invoices and payments", "examples": ["my invoice is wrong"]},
    {"name": "tech", "description": "software errors", "examples": ["the app crashes"]},
]


@pytest.fixture(scope="module")
def nli(tiny_models: dict[str, str]) -> str:
    return tiny_models["bert-nli3-cen"]


def test_ranker_matches_reranker_and_copies(nli: str) -> None:
    docs = copy.deepcopy(DOCS)
    ranker = EntailkitRanker(model=nli, top_k=2)
    out = ranker.run(query=QUERY, documents=docs)["documents"]
    expected = Reranker(shared_scorer(nli)).rerank(QUERY, [d.content for d in DOCS], top_n=2)
    assert [d.content for d in out] == [item.text for item in expected.items]
    assert [d.score for d in out] == [item.score for item in expected.items]
    assert [d.id for d in out] == [DOCS[item.index].id for item in expected.items]
    assert docs == DOCS and all(d.score is None for d in docs)  # inputs untouched
    assert out[0] is not docs[expected.items[0].index]


def test_ranker_options(nli: str) -> None:
    every = EntailkitRanker(model=nli, top_k=None).run(query=QUERY, documents=DOCS)["documents"]
    assert len(every) == 3 and [d.score for d in every] == sorted((d.score for d in every), reverse=True)
    cut = every[1].score
    kept = EntailkitRanker(model=nli, top_k=None).run(query=QUERY, documents=DOCS, score_threshold=cut)
    assert [d.id for d in kept["documents"]] == [d.id for d in every[:2]]
    one = EntailkitRanker(model=nli, top_k=3).run(query=QUERY, documents=DOCS, top_k=1)["documents"]
    assert [d.id for d in one] == [every[0].id]
    meta = EntailkitRanker(model=nli, meta_fields_to_embed=["title"], embedding_separator=" | ", query_template="{}")
    texts = ["Eiffel | The tower is in Paris.", "Fruit | Bananas are yellow.", "The tower was finished in 1889."]
    expected = Reranker(shared_scorer(nli), query_template="{}").rerank(QUERY, texts)
    got = meta.run(query=QUERY, documents=DOCS)["documents"]
    assert [d.score for d in got] == [item.score for item in expected.items]


def test_lazy_loading_and_one_shared_scorer(nli: str) -> None:
    ranker = EntailkitRanker(model=nli)
    evaluator = EntailkitGroundednessEvaluator(model=nli)
    router = EntailkitRouter(model=nli, routes=["billing", "tech"])
    assert not ranker._lazy.loaded  # nothing is loaded before warm_up or the first run
    for item in (ranker, evaluator, router):
        item.warm_up()
    scorers = {id(ranker._lazy.get().scorer), id(evaluator._options.lazy.get().scorer), id(router._lazy.get().scorer)}
    assert scorers == {id(shared_scorer(nli))}


@pytest.mark.parametrize(
    "make",
    [
        lambda m: EntailkitRanker(model=m, top_k=3, score_threshold=0.1, meta_fields_to_embed=["title"]),
        lambda m: EntailkitGroundednessEvaluator(model=m, threshold=0.4, aggregate="mean", question_mode="prefix"),
        lambda m: EntailkitGroundednessGuard(model=m, mode="strip", on=["contradicted"], flag_format="<{sentence}>"),
        lambda m: EntailkitRouter(model=m, routes=[*ROUTES, "other topics"], fallback="none", multi=True),
    ],
    ids=["ranker", "evaluator", "guard", "router"],
)
def test_to_dict_from_dict_round_trip(nli: str, make: Any) -> None:
    component = make(nli)
    data = component.to_dict()
    assert data["init_parameters"]["model"] == nli
    assert "haystack_integrations.components." in data["type"]
    again = type(component).from_dict(data)
    assert again.to_dict() == data
    pipe = Pipeline()
    pipe.add_component("c", component)
    restored = Pipeline.loads(pipe.dumps()).get_component("c")
    assert restored.to_dict() == data


def test_evaluator_matches_checker(nli: str) -> None:
    contexts = [[d.content for d in DOCS], ["Nothing here."]]
    answers = [ANSWER, "Bananas are yellow."]
    out = EntailkitGroundednessEvaluator(model=nli).run(predicted_answers=answers, contexts=contexts)
    reports = GroundednessChecker(shared_scorer(nli)).check_many(list(zip(answers, contexts, strict=True)))
    # FaithfulnessEvaluator's meaning: fractions of supported statements, not the report's deciding score
    assert out["individual_scores"] == [r.supported_fraction for r in reports]
    assert out["score"] == sum(r.supported_fraction for r in reports) / 2
    first = out["results"][0]
    assert first["score"] == reports[0].supported_fraction
    assert first["aggregate_score"] == reports[0].score and first["grounded"] == reports[0].grounded
    assert first["statements"] == [s.text for s in reports[0].sentences]
    assert first["statement_verdicts"] == [s.verdict for s in reports[0].sentences]
    assert first["statement_support"] == [s.score for s in reports[0].sentences]
    assert first["statement_scores"] == [int(s.verdict == "supported") for s in reports[0].sentences]
    assert first["report"] == reports[0].model_dump(mode="json")


def test_guard_modes(nli: str) -> None:
    checker = GroundednessChecker(shared_scorer(nli), threshold=0.99)  # random weights: make sentences fail
    report = checker.check(ANSWER, [d.content for d in DOCS])
    failing = [s for s in report.sentences if s.verdict in ("unsupported", "contradicted")]
    assert failing
    reply = ChatMessage.from_assistant(ANSWER, meta={"model": "x"})
    flag = EntailkitGroundednessGuard(model=nli, threshold=0.99, flag_format="[{verdict}: {sentence}]")
    out = flag.run(replies=[ANSWER, reply], documents=DOCS)
    text, message = out["replies"]
    for s in failing:
        assert f"[{s.verdict}: {s.text}]" in text
    assert message.text == text and message.meta["model"] == "x"
    assert message.meta["entailkit_groundedness"] == out["results"][1]
    assert reply.text == ANSWER and reply.meta == {"model": "x"}  # the input message is untouched
    strip = EntailkitGroundednessGuard(model=nli, threshold=0.99, mode="strip").run(replies=[ANSWER], documents=DOCS)
    assert all(s.text not in strip["replies"][0] for s in failing)
    with pytest.raises(UngroundedAnswerError):
        EntailkitGroundednessGuard(model=nli, threshold=0.99, mode="raise").run(replies=[ANSWER], documents=DOCS)
    lenient = EntailkitGroundednessGuard(model=nli, threshold=0.0, contradiction_threshold=1.0, mode="raise")
    assert lenient.run(replies=[ANSWER], documents=DOCS)["replies"] == [ANSWER]
    every = EntailkitGroundednessGuard(model=nli, threshold=1.0, contradiction_threshold=1.0, mode="strip")
    assert every.run(replies=[ANSWER], documents=DOCS)["replies"] == [DEFAULT_EMPTY_ANSWER]  # never a silent ""
    with pytest.raises(UngroundedAnswerError, match="empty answer"):  # nothing to check is not grounded
        lenient.run(replies=["   "], documents=DOCS)


def test_router_matches_router_and_sockets(tiny_models: dict[str, str]) -> None:
    nli, embed = tiny_models["bert-nli3-cen"], tiny_models["bert-embed"]
    router = EntailkitRouter(model=nli, routes=ROUTES, embedding_model=embed, fallback="other", threshold=0.3)
    sockets = set(router.__haystack_output__._sockets_dict)
    assert sockets == {"billing", "tech", "other", "decision"}
    reference = Router(
        shared_scorer(nli),
        ROUTES,
        embedding_scorer=shared_scorer(embed, "embedding"),
        fallback="other",
        threshold=0.3,
    )
    for text in ("my invoice is wrong", "the app crashes", "what a nice day"):
        out = router.run(text=text)
        expected = reference.route(text)
        assert out["decision"] == expected.model_dump(mode="json")
        assert set(out) - {"decision"} == {expected.route}
        assert out[expected.route] == text  # type: ignore[index]
    plain = EntailkitRouter(model=nli, routes=["billing", "tech"])
    assert set(plain.run(text="hello")) & {"billing", "tech"}  # single mode, no threshold: always a route


def test_empty_inputs_give_empty_outputs(nli: str) -> None:
    ranker = EntailkitRanker(model="never/loaded")  # empty input never loads the model
    assert ranker.run(query=QUERY, documents=[]) == {"documents": []}
    evaluator = EntailkitGroundednessEvaluator(model="never/loaded")
    assert evaluator.run(predicted_answers=[], contexts=[]) == {"score": 0.0, "individual_scores": [], "results": []}
    guard = EntailkitGroundednessGuard(model="never/loaded")
    assert guard.run(replies=[], documents=DOCS) == {"replies": [], "results": []}
    assert not ranker._lazy.loaded
    empty = EntailkitGroundednessEvaluator(model=nli).run(predicted_answers=[""], contexts=[[]])
    assert empty["individual_scores"] == [0.0] and empty["results"][0]["report"]["no_sentences"]


@pytest.mark.parametrize(
    "build",
    [
        lambda: EntailkitRanker(model=""),
        lambda: EntailkitRanker(model=None),  # type: ignore[arg-type]
        lambda: EntailkitRanker(model="m", top_k=0),
        lambda: EntailkitRanker(model="m", top_k=True),  # type: ignore[arg-type]
        lambda: EntailkitRanker(model="m", score_threshold=1.5),
        lambda: EntailkitRanker(model="m", meta_fields_to_embed="title"),  # type: ignore[arg-type]
        lambda: EntailkitRanker(model="m", normalization="max"),  # type: ignore[arg-type]
        lambda: EntailkitRanker(model="m", kind="llm"),
        lambda: EntailkitRanker(model="m", load_options=["cpu"]),  # type: ignore[arg-type]
        lambda: EntailkitGroundednessEvaluator(model="m", threshold=None),  # type: ignore[arg-type]
        lambda: EntailkitGroundednessEvaluator(model="m", aggregate="max"),  # type: ignore[arg-type]
        lambda: EntailkitGroundednessGuard(model="m", mode="block"),  # type: ignore[arg-type]
        lambda: EntailkitGroundednessGuard(model="m", on=["neutral"]),  # type: ignore[list-item]
        lambda: EntailkitGroundednessGuard(model="m", flag_format="[flagged]"),
        lambda: EntailkitGroundednessGuard(model="m", flag_format="{sentence} {x}"),
        lambda: EntailkitRouter(model="m", routes=[]),
        lambda: EntailkitRouter(model="m", routes="billing"),  # type: ignore[arg-type]
        lambda: EntailkitRouter(model="m", routes=["billing", "billing"]),
        lambda: EntailkitRouter(model="m", routes=["decision", "tech"]),
        lambda: EntailkitRouter(model="m", routes=["a.b", "tech"]),
        lambda: EntailkitRouter(model="m", routes=["billing", "tech"], fallback="tech"),
        lambda: EntailkitRouter(model="m", routes=[{"name": "x"}, "tech"]),
    ],
)
def test_bad_options_raise_typed_errors(build: Any) -> None:
    with pytest.raises(InvalidInputError):
        build()


def test_bad_run_inputs_raise_typed_errors(nli: str, tiny_models: dict[str, str]) -> None:
    ranker = EntailkitRanker(model=nli)
    cases = [
        lambda: ranker.run(query=None, documents=DOCS),  # type: ignore[arg-type]
        lambda: ranker.run(query="   ", documents=DOCS),
        lambda: ranker.run(query=QUERY, documents=DOCS[0]),  # type: ignore[arg-type]
        lambda: ranker.run(query=QUERY, documents=["text"]),  # type: ignore[list-item]
        lambda: ranker.run(query=QUERY, documents=[Document(content=None)]),
        lambda: ranker.run(query=QUERY, documents=DOCS, top_k=-1),
        lambda: ranker.run(query=QUERY, documents=DOCS, score_threshold=2.0),
        lambda: EntailkitGroundednessEvaluator(model=nli).run(predicted_answers=["a"], contexts=[]),
        lambda: EntailkitGroundednessEvaluator(model=nli).run(predicted_answers="a", contexts=[["b"]]),  # type: ignore[arg-type]
        lambda: EntailkitGroundednessEvaluator(model=nli).run(predicted_answers=["a"], contexts=[["b"]], questions=[]),
        lambda: EntailkitGroundednessEvaluator(model=nli).run(predicted_answers=[1], contexts=[["b"]]),  # type: ignore[list-item]
        lambda: EntailkitGroundednessGuard(model=nli).run(replies=[3], documents=DOCS),  # type: ignore[list-item]
        lambda: EntailkitGroundednessGuard(model=nli).run(replies=["a"], documents=DOCS, query=3),  # type: ignore[arg-type]
        lambda: EntailkitRouter(model=nli, routes=["a", "b"]).run(text=""),
        lambda: EntailkitRouter(model=nli, routes=["a", "b"]).run(text=["a"]),  # type: ignore[arg-type]
        # a 1-logit relevance model cannot judge support: refused when the checker is built
        lambda: EntailkitGroundednessEvaluator(model=tiny_models["bert-rel1"]).warm_up(),
    ]
    for i, case in enumerate(cases):
        with pytest.raises(InvalidInputError):
            case()
            pytest.fail(f"case {i} did not raise")
