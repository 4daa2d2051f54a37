"""EntailkitStreamGuard on real LangChain fake streaming chat models: llm | guard streams checked text."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.language_models import FakeListChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.runnables import RunnableGenerator
from langchain_entailkit import GROUNDEDNESS_EVENT, SENTENCE_EVENT, EntailkitStreamGuard

from entailkit.errors import InvalidInputError
from entailkit.tasks.groundedness import GroundednessChecker
from fakes import FakeScorer

S1 = "The tower is in Paris, e.g. near the Seine."
S2 = "It is made of cheese."
S3 = "It was finished in 1889."
ANSWER = f"{S1} {S2} {S3}"
CONTEXT = [Document(page_content="The Eiffel Tower is in Paris near the Seine and was finished in 1889.")]


def fake() -> FakeScorer:
    return FakeScorer({("in Paris", S1): (0.9, 0.01), ("in Paris", S2): (0.05, 0.9), ("1889", S3): (0.8, 0.01)})


class Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def on_custom_event(self, name: str, data: Any, **kwargs: Any) -> None:
        self.events.append((name, data))


def test_chain_stream_flags_drops_and_stops_char_by_char() -> None:
    expected = {
        "flag": f"{S1} {S2} [contradicted] {S3}",
        "drop": f"{S1} {S3}",
        "stop": S1,
    }
    for policy, want in expected.items():
        llm = FakeListChatModel(responses=[ANSWER])  # streams one character per chunk
        chain = llm | EntailkitStreamGuard(fake(), context=CONTEXT, policy=policy)  # type: ignore[arg-type]
        recorder = Recorder()
        chunks = list(chain.stream("q", {"callbacks": [recorder]}))
        assert all(isinstance(c, AIMessageChunk) for c in chunks)
        assert "".join(str(c.content) for c in chunks) == want
        sentences = [data for name, data in recorder.events if name == SENTENCE_EVENT]
        assert [s["check"]["verdict"] for s in sentences][:2] == ["supported", "contradicted"]
        reports = [data for name, data in recorder.events if name == GROUNDEDNESS_EVENT]
        assert len(reports) == 1 and reports[0]["grounded"] is False


def test_verdicts_equal_the_whole_answer_check_and_invoke() -> None:
    scorer = fake()
    whole = GroundednessChecker(scorer).check(ANSWER, [d.page_content for d in CONTEXT])
    recorder = Recorder()
    llm = GenericFakeChatModel(messages=iter([AIMessage(content=ANSWER)]))  # streams word by word
    list(
        (llm | EntailkitStreamGuard(scorer, context=CONTEXT, flag_format="{sentence}")).stream(
            "q", {"callbacks": [recorder]}
        )
    )
    streamed = [data["check"] for name, data in recorder.events if name == SENTENCE_EVENT]
    assert streamed == [s.model_dump(mode="json") for s in whole.sentences]
    guard = EntailkitStreamGuard(scorer, policy="drop")
    out = guard.invoke(AIMessage(content=ANSWER), context=CONTEXT)
    assert isinstance(out, AIMessage) and out.content == f"{S1} {S3}"
    assert guard.invoke(ANSWER, context=CONTEXT) == f"{S1} {S3}"
    assert asyncio.run(guard.ainvoke(ANSWER, context=CONTEXT)) == f"{S1} {S3}"


def test_bound_context_and_str_streams() -> None:
    def words(_: Any) -> Any:
        yield from ["The tower is in Pa", "ris, e", ".g. near the Seine. It is ", "made of cheese."]

    chain = RunnableGenerator(words) | EntailkitStreamGuard(fake(), policy="drop").bind(context=CONTEXT)
    chunks = list(chain.stream("q"))
    assert chunks == [S1]
    with pytest.raises(InvalidInputError, match="context"):
        list((RunnableGenerator(words) | EntailkitStreamGuard(fake())).stream("q"))
    with pytest.raises(InvalidInputError, match="policy"):
        EntailkitStreamGuard(fake(), context=CONTEXT, policy="hide")  # type: ignore[arg-type]


def test_chain_astream_and_astream_events() -> None:
    async def run() -> tuple[str, list[dict[str, Any]]]:
        chain = FakeListChatModel(responses=[ANSWER]) | EntailkitStreamGuard(fake(), context=CONTEXT, policy="drop")
        text = "".join([str(c.content) async for c in chain.astream("q")])
        chain = FakeListChatModel(responses=[ANSWER]) | EntailkitStreamGuard(fake(), context=CONTEXT, policy="drop")
        events = [e async for e in chain.astream_events("q", version="v2")]
        return text, events

    text, events = asyncio.run(run())
    assert text == f"{S1} {S3}"
    custom = [e for e in events if e["event"] == "on_custom_event"]
    assert [e["name"] for e in custom] == [SENTENCE_EVENT] * 3 + [GROUNDEDNESS_EVENT]
    assert [e["data"]["action"] for e in custom[:3]] == ["emitted", "dropped", "emitted"]
    streamed = [
        e["data"]["chunk"] for e in events if e["event"] == "on_chain_stream" and e["name"] == "EntailkitStreamGuard"
    ]
    assert "".join(str(c.content) for c in streamed) == f"{S1} {S3}"


def test_astream_stop_closes_the_llm_stream() -> None:
    closed: list[bool] = []

    async def source(_: Any) -> Any:
        try:
            for piece in [f"{S1} ", f"{S2} ", f"{S3} ", "More text. And more."]:
                await asyncio.sleep(0)
                yield piece
        finally:
            closed.append(True)

    async def run() -> list[str]:
        chain = RunnableGenerator(source) | EntailkitStreamGuard(fake(), context=CONTEXT, policy="stop")
        return [c async for c in chain.astream("q")]

    assert asyncio.run(run()) == [S1]
    assert closed == [True]
