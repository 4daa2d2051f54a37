"""Issue 15, task level: custom splitters that return the wrong thing, corrupted ExampleStore files,
blank queries (Router and Reranker agree) and answers with nothing to check (not grounded)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _route_fakes import WordEmbedder

from entailkit.errors import InvalidInputError, ModelLoadError
from entailkit.index import ExampleStore
from entailkit.tasks import GroundednessChecker, Reranker
from entailkit.tasks.routing import Router
from entailkit.types import LabelledExample, Route
from fakes import FakeScorer

ANSWER = "Paris is the capital of France. It is big."
CONTEXTS = ["Paris is the capital of France.", "Paris is a big city."]


def checker(**kwargs: Any) -> tuple[GroundednessChecker, FakeScorer]:
    scorer = FakeScorer({("capital", "Paris is the capital of France."): (0.9, 0.05)}, default=(0.1, 0.1))
    return GroundednessChecker(scorer, **kwargs), scorer


# -- custom splitters ------------------------------------------------------------------------------------


def _generator(text: str) -> Iterator[str]:
    yield text


SPLITTER_CASES: list[tuple[Callable[[str], Any], str]] = [
    (
        lambda text: None,
        r"the sentence splitter must return a list of str or \(str, \(start, end\)\) items, got NoneType",
    ),
    (_generator, "the sentence splitter must return a list .* got generator"),
    (lambda text: text, "the sentence splitter must return a list .* got str"),
    (lambda text: {"a": (0, 1)}, "the sentence splitter must return a list .* got dict"),
    (lambda text: 3, "the sentence splitter must return a list .* got int"),
    (lambda text: [None], r"splitter item 0 must be a str or \(str, \(start, end\)\), got None"),
    (lambda text: [("Paris", (0, 5)), ("x", (0, 1))], r"splitter item 1 has text 'x' but answer\[0:1\] is 'P'"),
    (lambda text: [("Paris", (True, 5))], r"splitter item 0 must be a str or \(str, \(start, end\)\)"),
    (lambda text: [("Paris", (0, 5, 6))], r"splitter item 0 must be a str or \(str, \(start, end\)\)"),
    (lambda text: [(3, (0, 1))], r"splitter item 0 must be a str or \(str, \(start, end\)\)"),
    (lambda text: [("Paris", (0.0, 5.0))], r"splitter item 0 must be a str or \(str, \(start, end\)\)"),
    (lambda text: [("x", (-1, 0))], r"splitter item 0 has span \(-1, 0\) outside the answer"),
]


@pytest.mark.parametrize(("splitter", "message"), SPLITTER_CASES)
def test_bad_splitter_output_is_a_typed_error_naming_the_splitter(splitter: Callable[[str], Any], message: str) -> None:
    check, scorer = checker(splitter=splitter)
    with pytest.raises(InvalidInputError, match=message):
        check.check(ANSWER, CONTEXTS)
    with pytest.raises(InvalidInputError, match=r"^items\[0\]: (the sentence )?splitter"):
        check.check_many([(ANSWER, CONTEXTS)])
    assert scorer.calls == []


def test_good_splitter_outputs() -> None:
    for output in ([("Paris", (0, 5))], (("Paris", [0, 5]),), ["Paris", "big"], [], ()):
        check, _ = checker(splitter=lambda text, out=output: out)
        report = check.check(ANSWER, CONTEXTS)
        assert len(report.sentences) == len(output)


# -- a corrupted ExampleStore ----------------------------------------------------------------------------

EMBEDDER = "fake-words"


def _saved(tmp_path: Path) -> Path:
    pytest.importorskip("faiss")
    examples = [LabelledExample(text="refund my invoice", true_labels=("billing",))]
    return ExampleStore(WordEmbedder(EMBEDDER), examples).save(tmp_path / "store")


def _meta(**changes: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "format": 1,
        "embedding_model": EMBEDDER,
        "dimension": 256,
        "examples": [{"text": "refund my invoice", "true_labels": ["billing"], "all_labels": []}],
    }
    meta.update(changes)
    return meta


CORRUPT: list[tuple[str, bytes, str]] = [
    ("invalid json", b"{not json", "is not a saved ExampleStore"),
    ("not utf-8", b"\xff\xfe{}", "is not a saved ExampleStore"),
    ("a list", b"[]", "has an unknown format"),
    ("format as str", json.dumps(_meta(format="1")).encode(), "has an unknown format"),
    ("format as bool", json.dumps(_meta(format=True)).encode(), "has an unknown format"),
    ("model id int", json.dumps(_meta(embedding_model=5)).encode(), "'embedding_model' must be a str, got int"),
    ("dimension str", json.dumps(_meta(dimension="x")).encode(), "'dimension' must be a positive int or null"),
    ("dimension wrong", json.dumps(_meta(dimension=3)).encode(), "says 3-dim vectors"),
    ("examples dict", json.dumps(_meta(examples={})).encode(), "'examples' must be a list, got dict"),
    ("example int", json.dumps(_meta(examples=[1])).encode(), r"examples\[0\] is not a valid example"),
    ("text int", json.dumps(_meta(examples=[{"text": 3, "true_labels": ["a"]}])).encode(), r"examples\[0\]"),
    ("no labels", json.dumps(_meta(examples=[{"text": "t"}])).encode(), r"examples\[0\] is not a valid example"),
    ("labels str", json.dumps(_meta(examples=[{"text": "t", "true_labels": "a"}])).encode(), "valid tuple"),
    ("extra key", json.dumps(_meta(examples=[{"text": "t", "true_labels": ["a"], "x": 1}])).encode(), "Extra"),
    ("surrogate", json.dumps(_meta(examples=[{"text": "\ud800", "true_labels": ["a"]}])).encode(), "unencodable"),
    ("two examples", json.dumps(_meta(examples=[_meta()["examples"][0]] * 2)).encode(), "2 examples"),
]


@pytest.mark.parametrize(("case", "content", "message"), CORRUPT, ids=[c[0] for c in CORRUPT])
def test_a_corrupted_store_is_a_model_load_error(tmp_path: Path, case: str, content: bytes, message: str) -> None:
    folder = _saved(tmp_path)
    (folder / "examples.json").write_bytes(content)
    with pytest.raises(ModelLoadError, match=message):
        ExampleStore.load(folder, WordEmbedder(EMBEDDER))


def test_a_corrupted_or_missing_index_is_a_model_load_error(tmp_path: Path) -> None:
    folder = _saved(tmp_path)
    assert len(ExampleStore.load(folder, WordEmbedder(EMBEDDER))) == 1
    (folder / "index.faiss").write_bytes(b"garbage")
    with pytest.raises(ModelLoadError, match="cannot read"):
        ExampleStore.load(folder, WordEmbedder(EMBEDDER))
    (folder / "index.faiss").unlink()
    with pytest.raises(ModelLoadError, match="cannot read"):
        ExampleStore.load(folder, WordEmbedder(EMBEDDER))


# -- blank queries: Router and Reranker agree ------------------------------------------------------------


def router() -> tuple[Router, FakeScorer]:
    scorer = FakeScorer()
    return Router(scorer, [Route("billing", "billing and invoices"), Route("tech", "technical problems")]), scorer


@pytest.mark.parametrize("query", ["", " ", "\n\t ", "\u00a0"])
def test_blank_queries_are_refused_by_router_and_reranker_alike(query: str) -> None:
    route, scorer = router()
    with pytest.raises(InvalidInputError, match=r"^query is empty \(or blank\); pass the text to route\.$"):
        route.route(query)
    with pytest.raises(InvalidInputError, match=r"^query is empty \(or blank\); pass the text to rank the documents"):
        Reranker(scorer).rerank(query, ["a document"])
    with pytest.raises(InvalidInputError, match=r"queries\[1\] is empty \(or blank\)"):
        route.route_many(["an invoice", query])
    with pytest.raises(InvalidInputError, match=r"queries\[1\] is empty \(or blank\)"):
        Reranker(scorer).rerank_many(["an invoice", query], [["d"], ["d"]])
    with pytest.raises(InvalidInputError, match=r"queries\[0\] is empty"):
        route.fit([query], ["billing"])
    with pytest.raises(InvalidInputError, match=r"queries\[0\] is empty"):
        route.evaluate([query], ["billing"])
    with pytest.raises(InvalidInputError, match=r"inputs\[0\] is empty"):
        route.calibration_data([query], ["billing"])
    assert scorer.calls == []
    assert route.route_many([]) == []


# -- answers with nothing to check -----------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["", "   \n ", "\U0001f600\U0001f600", "...", "- \n* ", "\U0001f44d !"])
@pytest.mark.parametrize("aggregate", ["min", "mean"])
def test_an_answer_without_a_checkable_sentence_is_not_grounded(answer: str, aggregate: str) -> None:
    check, scorer = checker(aggregate=aggregate)
    report = check.check(answer, CONTEXTS)
    assert report.sentences == () and report.no_sentences and not report.grounded
    assert report.score == report.supported_fraction == report.min_score == report.mean_score == 0.0
    assert report.answer == answer
    assert scorer.calls == []


def test_no_sentences_is_false_for_a_checked_answer_in_a_batch() -> None:
    check, _ = checker()
    checked, emoji = check.check_many([(ANSWER, CONTEXTS), ("\U0001f600", CONTEXTS)])
    assert not checked.no_sentences and len(checked.sentences) == 2
    assert emoji.no_sentences and not emoji.grounded
    lenient, _ = checker(threshold=0.0)
    assert not lenient.check("\U0001f600", CONTEXTS).grounded  # even a zero threshold verifies nothing
    assert lenient.check(ANSWER, CONTEXTS).grounded
