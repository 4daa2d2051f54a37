"""GroundednessChecker on a FakeScorer: verdicts, evidence, windows, aggregates, batching, errors."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import pytest

from entailkit.errors import InvalidInputError
from entailkit.tasks import GroundednessChecker
from entailkit.types import GroundednessReport
from fakes import FakeScorer

S1 = "Paris is the capital of France."
S2 = "It has ten million inhabitants."
S3 = "The Seine flows through it."
ANSWER = f"{S1} {S2} {S3}"
CONTEXTS = [
    "The Seine is a river in the north of France.",
    "Paris is the capital and largest city of France, with about two million residents.",
]


def table() -> dict[tuple[str, str], Any]:
    return {
        ("capital and largest city", S1): (0.92, 0.02),
        ("two million residents", S2): (0.05, 0.85),
        ("Seine is a river", S3): (0.30, 0.10),
    }


def checker(head: str = "nli3", **kwargs: Any) -> tuple[GroundednessChecker, FakeScorer]:
    scorer = FakeScorer(table(), head=head, default=(0.05, 0.05) if head == "nli3" else 0.05)  # type: ignore[arg-type]
    return GroundednessChecker(scorer, **kwargs), scorer


def test_verdicts_scores_and_evidence_nli3() -> None:
    check, _ = checker()
    report = check.check(ANSWER, CONTEXTS)
    s1, s2, s3 = report.sentences
    assert [s.text for s in report.sentences] == [S1, S2, S3]
    assert [s.verdict for s in report.sentences] == ["supported", "contradicted", "unsupported"]
    for s in report.sentences:
        assert s.span is not None and ANSWER[s.span[0] : s.span[1]] == s.text
    assert s1.entailment == 0.92 and s1.contradiction == pytest.approx(0.05)
    assert s1.supporting is not None and s1.supporting.context_index == 1
    assert s1.evidence == s1.supporting
    assert s2.contradicting is not None and s2.contradicting.context_index == 1
    assert s2.contradicting.contradiction == 0.85 and s2.evidence == s2.contradicting
    assert s2.contradicting.span == (0, len(CONTEXTS[1])) and s2.contradicting.text == CONTEXTS[1]
    assert s3.supporting is not None and s3.supporting.context_index == 0 and s3.entailment == 0.30
    assert report.supported_fraction == pytest.approx(1 / 3)
    assert report.min_score == 0.05 and report.mean_score == pytest.approx((0.92 + 0.05 + 0.30) / 3)
    assert report.aggregate == "min" and report.score == report.min_score
    assert not report.grounded and report.threshold == 0.5
    assert [s.text for s in report.supported] == [S1]
    assert [s.text for s in report.contradicted] == [S2]
    assert [s.text for s in report.unsupported] == [S3]
    assert report.num_contexts == 2 and report.head == "nli3"
    assert all(s.num_windows == 2 for s in report.sentences)


def test_every_window_sentence_pair_in_one_call_window_major() -> None:
    check, scorer = checker()
    check.check(ANSWER, CONTEXTS)
    assert len(scorer.calls) == 1
    call = scorer.calls[0]
    assert call.normalization == "softmax"
    assert call.premises == [CONTEXTS[0]] * 3 + [CONTEXTS[1]] * 3
    assert call.hypotheses == [S1, S2, S3] * 2


def test_grounded_when_all_supported_and_aggregates() -> None:
    answer = f"{S1} {S3}"
    strict, _ = checker()
    lenient, _ = checker(aggregate="mean", threshold=0.25)
    assert not strict.check(answer, CONTEXTS).grounded  # S3 at 0.30 < 0.5
    report = lenient.check(answer, CONTEXTS)
    assert report.grounded and report.score == pytest.approx((0.92 + 0.30) / 2)
    assert report.supported_fraction == 1.0
    mean_only, _ = checker(aggregate="mean", threshold=0.6)
    report = mean_only.check(answer, CONTEXTS)
    assert report.score == pytest.approx(0.61) and report.grounded and report.supported_fraction == 0.5
    assert [s.verdict for s in report.sentences] == ["supported", "unsupported"]


def test_contradiction_vetoes_grounded_and_has_its_own_threshold() -> None:
    check, _ = checker(aggregate="mean", threshold=0.0)
    report = check.check(f"{S1} {S2}", CONTEXTS)
    assert report.sentences[1].verdict == "contradicted" and not report.grounded
    high, _ = checker(contradiction_threshold=0.9)
    assert high.check(S2, CONTEXTS).sentences[0].verdict == "unsupported"


def test_two_label_model_never_says_contradicted() -> None:
    scorer = FakeScorer({("capital and largest city", S1): 0.9, ("two million", S2): 0.1}, head="nli2")
    report = GroundednessChecker(scorer).check(f"{S1} {S2}", CONTEXTS)
    assert [s.verdict for s in report.sentences] == ["supported", "unsupported"]
    assert all(s.contradiction is None and s.contradicting is None for s in report.sentences)
    assert report.sentences[0].supporting is not None
    assert report.sentences[0].supporting.contradiction is None
    assert report.head == "nli2"


def test_gliclass_scores_all_sentences_of_a_window_in_one_pass() -> None:
    scorer = FakeScorer({("capital and largest city", S1): 0.8}, head="gliclass", default=0.1)
    report = GroundednessChecker(scorer).check(ANSWER, CONTEXTS)
    assert [s.verdict for s in report.sentences] == ["supported", "unsupported", "unsupported"]
    assert len(scorer.calls) == 1 and scorer.calls[0].passes == 2  # one pass per context window
    assert report.head == "gliclass"


@pytest.mark.parametrize(
    ("head", "message"),
    [
        ("relevance", "is a 1-logit relevance model"),
        ("cosine", "is an embedding model"),
    ],
)
def test_refuses_relevance_and_embedding_models(head: str, message: str) -> None:
    scorer = FakeScorer(head=head, model="some/reranker")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=f"GroundednessChecker needs an NLI model.*{message}"):
        GroundednessChecker(scorer)


def test_long_context_is_windowed_and_evidence_points_at_the_window() -> None:
    filler = " ".join(f"w{i}" for i in range(60))
    long_context = f"{filler} Paris is the capital and largest city of France. {filler}"
    scorer = FakeScorer(table(), max_tokens=30, default=(0.05, 0.05))
    report = GroundednessChecker(scorer).check(S1, ["unrelated text", long_context])
    sentence = report.sentences[0]
    assert sentence.verdict == "supported" and sentence.num_windows > 2
    assert sentence.supporting is not None and sentence.supporting.context_index == 1
    start, end = sentence.supporting.span
    assert "capital and largest city" in long_context[start:end]
    assert sentence.supporting.text == long_context[start:end]
    assert (start, end) != (0, len(long_context))


def test_check_many_shares_one_call_and_dedups_pairs() -> None:
    check, scorer = checker()
    reports = check.check_many(
        [
            {"answer": S1, "contexts": CONTEXTS, "question": "What is the capital of France?"},
            (S1, CONTEXTS),
            (f"{S2} {S3}", CONTEXTS[:1], "q?"),
        ]
    )
    assert len(scorer.calls) == 1
    assert len(scorer.calls[0].premises) == 2 + 2  # S1 x 2 windows (shared by items 0 and 1) + 2 sentences x 1
    assert [r.sentences[0].verdict for r in reports] == ["supported", "supported", "unsupported"]
    assert reports[0].question == "What is the capital of France?" and reports[1].question is None
    assert reports[2].num_contexts == 1 and len(reports[2].sentences) == 2
    assert check.check_many([]) == []


def test_empty_answer_and_empty_contexts() -> None:
    check, scorer = checker()
    empty = check.check("", CONTEXTS)
    # Nothing checkable is nothing verified: not grounded, every score 0.0, flagged.
    assert empty.sentences == () and empty.no_sentences and not empty.grounded
    assert empty.score == empty.supported_fraction == empty.min_score == empty.mean_score == 0.0
    blank = check.check("  \n ", CONTEXTS)
    assert blank.sentences == () and blank.no_sentences and not blank.grounded
    no_context = check.check(ANSWER, [])
    assert [s.verdict for s in no_context.sentences] == ["unsupported"] * 3
    assert all(s.supporting is None and s.score == 0.0 and s.num_windows == 0 for s in no_context.sentences)
    assert no_context.score == no_context.supported_fraction == 0.0 and not no_context.grounded
    blank_contexts = check.check(S1, ["", "   "])
    assert blank_contexts.sentences[0].verdict == "unsupported" and blank_contexts.num_contexts == 2
    assert scorer.calls == []


def test_inputs_are_not_mutated() -> None:
    contexts = list(CONTEXTS)
    items = [{"answer": ANSWER, "contexts": contexts}]
    snapshot = copy.deepcopy(items)
    check, _ = checker()
    check.check(ANSWER, contexts)
    check.check_many(items)
    assert items == snapshot and contexts == CONTEXTS


def test_custom_splitters() -> None:
    check, _ = checker(splitter=lambda text: [S3, S1])  # plain strings: located in the answer
    report = check.check(ANSWER, CONTEXTS)
    assert [s.text for s in report.sentences] == [S3, S1]
    assert report.sentences[0].span == (ANSWER.index(S3), ANSWER.index(S3) + len(S3))
    claims, _ = checker(splitter=lambda text: ["Paris is in France.", (S1, (0, len(S1)))])
    report = claims.check(ANSWER, CONTEXTS)
    assert report.sentences[0].span is None and report.sentences[1].span == (0, len(S1))
    skip_blank, _ = checker(splitter=lambda text: [" ", S1])
    assert len(skip_blank.check(ANSWER, CONTEXTS).sentences) == 1


def test_question_is_recorded_and_optionally_prefixed() -> None:
    check, scorer = checker()
    assert check.check(S1, CONTEXTS, question="Capital?").question == "Capital?"
    assert scorer.calls[-1].hypotheses == [S1, S1]
    prefixed, scorer = checker(question_mode="prefix")
    report = prefixed.check(S1, CONTEXTS, question="Capital?")
    assert scorer.calls[-1].hypotheses == [f"Capital? {S1}"] * 2
    assert report.question_mode == "prefix" and report.sentences[0].claim == f"Capital? {S1}"
    with pytest.warns(DeprecationWarning, match="question_mode='prefix'"):
        old, scorer = checker(prefix_question=True)
    old.check(S1, CONTEXTS, question="Capital?")
    assert scorer.calls[-1].hypotheses == [f"Capital? {S1}"] * 2


def test_short_answers_are_scored_as_the_claim_they_make() -> None:
    check, scorer = checker()
    report = check.check("Yes.", CONTEXTS, question="is paris a city in france")
    assert scorer.calls[-1].hypotheses == ["Paris is a city in france."] * 2
    assert report.question_mode == "claim" and report.sentences[0].text == "Yes."
    assert report.sentences[0].claim == "Paris is a city in france."
    check.check("No.", CONTEXTS, question="is paris a city in france")
    assert scorer.calls[-1].hypotheses == ["Paris is not a city in france."] * 2
    check.check("Paris.", CONTEXTS, question="What is the capital of France?")
    assert scorer.calls[-1].hypotheses == ["Paris is the capital of France."] * 2
    check.check("Paris.", CONTEXTS, question="Why?")  # no rule fits: the template
    assert scorer.calls[-1].hypotheses == ["Why? Paris."] * 2
    templated, other = checker(answer_template="Q: {question} A: {answer}")
    templated.check("Paris.", CONTEXTS, question="Why?")
    assert other.calls[-1].hypotheses == ["Q: Why? A: Paris."] * 2
    for bad in ("{question} only", "{answer} {answer} {question}", "{x} {question} {answer}", 3):
        with pytest.raises(InvalidInputError, match="answer_template"):
            checker(answer_template=bad)
    full = check.check(S1, CONTEXTS, question="Capital?")  # a full sentence is its own claim
    assert full.sentences[0].claim is None and scorer.calls[-1].hypotheses == [S1, S1]
    plain, scorer = checker(question_mode="none")
    assert plain.check("Paris.", CONTEXTS, question="Capital?").sentences[0].claim is None
    assert scorer.calls[-1].hypotheses == ["Paris."] * 2
    assert check.check(S1, CONTEXTS).question_mode is None  # no question, nothing shaped


def test_a_question_inside_the_answer_is_not_a_claim() -> None:
    check, scorer = checker()
    report = check.check("What is the capital of France? Paris.", CONTEXTS)
    assert [s.text for s in report.sentences] == ["Paris."] and report.sentences[0].index == 0
    assert report.question == "What is the capital of France?"
    assert scorer.calls[-1].hypotheses == ["Paris is the capital of France."] * 2
    given = check.check("What is it? Paris.", CONTEXTS, question="Capital of France?")
    assert given.question == "Capital of France?" and given.sentences[0].claim == "Capital of France? Paris."
    only = check.check("Is it Paris?", CONTEXTS)
    assert only.no_sentences and not only.grounded


def test_calibrator_changes_scores_and_verdicts() -> None:
    class Double:
        def transform(self, scores: Sequence[float]) -> list[float]:
            return [s * 2 for s in scores]

    check, _ = checker(calibrator=Double())
    report = check.check(f"{S1} {S3}", CONTEXTS)
    assert [s.score for s in report.sentences] == [1.0, 0.6]
    assert [s.entailment for s in report.sentences] == [0.92, 0.30]
    assert [s.verdict for s in report.sentences] == ["supported", "supported"]
    assert report.grounded


def test_report_round_trips_through_json() -> None:
    check, _ = checker()
    report = check.check(ANSWER, CONTEXTS, question="q")
    assert GroundednessReport.model_validate_json(report.model_dump_json()) == report


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": None}, r"threshold must be a number in \[0, 1\], got None"),
        ({"threshold": 2}, r"threshold must be a number in \[0, 1\] or None, got 2"),
        ({"contradiction_threshold": -0.1}, "contradiction_threshold must be a number"),
        ({"aggregate": "max"}, "aggregate must be 'mean' or 'min', got 'max'"),
        ({"splitter": "regex"}, r"splitter must be a callable text -> \[\(sentence, \(start, end\)\), ...\], got str"),
        ({"calibrator": 1}, "calibrator must have a transform"),
    ],
)
def test_constructor_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        checker(**kwargs)


def test_not_a_scorer() -> None:
    with pytest.raises(InvalidInputError, match="scorer must implement the entailkit Scorer protocol"):
        GroundednessChecker("model-name")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answer", "contexts", "question", "message"),
    [
        (None, CONTEXTS, None, "answer must be a str, got NoneType"),
        (ANSWER, "one context", None, "contexts must be a list of strings, got a single str"),
        (ANSWER, [1], None, r"contexts\[0\] must be a str, got int"),
        (ANSWER, None, None, "contexts must be a list of strings, got NoneType"),
        (ANSWER, CONTEXTS, 5, "question must be a str or None, got int"),
    ],
)
def test_check_errors(answer: Any, contexts: Any, question: Any, message: str) -> None:
    check, _ = checker()
    with pytest.raises(InvalidInputError, match=message):
        check.check(answer, contexts, question)


def test_splitter_errors() -> None:
    def boom(text: str) -> list[str]:
        raise RuntimeError("bad splitter")

    cases: list[tuple[Any, str]] = [
        (boom, "the sentence splitter failed on the answer: RuntimeError"),
        (lambda text: [("x", (0, 999))], r"splitter item 0 has span \(0, 999\) outside the answer"),
        (lambda text: [3], "splitter item 0 must be a str or \\(str, \\(start, end\\)\\), got 3"),
        (lambda text: [("x", "0-1")], "splitter item 0 must be a str or"),
    ]
    for splitter, message in cases:
        check, _ = checker(splitter=splitter)
        with pytest.raises(InvalidInputError, match=message):
            check.check(ANSWER, CONTEXTS)


def test_check_many_errors() -> None:
    check, _ = checker()
    with pytest.raises(InvalidInputError, match="items must be a list of"):
        check.check_many({"answer": ANSWER, "contexts": CONTEXTS})  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"items\[0\] must have the keys 'answer' and 'contexts'"):
        check.check_many([{"answer": ANSWER}])
    with pytest.raises(
        InvalidInputError, match=r"items\[1\] must be a mapping with 'answer' and 'contexts' or a tuple"
    ):
        check.check_many([(ANSWER, CONTEXTS), "just an answer"])
    with pytest.raises(InvalidInputError, match=r"items\[0\]: contexts must be a list of strings"):
        check.check_many([(ANSWER, "ctx")])
    with pytest.raises(InvalidInputError, match=r"items\[0\]: answer must be a str"):
        check.check_many([(1, CONTEXTS)])
