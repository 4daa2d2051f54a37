"""EntailkitStreamGuard: check a streaming query engine's answer sentence by sentence, as it streams.

``guard.wrap(streaming_response)`` returns a new ``StreamingResponse`` whose ``response_gen`` yields the
checked text (``GroundednessChecker.stream`` over the original generator, the response's source nodes as
the contexts); ``guard.awrap`` does the same for an ``AsyncStreamingResponse``. The new response's
``metadata`` gains ``entailkit_sentences`` (each ``StreamedSentence``, appended as it is checked) and,
when the stream has ended, ``entailkit_groundedness`` (the whole answer's ``GroundednessReport``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import Any

from llama_index.core.base.response.schema import AsyncStreamingResponse, StreamingResponse

from entailkit.errors import InvalidInputError
from entailkit.scorers import scorer_for
from entailkit.tasks.groundedness import GroundednessChecker
from entailkit.tasks.specs import CheckSpec
from entailkit.tasks.streaming import AsyncGroundednessStream, GroundednessStream
from entailkit.types import StreamPolicy

__all__ = ["REPORT_KEY", "SENTENCES_KEY", "EntailkitStreamGuard"]

SENTENCES_KEY = "entailkit_sentences"
"""Metadata key of the list of ``StreamedSentence``, one per sentence checked so far."""
REPORT_KEY = "entailkit_groundedness"
"""Metadata key of the whole answer's ``GroundednessReport``, set when the stream has ended."""


class EntailkitStreamGuard:
    """Wraps streaming responses so their text is checked against their source nodes as it streams.

    ``policy="flag"`` passes every sentence on (verdicts in the metadata), ``"drop"`` leaves unsupported
    and contradicted sentences out, ``"stop"`` ends the text before the first of them (closing the LLM's
    generator).
    """

    def __init__(self, scorer: Any, *, policy: StreamPolicy = "flag", calibrator: Any = None, **options: Any) -> None:
        """Build the checker once.

        Args:
            scorer: An entailkit Scorer, a model id / path (loaded once per process), or a configured
                GroundednessChecker (then no options).
            policy: ``"flag"``, ``"drop"`` or ``"stop"``.
            calibrator: A fitted calibrator for the sentence scores, or None.
            **options: GroundednessChecker options (``CheckSpec``: threshold, aggregate, question_mode, ...).

        Raises:
            InvalidInputError: A bad policy, a checker given with options, or a bad option.
        """
        if policy not in ("flag", "drop", "stop"):
            raise InvalidInputError(f"policy must be 'flag', 'drop' or 'stop', got {policy!r}.")
        if isinstance(scorer, GroundednessChecker):
            if options or calibrator is not None:
                raise InvalidInputError("a configured GroundednessChecker carries its options: pass it alone.")
            self.checker = scorer
        else:
            self.checker = CheckSpec(**options).build(scorer_for(scorer), calibrator=calibrator)
        self.policy: StreamPolicy = policy

    def wrap(self, response: StreamingResponse, query: str | None = None) -> StreamingResponse:
        """A ``StreamingResponse`` yielding ``response``'s text checked sentence by sentence.

        Args:
            response: A query engine's streaming response (not yet consumed).
            query: The question (shapes short answers as ``question_mode`` says; kept in the report).

        Raises:
            InvalidInputError: ``response`` is not a StreamingResponse with a generator.
        """
        if not isinstance(response, StreamingResponse) or response.response_gen is None:
            raise InvalidInputError(f"wrap takes an unconsumed StreamingResponse, got {type(response).__name__}.")
        metadata: dict[str, Any] = {**(response.metadata or {}), SENTENCES_KEY: []}
        stream = self.checker.stream(response.response_gen, _contexts(response), policy=self.policy, question=query)
        return StreamingResponse(_texts(stream, metadata), list(response.source_nodes), metadata)

    def awrap(self, response: AsyncStreamingResponse, query: str | None = None) -> AsyncStreamingResponse:
        """``wrap`` for an ``AsyncStreamingResponse``: the checks run off the event loop.

        Args:
            response: A query engine's async streaming response (not yet consumed).
            query: The question (shapes short answers as ``question_mode`` says; kept in the report).

        Raises:
            InvalidInputError: ``response`` is not an AsyncStreamingResponse with a generator.
        """
        if not isinstance(response, AsyncStreamingResponse) or response.response_gen is None:
            raise InvalidInputError(f"awrap takes an unconsumed AsyncStreamingResponse, got {type(response).__name__}.")
        metadata: dict[str, Any] = {**(response.metadata or {}), SENTENCES_KEY: []}
        stream = self.checker.astream(response.response_gen, _contexts(response), policy=self.policy, question=query)
        return AsyncStreamingResponse(_atexts(stream, metadata), list(response.source_nodes), metadata)


def _contexts(response: StreamingResponse | AsyncStreamingResponse) -> list[str]:
    return [node.node.get_content() for node in response.source_nodes]


def _texts(stream: GroundednessStream, metadata: dict[str, Any]) -> Generator[str, None, None]:
    try:
        for item in stream:
            metadata[SENTENCES_KEY].append(item)
            if item.text:
                yield item.text
    finally:
        stream.close()
        if stream.report is not None:
            metadata[REPORT_KEY] = stream.report


async def _atexts(stream: AsyncGroundednessStream, metadata: dict[str, Any]) -> AsyncGenerator[str, None]:
    try:
        async for item in stream:
            metadata[SENTENCES_KEY].append(item)
            if item.text:
                yield item.text
    finally:
        await stream.aclose()
        if stream.report is not None:
            metadata[REPORT_KEY] = stream.report
