"""Property-based fuzzing of the public Python API on tiny real models (issue 15).

Every target draws mostly well-formed arguments with hostile text (lone surrogates, braces, NULs, CJK,
emoji, very long runs) and sometimes values of any type; ``check_call`` asserts a result or an
EntailkitError, no hang and no mutation. Results that come back are checked for their basic contract.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from fuzzing import FUZZ, anything, check_call, maybe, short_text, text, text_list
from hypothesis import given
from hypothesis import strategies as st

from entailkit import GroundednessChecker, Reranker, Router, ZeroShotClassifier, load_scorer
from entailkit.tasks.sentences import split_sentences

probability = st.floats(0.0, 1.0)
templates = st.one_of(
    st.sampled_from(
        ["This example is {}.", "It is {} {x}.", "It is {}}", "{0}{}", "{:{}}", "Braces {{}} then {}", "{}"]
    ),
    short_text,
)


@pytest.fixture(scope="module")
def scorers(tiny_models: dict[str, Path]) -> dict[str, Any]:
    return {
        "nli3": load_scorer(tiny_models["bert-nli3-cen"], max_length=64),
        "rel1": load_scorer(tiny_models["bert-rel1"], max_length=64),
        "embed": load_scorer(tiny_models["bert-embed"], max_length=64),
    }


def _probabilities_ok(values: Any) -> bool:
    return all(isinstance(v, float) and 0.0 <= v <= 1.0 and not math.isnan(v) for v in values)


@FUZZ
@given(
    name=st.sampled_from(["nli3", "rel1", "embed"]),
    premises=maybe(text_list()),
    hypotheses=maybe(text_list()),
    normalization=maybe(st.sampled_from(["softmax", "entailment_vs_contradiction"])),
    truncation=maybe(st.sampled_from([None, "window", "head", "error"])),
)
def test_score_pairs(
    scorers: dict[str, Any], name: str, premises: Any, hypotheses: Any, normalization: Any, truncation: Any
) -> None:
    scorer = scorers[name]
    result = check_call(
        "Scorer.score_pairs",
        scorer.score_pairs,
        premises,
        hypotheses,
        normalization=normalization,
        truncation=truncation,
    )
    if result is not None:
        assert len(result) == len(premises) and _probabilities_ok(result.scores)


@FUZZ
@given(
    name=st.sampled_from(["nli3", "embed"]),
    texts=maybe(text_list(4)),
    labels=maybe(st.one_of(st.lists(short_text, max_size=4), st.lists(st.lists(short_text, max_size=3), max_size=4))),
    template=maybe(templates),
    multi_label=maybe(st.booleans()),
)
def test_score_labels(
    scorers: dict[str, Any], name: str, texts: Any, labels: Any, template: Any, multi_label: Any
) -> None:
    result = check_call(
        "Scorer.score_labels",
        scorers[name].score_labels,
        texts,
        labels,
        hypothesis_template=template,
        multi_label=multi_label,
    )
    if result is not None:
        assert len(result.items) == len(texts)
        assert all(_probabilities_ok(item.scores) for item in result.items)


@FUZZ
@given(
    name=st.sampled_from(["nli3", "rel1"]),
    query=maybe(text),
    documents=maybe(st.lists(st.one_of(text, st.fixed_dictionaries({"text": text}), anything), max_size=6)),
    top_n=maybe(st.one_of(st.none(), st.integers(0, 8))),
    threshold=maybe(st.one_of(st.none(), probability)),
)
def test_rerank(scorers: dict[str, Any], name: str, query: Any, documents: Any, top_n: Any, threshold: Any) -> None:
    reranker = Reranker(scorers[name])
    result = check_call("Reranker.rerank", reranker.rerank, query, documents, top_n=top_n, threshold=threshold)
    if result is not None:
        assert len(result.items) <= len(documents)
        assert _probabilities_ok([item.score for item in result.items])


@FUZZ
@given(queries=maybe(text_list(3)), documents=maybe(st.lists(text_list(3), max_size=3)), top_n=maybe(st.none()))
def test_rerank_many(scorers: dict[str, Any], queries: Any, documents: Any, top_n: Any) -> None:
    result = check_call("Reranker.rerank_many", Reranker(scorers["nli3"]).rerank_many, queries, documents, top_n=top_n)
    if result is not None:
        assert len(result) == len(queries)


@FUZZ
@given(
    answer=maybe(text),
    contexts=maybe(text_list(4)),
    question=maybe(st.one_of(st.none(), text)),
    threshold=maybe(probability),
    aggregate=maybe(st.sampled_from(["min", "mean"])),
)
def test_check(
    scorers: dict[str, Any], answer: Any, contexts: Any, question: Any, threshold: Any, aggregate: Any
) -> None:
    checker = check_call(
        "GroundednessChecker()", GroundednessChecker, scorers["nli3"], threshold=threshold, aggregate=aggregate
    )
    if checker is None:
        return
    report = check_call("GroundednessChecker.check", checker.check, answer, contexts, question=question)
    if report is not None:
        for sentence in report.sentences:
            assert sentence.span is None or answer[sentence.span[0] : sentence.span[1]] == sentence.text
        assert not (report.grounded and not report.sentences), "an answer with nothing to check counted as grounded"


@FUZZ
@given(
    texts=maybe(text_list(4)),
    labels=maybe(st.lists(short_text, max_size=4)),
    multi_label=maybe(st.booleans()),
    threshold=maybe(st.one_of(st.none(), probability)),
    template=maybe(st.one_of(st.none(), templates)),
)
def test_classify(
    scorers: dict[str, Any], texts: Any, labels: Any, multi_label: Any, threshold: Any, template: Any
) -> None:
    classifier = ZeroShotClassifier(scorers["nli3"])
    result = check_call(
        "ZeroShotClassifier.classify",
        classifier.classify,
        texts,
        labels,
        multi_label=multi_label,
        threshold=threshold,
        hypothesis_template=template,
    )
    if result is not None:
        assert len(result) == len(texts) and all(_probabilities_ok(c.scores) for c in result)


route_spec = st.fixed_dictionaries(
    {"name": short_text, "description": text}, optional={"utterances": text_list(3), "threshold": anything}
)


@FUZZ
@given(
    routes=maybe(st.lists(route_spec, max_size=4)),
    query=maybe(text),
    fallback=maybe(st.one_of(st.none(), short_text)),
    knn_temperature=maybe(st.floats(allow_nan=True, allow_infinity=True)),
    min_similarity=maybe(st.floats(allow_nan=True, allow_infinity=True)),
    template=maybe(templates),
)
def test_route(
    scorers: dict[str, Any],
    routes: Any,
    query: Any,
    fallback: Any,
    knn_temperature: Any,
    min_similarity: Any,
    template: Any,
) -> None:
    router = check_call(
        "Router()",
        Router,
        scorers["nli3"],
        routes,
        fallback=fallback,
        embedding_scorer=scorers["embed"],
        knn_temperature=knn_temperature,
        min_similarity=min_similarity,
        hypothesis_template=template,
    )
    if router is None:
        return
    decision = check_call("Router.route", router.route, query)
    if decision is not None:
        assert decision.route is None or decision.route in {r["name"] for r in routes} | {fallback}


@FUZZ
@given(answer=maybe(text, weight_valid=6))
def test_split_sentences(answer: Any) -> None:
    pieces = check_call("split_sentences", split_sentences, answer)
    if pieces is not None:
        for piece, (start, end) in pieces:
            assert answer[start:end] == piece and piece.strip()


@FUZZ
@given(
    examples=maybe(st.lists(st.fixed_dictionaries({"text": text, "label": short_text}), max_size=4)),
    query=maybe(text),
    k=maybe(st.integers(-2, 6)),
    min_similarity=maybe(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))),
)
def test_example_store(scorers: dict[str, Any], examples: Any, query: Any, k: Any, min_similarity: Any) -> None:
    from entailkit.index import ExampleStore

    store = check_call("ExampleStore()", ExampleStore, scorers["embed"], examples)
    if store is None:
        return
    hits = check_call("ExampleStore.search", store.search, query, k, min_similarity=min_similarity)
    if hits is not None:
        assert len(hits) <= max(0, k)


@FUZZ
@given(
    options=st.dictionaries(
        st.sampled_from(
            [
                "kind",
                "batch_size",
                "max_length",
                "revision",
                "label_map",
                "truncation",
                "token_budget",
                "device",
                "dtype",
                "trust_remote_code",
                "allow_pickle",
                "backend",
                "quantize",
            ]
        ),
        anything,
        max_size=3,
    )
)
def test_load_scorer_options(tiny_models: dict[str, Path], options: dict[str, Any]) -> None:
    scorer = check_call("load_scorer", load_scorer, tiny_models["bert-nli3-cen"], **options)
    if scorer is not None:
        assert 0.0 <= scorer.score_pairs(["a cat"], ["an animal"]).scores[0] <= 1.0
