"""Streaming groundedness checks: the streamed verdicts are those of ``check`` on the whole answer."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entailkit.errors import InvalidInputError
from entailkit.tasks import GroundednessChecker
from entailkit.tasks.question_claims import is_question
from entailkit.tasks.sentences import split_sentences
from entailkit.tasks.streaming import _Splitter
from entailkit.types import GroundednessReport, SentenceCheck, StreamedSentence
from fakes import FakeScorer

S1 = "Paris is the capital of France."
S2 = "It has ten million inhabitants."
S3 = "The Seine flows through it, e.g. past the Louvre."
CONTEXTS = [
    "The Seine is a river in the north of France; it flows past the Louvre.",
    "Paris is the capital and largest city of France, with about two million residents.",
]
ANSWERS = [
    f"{S1} {S2} {S3}",
    f"{S3} {S1}",
    f"{S1}\n\n- {S2}\n- {S3}\nIt was founded by Acme Inc. Thereby it grew.",
    f"Dr. Smith says prices rose 3.14 percent. {S1} Really? Yes.  ",
    S1,
]


def checker(**kwargs: Any) -> GroundednessChecker:
    table = {
        ("capital and largest city", S1): (0.92, 0.02),
        ("two million residents", S2): (0.05, 0.85),
        ("past the Louvre", S3): (0.81, 0.01),
    }
    return GroundednessChecker(FakeScorer(table, default=(0.05, 0.05), max_tokens=256), **kwargs)


def chunkings(answer: str, seed: int = 0) -> list[list[str]]:
    """Whole, char by char, every 2-way cut, and random cuts (inside words, inside "e.g.")."""
    rng = random.Random(seed)
    out = [[answer], list(answer)]
    out += [[answer[:i], answer[i:]] for i in range(1, len(answer))]
    for _ in range(20):
        cuts = sorted(rng.sample(range(1, max(2, len(answer))), k=min(len(answer) - 1, rng.randint(1, 8))))
        out.append([answer[a:b] for a, b in zip([0, *cuts], [*cuts, len(answer)], strict=True)])
    return out


def same(streamed: Sequence[SentenceCheck], report: GroundednessReport) -> None:
    assert len(streamed) == len(report.sentences)
    for got, want in zip(streamed, report.sentences, strict=True):
        assert got.model_dump(exclude={"score", "entailment", "contradiction"}) == want.model_dump(
            exclude={"score", "entailment", "contradiction"}
        )
        assert got.score == pytest.approx(want.score) and got.entailment == pytest.approx(want.entailment)


@pytest.mark.parametrize("answer", ANSWERS)
def test_stream_verdicts_equal_the_whole_answer_check(answer: str) -> None:
    check = checker()
    whole = check.check(answer, CONTEXTS)
    for chunks in chunkings(answer):
        stream = check.stream(iter(chunks), CONTEXTS)
        items = list(stream)
        same([item.check for item in items], whole)
        assert "".join(item.text for item in items) == (answer if whole.sentences else "")
        assert all(answer[item.start : item.end] == item.check.text for item in items)
        assert stream.report is not None
        assert stream.report.model_dump(exclude={"sentences"}) == pytest.approx(whole.model_dump(exclude={"sentences"}))


def test_question_prefix_is_applied_per_sentence() -> None:
    check = checker(question_mode="prefix")
    answer = f"{S1} {S2}"
    whole = check.check(answer, CONTEXTS, "Which city?")
    stream = check.stream(list(answer), CONTEXTS, question="Which city?")
    same([item.check for item in stream], whole)
    assert stream.report is not None and stream.report.question == "Which city?"


def test_each_sentence_is_checked_before_the_stream_ends() -> None:
    read: list[int] = []
    chunks = ["Paris is the cap", "ital of France. It has", " ten million inhabitants.", " The Seine flows."]

    def source() -> Iterator[str]:
        for i, chunk in enumerate(chunks):
            read.append(i)
            yield chunk

    stream = checker().stream(source(), CONTEXTS)
    first = next(stream)
    assert first.check.text == S1 and read == [0, 1]  # "It" is whole: S1 is complete
    second = next(stream)
    assert second.check.text == S2 and read == [0, 1, 2, 3]
    assert stream.report is None
    list(stream)
    assert stream.report is not None and len(stream.report.sentences) == 3


def test_drop_and_stop_policies() -> None:
    answer = f"{S1} {S2} {S3}"
    check = checker()
    dropped = list(check.stream([answer], CONTEXTS, policy="drop"))
    assert [d.action for d in dropped] == ["emitted", "dropped", "emitted"]
    assert "".join(d.text for d in dropped) == f"{S1} {S3}"
    assert dropped[1].verdict == "contradicted"

    closed: list[bool] = []

    def source() -> Iterator[str]:
        try:
            yield from [f"{S1} ", f"{S2} ", f"{S3} ", "More. And more."]
        finally:
            closed.append(True)

    stream = check.stream(source(), CONTEXTS, policy="stop")
    items = list(stream)
    assert [i.action for i in items] == ["emitted", "stopped"] and items[1].text == ""
    assert closed == [True]
    assert stream.report is not None and stream.report.answer == f"{S1} {S2}" and not stream.report.grounded


def test_refusals() -> None:
    check = checker()
    with pytest.raises(InvalidInputError, match="policy"):
        check.stream(["a"], CONTEXTS, policy="hide")
    with pytest.raises(InvalidInputError, match="contexts"):
        check.stream(["a"], "not a list")
    with pytest.raises(InvalidInputError, match="chunks must be str"):
        list(check.stream([b"bytes"], CONTEXTS))  # type: ignore[list-item]
    with pytest.raises(InvalidInputError, match="async iterable"):
        check.astream(["a"], CONTEXTS)  # type: ignore[arg-type]


def test_no_sentence_yields_nothing_and_reports_no_sentences() -> None:
    stream = checker().stream(["🙂", " "], CONTEXTS)
    assert list(stream) == []
    assert stream.report is not None and stream.report.no_sentences and not stream.report.grounded


_PIECES = ["Inc.", "Thereby", "The", "e.g.", "3.14", "Dr.", "U.S.", "etc.", "it", "Paris", "?", "!", '"', "\n", "\n\n"]
_PIECES += ["- ", "1. ", " ", " ", "a)", "No.", "5", "J.", "Smith", "...", "(", ")"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=24), st.data())
def test_complete_sentences_never_change(pieces: list[str], data: st.DataObject) -> None:
    """Whatever follows, a sentence the stream called complete is the one the whole answer's split has
    (questions asked in the answer are not claims: the stream hands them out as no sentence)."""
    text = "".join(pieces)
    final = [item for item in split_sentences(text) if not is_question(item[0])]
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(text)), max_size=6))))
    splitter = _Splitter(split_sentences)
    got = []
    for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True):
        got += [(s.text, s.span) for s in splitter.feed(text[a:b])]
        assert got == final[: len(got)]
    got += [(s.text, s.span) for s in splitter.finish()]
    assert got == final


class _ThreadScorer(FakeScorer):
    """Records the threads that scored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.threads: set[int] = set()

    def score_pairs(self, *args: Any, **kwargs: Any) -> Any:
        self.threads.add(threading.get_ident())
        return super().score_pairs(*args, **kwargs)


async def _achunks(chunks: Sequence[str], closed: list[bool] | None = None) -> AsyncIterator[str]:
    try:
        for chunk in chunks:
            await asyncio.sleep(0)
            yield chunk
    finally:
        if closed is not None:
            closed.append(True)


@pytest.mark.parametrize("answer", ANSWERS[:3])
def test_astream_equals_check_off_the_event_loop(answer: str) -> None:
    table = {("capital and largest city", S1): (0.92, 0.02), ("two million residents", S2): (0.05, 0.85)}
    scorer = _ThreadScorer(table, default=(0.05, 0.05), max_tokens=256)
    check = GroundednessChecker(scorer)
    whole = check.check(answer, CONTEXTS)

    async def run(chunks: list[str]) -> tuple[list[StreamedSentence], GroundednessReport | None, int]:
        stream = check.astream(_achunks(chunks), CONTEXTS)
        items = [item async for item in stream]
        return items, stream.report, threading.get_ident()

    for chunks in chunkings(answer)[:12]:
        scorer.threads.clear()
        items, report, loop_thread = asyncio.run(run(chunks))
        same([i.check for i in items], whole)
        assert report is not None and report.grounded == whole.grounded
        assert scorer.threads and loop_thread not in scorer.threads


def test_astream_stop_closes_the_source() -> None:
    closed: list[bool] = []

    async def run() -> list[StreamedSentence]:
        stream = checker().astream(_achunks([f"{S1} {S2} ", f"{S3} ", "More."], closed), CONTEXTS, policy="stop")
        return [item async for item in stream]

    items = asyncio.run(run())
    assert [i.action for i in items] == ["emitted", "stopped"] and closed == [True]


def test_astream_propagates_a_source_error_after_earlier_verdicts() -> None:
    async def broken() -> AsyncIterator[str]:
        yield f"{S1} {S2} "
        raise RuntimeError("llm died")

    async def run() -> list[str]:
        seen: list[str] = []
        with pytest.raises(RuntimeError, match="llm died"):
            async for item in checker().astream(broken(), CONTEXTS):
                seen.append(item.check.text)
        return seen

    assert asyncio.run(run()) == [S1]


def test_long_contexts_are_windowed_per_sentence_as_documented() -> None:
    """A context too long for one window: each streamed sentence equals ``check(sentence, contexts)``."""
    long_context = " ".join(["filler words here"] * 20) + " Paris is the capital and largest city of France."
    scorer = FakeScorer({("capital and largest city", S1): (0.92, 0.02)}, default=(0.05, 0.05), max_tokens=24)
    check = GroundednessChecker(scorer)
    answer = f"{S1} {S3}"
    streamed = [item.check for item in check.stream(list(answer), [long_context])]
    alone = [check.check(s.text, [long_context]).sentences[0] for s in streamed]
    for got, want in zip(streamed, alone, strict=True):
        assert got.model_dump(exclude={"index", "span"}) == want.model_dump(exclude={"index", "span"})
    assert [s.verdict for s in streamed] == [s.verdict for s in check.check(answer, [long_context]).sentences]


def _counting(stream: Any) -> list[str]:
    """Record the sentences the stream's own checker scores (a spy on the real checker's ``check``)."""
    seen: list[str] = []
    real = stream.sentence_checker.check

    def check(text: str, *args: Any, **kwargs: Any) -> GroundednessReport:
        seen.append(text)
        return real(text, *args, **kwargs)

    stream.sentence_checker.check = check
    return seen


def test_a_sentence_is_checked_when_its_end_mark_arrives_and_not_again() -> None:
    check = checker()
    order: list[str] = []

    def chunks() -> Iterator[str]:
        for chunk in [S1, " It has", " ten million inhabitants.", " Fine."]:
            order.append(f"chunk {chunk!r}")
            yield chunk

    stream = check.stream(chunks(), CONTEXTS)
    seen = _counting(stream)
    items = list(stream)
    same([item.check for item in items], check.check(f"{S1} {S2} Fine.", CONTEXTS))
    assert seen == [S1, S2, "Fine."]  # each once: S1 right after its chunk, before " It has" was read
    assert order[1] == "chunk ' It has'"


def test_a_speculative_check_the_text_goes_past_is_dropped() -> None:
    check = checker()
    answer = "It was founded by Acme Inc. Thereby it grew, e.g. in 1990."
    stream = check.stream(iter(["It was founded by Acme Inc.", " Thereby it grew, e.g.", " in 1990."]), CONTEXTS)
    seen = _counting(stream)
    items = list(stream)
    same([item.check for item in items], check.check(answer, CONTEXTS))
    final = [item.check.text for item in items]
    guess = "It was founded by Acme Inc."
    assert seen[0] == guess  # checked as soon as its end mark came
    assert final == [answer]  # "Inc. Thereby" goes on: the guesses were dropped, not reported
    assert seen[-1] == answer and guess not in final


def test_astream_speculates_and_equals_the_whole_answer_check() -> None:
    check = checker()
    answer = f"{S1} {S2} {S3}"

    async def chunks() -> AsyncIterator[str]:
        for chunk in [S1, " ", S2, " The Seine flows through it, e.g.", " past the Louvre."]:
            await asyncio.sleep(0.01)
            yield chunk

    async def run() -> list[StreamedSentence]:
        return [item async for item in check.astream(chunks(), CONTEXTS)]

    items = asyncio.run(run())
    same([item.check for item in items], check.check(answer, CONTEXTS))
