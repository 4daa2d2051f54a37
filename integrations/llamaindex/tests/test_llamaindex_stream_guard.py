"""EntailkitStreamGuard on real LlamaIndex streaming responses: checked text, verdicts, the report."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.response.schema import AsyncStreamingResponse, StreamingResponse
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.llms import MockLLM
from llama_index.core.schema import NodeWithScore, TextNode
from llama_index.postprocessor.entailkit_rerank import EntailkitStreamGuard
from llama_index.postprocessor.entailkit_rerank.stream_guard import REPORT_KEY, SENTENCES_KEY

from entailkit.errors import InvalidInputError
from entailkit.tasks.groundedness import GroundednessChecker

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))
from fakes import FakeScorer

S1 = "The tower is in Paris, e.g. near the Seine."
S2 = "It is made of cheese."
S3 = "It was finished in 1889."
ANSWER = f"{S1} {S2} {S3}"
NODES = [
    NodeWithScore(
        node=TextNode(text="The Eiffel Tower is in Paris near the Seine and was finished in 1889."), score=1.0
    )
]


def fake() -> FakeScorer:
    return FakeScorer({("in Paris", S1): (0.9, 0.01), ("in Paris", S2): (0.05, 0.9), ("1889", S3): (0.8, 0.01)})


def test_wrap_streaming_response_per_policy() -> None:
    closed: list[bool] = []

    def tokens() -> Iterator[str]:
        try:
            yield from (ANSWER[i : i + 3] for i in range(0, len(ANSWER), 3))  # cuts inside words and "e.g."
        finally:
            closed.append(True)

    scorer = fake()
    whole = GroundednessChecker(scorer).check(ANSWER, [n.node.get_content() for n in NODES])
    expected = {"flag": ANSWER, "drop": f"{S1} {S3}", "stop": S1}
    for policy, want in expected.items():
        closed.clear()
        checked = EntailkitStreamGuard(scorer, policy=policy).wrap(StreamingResponse(tokens(), list(NODES)))  # type: ignore[arg-type]
        assert isinstance(checked, StreamingResponse) and checked.source_nodes == NODES
        assert "".join(checked.response_gen) == want
        assert closed == [True]
        streamed = [s.check for s in checked.metadata[SENTENCES_KEY]]  # type: ignore[index]
        assert streamed == list(whole.sentences)[: len(streamed)]
        report = checked.metadata[REPORT_KEY]  # type: ignore[index]
        assert report.grounded is False
    with pytest.raises(InvalidInputError):
        EntailkitStreamGuard(scorer).wrap("text")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        EntailkitStreamGuard(scorer, policy="hide")  # type: ignore[arg-type]


def test_awrap_async_streaming_response() -> None:
    async def tokens() -> AsyncIterator[str]:
        for word in ANSWER.split(" "):
            await asyncio.sleep(0)
            yield word + " "

    async def run() -> tuple[str, Any]:
        checked = EntailkitStreamGuard(fake(), policy="drop").awrap(AsyncStreamingResponse(tokens(), list(NODES)))
        text = "".join([t async for t in checked.response_gen])
        return text, checked.metadata

    text, metadata = asyncio.run(run())
    assert text == f"{S1} {S3} "
    assert [s.action for s in metadata[SENTENCES_KEY]] == ["emitted", "dropped", "emitted"]
    assert metadata[REPORT_KEY].grounded is False


def test_real_streaming_query_engine() -> None:
    docs = [
        Document(text="The Eiffel Tower is in Paris. It was finished in 1889."),
        Document(text="Bananas are yellow."),
    ]
    index = VectorStoreIndex.from_documents(docs, embed_model=MockEmbedding(embed_dim=8))
    engine = index.as_query_engine(llm=MockLLM(), streaming=True, similarity_top_k=2)
    response = engine.query("Where is the tower?")
    assert isinstance(response, StreamingResponse)
    scorer = FakeScorer(default=(0.9, 0.01))
    checked = EntailkitStreamGuard(scorer).wrap(response, query="Where is the tower?")
    text = "".join(checked.response_gen)
    contexts = [n.node.get_content() for n in response.source_nodes]
    whole = GroundednessChecker(scorer).check(text, contexts, question="Where is the tower?")
    report = checked.metadata[REPORT_KEY]  # type: ignore[index]
    assert text and report.sentences == whole.sentences and report.grounded == whole.grounded
