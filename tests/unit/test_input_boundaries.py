"""Issue 15: every text entry point refuses unencodable text, every template is parsed, every flag is a
bool and every number finite, blank queries are refused alike, and an answer with nothing to check is
not grounded. Each case raises a typed error before the scorer (or the embedder) is reached."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from _route_fakes import WordEmbedder

from entailkit._validation import check_bool, check_finite, check_template, check_texts
from entailkit.errors import EntailkitError, InvalidInputError
from entailkit.index import ExampleStore
from entailkit.tasks import GroundednessChecker, Reranker, ZeroShotClassifier
from entailkit.tasks.routing import Router
from entailkit.types import LabelledExample, Route
from fakes import FakeScorer

PREFIX = "seventeen chars!!"  # 17 characters: the surrogate sits at offset 17
BAD = PREFIX + "\ud800 tail"
AT_17 = r"has an unencodable character at offset 17 \(a lone surrogate '\\ud800'\)"
CONTEXTS = ["Paris is the capital of France.", "The Seine flows through Paris."]
NAN, INF = float("nan"), float("inf")


class Unreachable(FakeScorer):
    """A scorer that fails the test if a task lets bad input through to it."""

    def score_pairs(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the scorer was reached")

    def score_labels(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the scorer was reached")

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        raise AssertionError("the scorer was reached")


class UnreachableEmbedder(WordEmbedder):
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise AssertionError("the embedder was reached")


@dataclass
class Doc:
    page_content: str


def routes() -> list[Route]:
    return [Route("billing", "billing and invoices"), Route("tech", "technical problems")]


def reranker() -> Reranker:
    return Reranker(Unreachable(head="nli3"))


def checker(**kwargs: Any) -> GroundednessChecker:
    return GroundednessChecker(Unreachable(head="nli3"), **kwargs)


def classifier() -> ZeroShotClassifier:
    return ZeroShotClassifier(Unreachable(head="nli3"))


def router(**kwargs: Any) -> Router:
    args: dict[str, Any] = {"routes": routes(), "embedding_scorer": UnreachableEmbedder()} | kwargs
    return Router(Unreachable(head="nli3"), **args)


def store() -> ExampleStore:
    return ExampleStore(UnreachableEmbedder())


# -- 1. unencodable text, at every entry point -----------------------------------------------------------

SURROGATE_CASES: list[tuple[str, Callable[[], Any], str]] = [
    ("check_texts", lambda: check_texts(["ok", BAD], "documents"), r"documents\[1\] "),
    ("rerank query", lambda: reranker().rerank(BAD, ["doc"]), "query "),
    ("rerank documents", lambda: reranker().rerank("q", ["a", "b", "c", BAD]), r"documents\[3\] "),
    ("rerank mapping", lambda: reranker().rerank("q", [{"text": "ok"}, {"text": BAD}]), r"documents\[1\] "),
    ("rerank object", lambda: reranker().rerank("q", [Doc(BAD)]), r"documents\[0\] "),
    ("rerank_many query", lambda: reranker().rerank_many(["q", BAD], [["d"], ["d"]]), r"queries\[1\] "),
    ("rerank_many docs", lambda: reranker().rerank_many(["q", "r"], [["d"], ["e", BAD]]), r"documents\[1\]\[1\] "),
    ("check answer", lambda: checker().check(BAD, CONTEXTS), "answer "),
    ("check contexts", lambda: checker().check("A claim.", ["ok", BAD]), r"contexts\[1\] "),
    ("check question", lambda: checker().check("A claim.", CONTEXTS, question=BAD), "question "),
    ("check_many", lambda: checker().check_many([("A.", ["c"]), (BAD, ["c"])]), r"items\[1\]: answer "),
    ("splitter item", lambda: checker(splitter=lambda text: [BAD]).check("A.", CONTEXTS), "splitter item 0 "),
    ("classify texts", lambda: classifier().classify(["ok", BAD], ["a", "b"]), r"texts\[1\] "),
    ("classify labels", lambda: classifier().classify(["ok"], ["a", BAD]), r"labels\[1\] "),
    ("per-text labels", lambda: classifier().classify(["ok"], [["a", BAD]]), r"labels\[0\]\[1\] "),
    ("label name", lambda: classifier().classify(["ok"], {"a": "x", BAD: "y"}), r"labels\[1\] "),
    ("label description", lambda: classifier().classify(["ok"], {"a": "x", "b": BAD}), r"labels\['b'\] "),
    ("classify template", lambda: ZeroShotClassifier(Unreachable(), hypothesis_template=BAD + "{}"), "template "),
    (
        "classify example",
        lambda: classifier().classify(["ok"], ["a"], examples=[LabelledExample(text=BAD, true_labels=("a",))]),
        r"examples\[0\]\.text ",
    ),
    (
        "classify example label",
        lambda: classifier().classify(["ok"], ["a"], examples=[{"text": "t", "true_labels": ["a", BAD]}]),
        r"examples\[0\]\.true_labels\[1\] ",
    ),
    ("route name", lambda: Route(BAD, "d"), "Route name "),
    ("route description", lambda: Route("a", BAD), "Route description "),
    ("route utterance", lambda: Route("a", "d", examples=["ok", BAD]), r"Route 'a' examples\[1\] "),
    ("router dict route", lambda: router(routes=[{"name": "a", "description": BAD}]), "Route description "),
    (
        "router unchecked route",
        lambda: router(routes=[Route.model_construct(name="a", description=BAD, examples=(), threshold=None)]),
        r"routes\[0\]\.description ",
    ),
    ("router fallback", lambda: router(fallback=BAD), "fallback "),
    ("router template", lambda: router(hypothesis_template="{} " + BAD), "hypothesis_template "),
    ("route query", lambda: router().route(BAD), "query "),
    ("route_many", lambda: router().route_many(["ok", BAD]), r"queries\[1\] "),
    ("router fit", lambda: router().fit(["ok", BAD], ["billing", "tech"]), r"queries\[1\] "),
    ("store add text", lambda: store().add([{"text": BAD, "true_labels": ["a"]}]), r"examples\[0\]\.text "),
    (
        "store add label",
        lambda: store().add([LabelledExample(text="ok", true_labels=("a",), all_labels=("a", BAD))]),
        r"examples\[0\]\.all_labels\[1\] ",
    ),
    ("store search", lambda: store().search(BAD), "text "),
    ("store search_many", lambda: store().search_many(["ok", BAD]), r"texts\[1\] "),
]


@pytest.mark.parametrize(("where", "call", "name"), SURROGATE_CASES, ids=[c[0] for c in SURROGATE_CASES])
def test_lone_surrogates_are_refused_with_field_item_and_offset(where: str, call: Callable[[], Any], name: str) -> None:
    offset = AT_17 if where not in ("classify template", "router template") else "has an unencodable character"
    with pytest.raises(InvalidInputError, match=name + offset) as info:
        call()
    assert "encode('utf-8', 'replace')" in str(info.value)  # the fix


def test_a_surrogate_pair_written_properly_is_fine_and_the_caller_list_is_kept() -> None:
    documents = ["ok", BAD]
    with pytest.raises(InvalidInputError):
        reranker().rerank("q", documents)
    assert documents == ["ok", BAD]
    assert check_texts(
        ["\U0001f600 emoji", "ünïcode", "\ud83d\ude00".encode("utf-16", "surrogatepass").decode("utf-16")]
    )


# -- 2. templates ----------------------------------------------------------------------------------------

BAD_TEMPLATES = [
    "It is {} {x}.",  # was KeyError when formatted
    "It is {}}",  # was ValueError
    "{0}{}",  # was IndexError
    "{:{}}",  # was IndexError
    "{0}",  # numbered: refused, write {}
    "{x}",
    "{!r}",
    "{:>10}",
    "{[0]}",
    "{.real}",
    "{",
    "}",
    "{}{",
    "no field",
    "{} and {}",
    "",
]
GOOD_TEMPLATES = ["Braces {{}} then {}", "{}", "This example is {}.", "{{{}}}", "}}{}{{"]


@pytest.mark.parametrize("template", BAD_TEMPLATES)
def test_bad_templates_are_refused_everywhere(template: str) -> None:
    pattern = "must contain exactly one '{}' where the label goes"
    with pytest.raises(InvalidInputError, match=pattern):
        check_template(template)
    with pytest.raises(InvalidInputError, match="query_template must contain exactly one"):
        Reranker(FakeScorer(), query_template=template)
    with pytest.raises(InvalidInputError, match="hypothesis_template must contain exactly one"):
        ZeroShotClassifier(FakeScorer(), hypothesis_template=template)
    with pytest.raises(InvalidInputError, match="hypothesis_template must contain exactly one"):
        classifier().classify(["text"], ["a"], hypothesis_template=template)
    with pytest.raises(InvalidInputError, match="hypothesis_template must contain exactly one"):
        router(hypothesis_template=template)


@pytest.mark.parametrize("template", GOOD_TEMPLATES)
def test_good_templates_are_accepted_and_format(template: str) -> None:
    assert check_template(template) == template
    assert Reranker(FakeScorer(), query_template=template).hypothesis_for("q") == template.format("q")
    fake = FakeScorer()
    ZeroShotClassifier(fake, hypothesis_template=template).classify(["text"], ["a", "b"])
    assert fake.calls[-1].hypotheses == [template.format("a"), template.format("b")]
    fake = FakeScorer()
    Router(fake, routes(), hypothesis_template=template).route("an invoice")
    assert fake.calls[-1].hypotheses == [template.format("billing and invoices"), template.format("technical problems")]


def test_escaped_braces_read_as_literal_braces() -> None:
    assert Reranker(FakeScorer(), query_template="Braces {{}} then {}").hypothesis_for("q") == "Braces {} then q"


def test_template_errors_say_the_fix() -> None:
    with pytest.raises(InvalidInputError, match=r"has the field '\{0\}': use a plain '\{\}'"):
        check_template("{0}")
    with pytest.raises(InvalidInputError, match=r"has 2 replacement fields"):
        check_template("It is {} {x}.")
    with pytest.raises(InvalidInputError, match=r"not a valid format string \(Single '\}' encountered"):
        check_template("It is {}}")
    with pytest.raises(InvalidInputError, match=r"has the field '\{:\{\}\}'"):
        check_template("{:{}}")


# -- 4. flags are bools, numbers are finite and in range -------------------------------------------------

FLAG_CASES: list[tuple[str, Callable[[Any], Any]]] = [
    ("multi_label", lambda v: classifier().classify(["t"], ["a", "b"], multi_label=v)),
    ("show_progress", lambda v: ZeroShotClassifier(FakeScorer(), show_progress=v)),
    ("multi", lambda v: router(multi=v)),
    ("show_progress", lambda v: router().route_many(["q"], show_progress=v)),
    ("show_progress", lambda v: router().fit(["q"], ["billing"], show_progress=v)),
    ("prefix_question", lambda v: checker(prefix_question=v)),
    ("show_progress", lambda v: checker(show_progress=v)),
    ("show_progress", lambda v: Reranker(FakeScorer(), show_progress=v)),
    ("check_model", lambda v: ExampleStore.load("/nonexistent", WordEmbedder(), check_model=v)),
]


@pytest.mark.parametrize("value", [5, "no", "False", None, 1, 0.0])
@pytest.mark.parametrize(("name", "call"), FLAG_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(FLAG_CASES)])
def test_flags_must_be_real_bools(name: str, call: Callable[[Any], Any], value: Any) -> None:
    with pytest.raises(InvalidInputError, match=f"{name} must be a bool, got {type(value).__name__}"):
        call(value)


def test_check_bool() -> None:
    assert check_bool(True, "x") is True and check_bool(False, "x") is False
    assert check_bool(np.bool_(True), "x") is True
    with pytest.raises(InvalidInputError, match=r"multi_label must be a bool, got int \(5\); pass True or False"):
        check_bool(5, "multi_label")


NUMBER_CASES: list[tuple[str, Callable[[Any], Any], list[Any]]] = [
    ("min_similarity", lambda v: router(min_similarity=v), [NAN, INF, -INF, "0.5", True]),
    ("knn_temperature", lambda v: router(knn_temperature=v), [NAN, INF, 0, -1, "0.1", True]),
    ("blend weight", lambda v: router(blend_weight=v), [NAN, INF, 1.5]),
    ("threshold", lambda v: router(threshold=v), [NAN, INF]),
    ("threshold", lambda v: Route("a", "d", threshold=v), [NAN, -INF]),
    (
        "blend weight",
        lambda v: Router(FakeScorer(), [Route("a", "d", ["x y"])], embedding_scorer=WordEmbedder()).fit(
            ["x y"], ["a"], blend_weights=[0.5, v]
        ),
        [NAN, INF],
    ),
    ("target_precision", lambda v: router().fit(["q"], ["billing"], target_precision=v), [NAN, INF]),
    ("min_similarity", lambda v: store().search("q", min_similarity=v), [NAN, INF, "1"]),
    ("min_similarity", lambda v: store().search_many(["q"], min_similarity=v), [NAN, -INF]),
    (
        "rac_min_similarity",
        lambda v: classifier().classify(["t"], ["a"], example_store=store(), rac_min_similarity=v),
        [NAN, INF, True],
    ),
    ("threshold", lambda v: classifier().classify(["t"], ["a"], threshold=v), [NAN, INF]),
    ("threshold", lambda v: Reranker(FakeScorer(), threshold=v), [NAN, INF]),
    ("threshold", lambda v: reranker().rerank("q", ["d"], threshold=v), [NAN, -INF]),
    ("threshold", lambda v: checker(threshold=v), [NAN, INF]),
    ("contradiction_threshold", lambda v: checker(contradiction_threshold=v), [NAN, INF]),
]


@pytest.mark.parametrize(
    ("name", "call", "value"),
    [(name, call, value) for name, call, values in NUMBER_CASES for value in values],
)
def test_number_options_must_be_finite_and_in_range(name: str, call: Callable[[Any], Any], value: Any) -> None:
    with pytest.raises(InvalidInputError, match=name):
        call(value)


def test_check_finite() -> None:
    assert check_finite(np.float32(0.5), "x", low=0, high=1) == 0.5
    assert check_finite(-1, "x", low=-1, high=1) == -1.0 and check_finite(None, "x", allow_none=True) is None
    assert check_finite(1e300, "x") == 1e300
    for value, fragment in [
        (NAN, r"x must be a finite number in \[-1, 1\], got nan; nan and infinities are not allowed"),
        (INF, "got inf"),
        (None, r"got None \(NoneType\)"),
        (2, r"got 2\."),
    ]:
        with pytest.raises(InvalidInputError, match=fragment):
            check_finite(value, "x", low=-1, high=1)
    with pytest.raises(InvalidInputError, match="t must be a finite number > 0, got 0"):
        check_finite(0, "t", low=0, low_open=True)
    assert math.isclose(check_finite(1e-12, "t", low=0, low_open=True), 1e-12)


def test_errors_are_entailkit_errors() -> None:
    with pytest.raises(EntailkitError):
        check_finite(NAN, "x")
