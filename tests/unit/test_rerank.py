"""Reranker on a FakeScorer: ordering, ties, thresholds, top_n, documents, windows, errors."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from entailkit.errors import InvalidInputError
from entailkit.tasks import DEFAULT_QUERY_TEMPLATE, Reranker
from fakes import FakeScorer

Q = "cats"
H = DEFAULT_QUERY_TEMPLATE.format(Q)


def nli_scorer(**kwargs: Any) -> FakeScorer:
    table = {
        ("alpha", H): 0.2,
        ("beta", H): 0.9,
        ("gamma", H): 0.5,
        ("delta", H): 0.5,
        ("epsilon", H): (0.7, 0.1),
    }
    return FakeScorer(table, default=0.0, **kwargs)


DOCS = ["alpha doc", "beta doc", "gamma doc", "delta doc", "epsilon doc"]


@dataclass
class Doc:
    page_content: str
    metadata: dict[str, Any] = field(default_factory=dict)


class Node:
    """A LlamaIndex-like node: text only through get_content()."""

    def __init__(self, text: str) -> None:
        self._text = text
        self.metadata = {"node": True}

    def get_content(self) -> str:
        return self._text


class Scaler:
    """A calibrator that halves scores."""

    def transform(self, scores: Sequence[float]) -> list[float]:
        return [s / 2 for s in scores]


def test_sorted_by_score_with_indices_and_stable_ties() -> None:
    result = Reranker(nli_scorer()).rerank(Q, DOCS)
    assert result.indices == [1, 4, 2, 3, 0]  # gamma and delta tie at 0.5: input order kept
    assert result.scores == [0.9, 0.7, 0.5, 0.5, 0.2]
    assert [item.text for item in result] == ["beta doc", "epsilon doc", "gamma doc", "delta doc", "alpha doc"]
    assert result.documents == [DOCS[i] for i in result.indices]
    assert result.num_documents == 5 and len(result) == 5
    assert result.query == Q and result.hypothesis == H and result.head == "nli3"
    assert result[0].pair.entailment == 0.9 and result[1].pair.contradiction == 0.1
    assert all(0.0 <= item.score <= 1.0 for item in result)
    assert not result.calibrated


def test_all_equal_scores_keep_input_order() -> None:
    result = Reranker(FakeScorer(default=0.3)).rerank(Q, ["x", "y", "z", "w"])
    assert result.indices == [0, 1, 2, 3]


def test_nli_query_goes_through_template() -> None:
    scorer = nli_scorer()
    Reranker(scorer).rerank(Q, DOCS[:2])
    assert scorer.calls[-1].hypotheses == [H, H]
    assert scorer.calls[-1].premises == DOCS[:2]
    custom = Reranker(scorer, query_template="Is it about {}?")
    assert custom.rerank(Q, DOCS[:1]).hypothesis == "Is it about cats?"
    assert scorer.calls[-1].hypotheses == ["Is it about cats?"]


@pytest.mark.parametrize("head", ["relevance", "cosine", "gliclass"])
def test_raw_query_for_relevance_embedding_and_gliclass(head: str) -> None:
    scorer = FakeScorer({("beta", Q): 0.8}, head=head, default=0.1)  # type: ignore[arg-type]
    result = Reranker(scorer).rerank(Q, DOCS)
    assert scorer.calls[-1].hypotheses == [Q] * 5
    assert result.indices[0] == 1 and result.scores[0] == 0.8 and result.head == head


def test_template_ignored_with_warning_for_relevance(caplog: pytest.LogCaptureFixture) -> None:
    scorer = FakeScorer(head="relevance")
    with caplog.at_level(logging.WARNING, logger="entailkit.tasks.rerank"):
        reranker = Reranker(scorer, query_template="About {}.")
    assert "query_template is ignored" in caplog.text
    reranker.rerank(Q, ["a"])
    assert scorer.calls[-1].hypotheses == [Q]


def test_threshold_filters_and_top_n_cuts_after_sorting() -> None:
    scorer = nli_scorer()
    assert Reranker(scorer, threshold=0.5).rerank(Q, DOCS).indices == [1, 4, 2, 3]
    assert Reranker(scorer, top_n=2).rerank(Q, DOCS).indices == [1, 4]
    both = Reranker(scorer, top_n=3, threshold=0.6).rerank(Q, DOCS)
    assert both.indices == [1, 4] and both.num_documents == 5
    assert both.threshold == 0.6 and both.top_n == 3
    assert Reranker(scorer, threshold=0.95).rerank(Q, DOCS).items == ()
    assert Reranker(scorer, top_n=10).rerank(Q, DOCS).indices == [1, 4, 2, 3, 0]


def test_per_call_overrides() -> None:
    reranker = Reranker(nli_scorer(), top_n=1, threshold=0.1)
    assert reranker.rerank(Q, DOCS, top_n=3).indices == [1, 4, 2]
    assert reranker.rerank(Q, DOCS, threshold=0.6).indices == [1]
    assert reranker.rerank(Q, DOCS).indices == [1]


def test_calibrator_scores_thresholds_and_clipping() -> None:
    result = Reranker(nli_scorer(), calibrator=Scaler(), threshold=0.3).rerank(Q, DOCS)
    assert result.calibrated
    assert result.scores == [0.45, 0.35]
    assert [item.raw_score for item in result] == [0.9, 0.7]

    class Wild:
        def transform(self, scores: Sequence[float]) -> list[float]:
            return [s * 10 - 3 for s in scores]

    wild = Reranker(nli_scorer(), calibrator=Wild()).rerank(Q, DOCS)
    assert all(0.0 <= s <= 1.0 for s in wild.scores)
    assert wild.scores[0] == 1.0 and wild.scores[-1] == 0.0


def test_calibrator_errors() -> None:
    class Short:
        def transform(self, scores: Sequence[float]) -> list[float]:
            return list(scores)[:-1]

    class Nan:
        def transform(self, scores: Sequence[float]) -> list[float]:
            return [float("nan") for _ in scores]

    with pytest.raises(InvalidInputError, match="returned 4 scores for 5 inputs"):
        Reranker(nli_scorer(), calibrator=Short()).rerank(Q, DOCS)
    with pytest.raises(InvalidInputError, match="returned NaN"):
        Reranker(nli_scorer(), calibrator=Nan()).rerank(Q, DOCS)
    with pytest.raises(InvalidInputError, match="calibrator must have a transform"):
        Reranker(nli_scorer(), calibrator=object())  # type: ignore[arg-type]


def test_document_forms_and_metadata_passthrough() -> None:
    meta = {"source": "wiki", "nested": {"ids": [1, 2]}}
    as_dict = {"text": "beta as dict", "metadata": meta, "id": "d1"}
    as_lc = Doc("gamma as object", {"page": 3})
    as_node = Node("alpha as node")
    docs: list[Any] = ["delta as str", as_dict, as_lc, as_node, {"page_content": "epsilon page content"}]
    result = Reranker(nli_scorer()).rerank(Q, docs)
    by_index = {item.index: item for item in result}
    assert by_index[1].document is as_dict and by_index[1].metadata is meta
    assert by_index[2].document is as_lc and by_index[2].metadata is as_lc.metadata
    assert by_index[3].document is as_node and by_index[3].text == "alpha as node"
    assert by_index[0].document == "delta as str" and by_index[0].metadata is None
    assert by_index[4].text == "epsilon page content" and by_index[4].metadata is None
    assert result.indices == [1, 4, 0, 2, 3]


def test_text_key() -> None:
    docs = [{"body": "alpha"}, {"body": "beta"}]
    assert Reranker(nli_scorer(), text_key="body").rerank(Q, docs).indices == [1, 0]

    @dataclass
    class Passage:
        body: str

    assert Reranker(nli_scorer(), text_key="body").rerank(Q, [Passage("beta")])[0].text == "beta"


def test_inputs_are_never_mutated() -> None:
    meta = {"k": [1, 2]}
    docs: list[Any] = [{"text": "beta", "metadata": meta}, Doc("alpha", {"x": 1}), "gamma"]
    snapshot = copy.deepcopy(docs)
    ids = [id(d) for d in docs]
    result = Reranker(nli_scorer(), top_n=2, threshold=0.1).rerank(Q, docs)
    assert docs == snapshot and [id(d) for d in docs] == ids
    assert result[0].document is docs[0]


def test_empty_documents_give_an_empty_result_without_a_model_call() -> None:
    scorer = nli_scorer()
    result = Reranker(scorer).rerank(Q, [])
    assert result.items == () and result.num_documents == 0 and scorer.calls == []
    assert Reranker(scorer).rerank_many([], []) == []


def test_long_passage_is_windowed_and_best_span_reported() -> None:
    filler = " ".join(f"w{i}" for i in range(40))
    passage = f"{filler} beta is here {filler}"
    scorer = FakeScorer({("beta", H): 0.9}, default=0.1, max_tokens=24)
    result = Reranker(scorer).rerank(Q, ["short alpha", passage])
    top = result[0]
    assert top.index == 1 and top.score == 0.9
    assert top.num_windows > 1 and top.pair.window is not None
    assert "beta" in passage[top.pair.window[0] : top.pair.window[1]]
    assert result[1].pair.window is None and result[1].num_windows == 1
    dumped = top.model_dump(mode="json")
    assert "window" not in dumped and dumped["pair"]["window"] == list(top.pair.window)  # one place, the pair's


def test_rerank_many_shares_one_scorer_call() -> None:
    h2 = DEFAULT_QUERY_TEMPLATE.format("dogs")
    scorer = FakeScorer({("beta", H): 0.9, ("alpha", h2): 0.8}, default=0.1)
    results = Reranker(scorer).rerank_many([Q, "dogs"], [DOCS, ["gamma", "alpha"]])
    assert len(scorer.calls) == 1 and len(scorer.calls[0].premises) == 7
    assert results[0].indices[0] == 1 and results[1].indices == [1, 0]
    assert results[1].query == "dogs"


def test_normalization_passes_through() -> None:
    scorer = FakeScorer({("x", H): (0.3, 0.1)}, default=0.0)
    result = Reranker(scorer, normalization="entailment_vs_contradiction").rerank(Q, ["x"])
    assert scorer.calls[-1].normalization == "entailment_vs_contradiction"
    assert result[0].score == pytest.approx(0.75)


def test_result_dumps_to_json_with_any_documents() -> None:
    class Opaque:
        pass

    docs: list[Any] = ["beta", {"text": "alpha", "metadata": {"o": Opaque()}}, Doc("gamma", {"p": 1}), Node("delta")]
    result = Reranker(nli_scorer()).rerank(Q, docs)
    data = json.loads(result.model_dump_json())
    assert data["items"][0]["document"] == "beta"
    dumped = {item["index"]: item for item in data["items"]}
    assert dumped[1]["document"]["text"] == "alpha"
    assert isinstance(dumped[1]["document"]["metadata"]["o"], str)
    assert dumped[2]["document"] == {"page_content": "gamma", "metadata": {"p": 1}}  # dataclass as is
    assert dumped[2]["metadata"] == {"p": 1}
    assert dumped[3]["document"]["metadata"] == {"node": True}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"top_n": 0}, "top_n must be a positive int or None, got 0"),
        ({"top_n": 2.5}, "top_n must be a positive int"),
        ({"threshold": 1.5}, r"threshold must be a number in \[0, 1\] or None, got 1.5"),
        ({"threshold": "high"}, "threshold must be a number"),
        ({"query_template": "no placeholder"}, "query_template must contain exactly one '{}'"),
        ({"query_template": 3}, "query_template must be a str"),
        ({"normalization": "sigmoid"}, "normalization must be 'softmax' or 'entailment_vs_contradiction'"),
        ({"text_key": ""}, "text_key must be a non-empty str"),
    ],
)
def test_constructor_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        Reranker(nli_scorer(), **kwargs)


def test_not_a_scorer() -> None:
    with pytest.raises(InvalidInputError, match="scorer must implement the entailkit Scorer protocol"):
        Reranker(object())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "documents", "message"),
    [
        ("", DOCS, "query is empty"),
        ("   ", DOCS, "query is empty"),
        (None, DOCS, "query must be a str, got NoneType"),
        (Q, "one doc", "documents must be a list .* got str; wrap a single document in a list"),
        (Q, None, "documents must be a list .* got NoneType"),
        (Q, [3], r"documents\[0\] has no text: expected a str, a mapping .* got int"),
        (Q, ["ok", {"title": "x"}], r"documents\[1\] has no text"),
        (Q, [{"text": 5}], r"documents\[0\]\['text'\] must be a str, got int"),
        (Q, [Doc(None)], r"documents\[0\] has no text"),  # type: ignore[arg-type]
    ],
)
def test_rerank_errors(query: Any, documents: Any, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        Reranker(nli_scorer()).rerank(query, documents)


def test_rerank_many_errors() -> None:
    reranker = Reranker(nli_scorer())
    with pytest.raises(InvalidInputError, match="queries must be a list of str, got str"):
        reranker.rerank_many(Q, [DOCS])  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="one list of documents per query: 2 queries, got 1"):
        reranker.rerank_many([Q, Q], [DOCS])
    with pytest.raises(InvalidInputError, match=r"queries\[1\] is empty"):
        reranker.rerank_many([Q, ""], [DOCS, DOCS])
    with pytest.raises(InvalidInputError, match="top_n must be a positive int"):
        reranker.rerank(Q, DOCS, top_n=-1)
