"""The answer, contexts and fake scorer the LangChain groundedness tests share (no torch)."""

from __future__ import annotations

from langchain_core.documents import Document

from fakes import FakeScorer

S1, S2 = "The tower is in Paris.", "It is made of cheese."
CONTEXT = [Document(page_content="The Eiffel Tower is in Paris and was finished in 1889.")]


def ground_fake() -> FakeScorer:
    """S1 supported by CONTEXT, S2 unsupported."""
    return FakeScorer({("in Paris", S1): (0.9, 0.01), ("in Paris", S2): (0.05, 0.2)})
