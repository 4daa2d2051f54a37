"""EntailkitStreamGuard: ``llm | guard`` checks an LLM's streamed answer sentence by sentence.

The guard's ``transform`` / ``atransform`` read the LLM's chunks (``AIMessageChunk`` or str) and pass on
checked text as each sentence completes (``GroundednessChecker.stream`` / ``astream``), so
``chain.stream()``, ``chain.astream()`` and ``chain.astream_events(version="v2")`` show checked text
while the LLM is still writing. Each sentence's verdict is a custom callback event
(``entailkit_stream_sentence``), the whole answer's report one ``entailkit_groundedness`` event at the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.runnables import RunnableConfig, RunnableSerializable
from pydantic import ConfigDict, Field

from entailkit.errors import InvalidInputError
from entailkit.tasks.groundedness import GroundednessChecker
from entailkit.types import GroundednessReport, SentenceVerdict, StreamedSentence, StreamPolicy
from langchain_entailkit._documents import context_texts, text_of
from langchain_entailkit._events import aemit, emit
from langchain_entailkit._scorers import resolve_scorer
from langchain_entailkit._serialisation import ModelIdSerializable
from langchain_entailkit.groundedness import GROUNDEDNESS_EVENT

__all__ = ["SENTENCE_EVENT", "EntailkitStreamGuard"]

SENTENCE_EVENT = "entailkit_stream_sentence"
"""Name of the custom callback event carrying each streamed sentence's ``StreamedSentence`` (as JSON)."""


class EntailkitStreamGuard(ModelIdSerializable, RunnableSerializable[Any, Any]):
    """Check an LLM's streamed answer against fixed contexts, sentence by sentence, as it streams.

    ``policy="flag"`` passes every sentence on, failing ones marked with ``flag_format`` (set it to
    ``"{sentence}"`` to pass them on unchanged); ``"drop"`` leaves unsupported and contradicted sentences
    out; ``"stop"`` ends the stream before the first of them (the LLM's stream is closed). Chunks come out
    of the input's kind: ``AIMessageChunk`` for a chat model, str for a str stream. The contexts (and the
    question) are given to the constructor or per call: ``guard.bind(context=docs, question=q)``.

    Serialisable (``dumps`` / ``loads``) when built from ``model=`` with plain options (the contexts are
    kept as their texts); built from ``scorer=`` or ``checker=`` it serialises as not_implemented.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    scorer: Any = Field(default=None, exclude=True)
    """The scorer given (never serialised)."""
    model: str | None = None
    """The model id or path the scorer was loaded from (the serialised source), or None."""
    checker: GroundednessChecker | None = Field(default=None, exclude=True)
    """The entailkit GroundednessChecker doing the work (built from the options, or given)."""
    context: list[str] | None = None
    question: str | None = None
    policy: StreamPolicy = "flag"
    flag_format: str = "{sentence} [{verdict}]"
    load_options: dict[str, Any] = Field(default_factory=dict)
    checker_options: dict[str, Any] = Field(default_factory=dict, exclude=True)
    """The GroundednessChecker options given (serialised flat, as they are passed)."""

    def __init__(
        self,
        scorer: Any = None,
        *,
        model: str | None = None,
        checker: GroundednessChecker | None = None,
        context: Any = None,
        question: str | None = None,
        policy: StreamPolicy = "flag",
        flag_format: str = "{sentence} [{verdict}]",
        load_options: Mapping[str, Any] | None = None,
        **checker_options: Any,
    ) -> None:
        """Build (or take) the checker and check the options once.

        Args:
            scorer: An entailkit NLI (or GLiClass) scorer; shared, never copied.
            model: A model id or path, loaded once per process and shared (instead of ``scorer``).
            checker: A configured ``GroundednessChecker``, used as it is (alone: no scorer or options).
            context: The contexts: a list of Documents, a list of str or a str (or per call, ``context=``).
            question: The question the answer replies to (or per call, ``question=``).
            policy: ``"flag"``, ``"drop"`` or ``"stop"`` (see the class).
            flag_format: How ``flag`` marks a failing sentence; must contain ``{sentence}``.
            load_options: Extra ``load_scorer`` options used with ``model``.
            **checker_options: Options of ``GroundednessChecker`` (``threshold``, ``aggregate``, ...).

        Raises:
            InvalidInputError: A bad source, policy, flag_format, context or checker option.
        """
        if checker is not None:
            if scorer is not None or model is not None or checker_options:
                raise InvalidInputError("pass checker= alone, or scorer=/model= with checker options.")
            if not isinstance(checker, GroundednessChecker):
                raise InvalidInputError(f"checker must be a GroundednessChecker, got {type(checker).__name__}.")
        else:
            checker = GroundednessChecker(
                resolve_scorer(scorer, model, None, dict(load_options or {})), **checker_options
            )
        if policy not in ("flag", "drop", "stop"):
            raise InvalidInputError(f"policy must be 'flag', 'drop' or 'stop', got {policy!r}.")
        if not isinstance(flag_format, str) or "{sentence}" not in flag_format:
            raise InvalidInputError(f"flag_format must contain '{{sentence}}', got {flag_format!r}.")
        super().__init__(
            scorer=scorer,
            model=model,
            checker=checker,
            context=None if context is None else context_texts(context),
            question=None if question is None else text_of(question, "question"),
            policy=policy,
            flag_format=flag_format,
            load_options=dict(load_options or {}),
            checker_options=dict(checker_options),
        )

    @property
    def lc_attributes(self) -> dict[str, Any]:
        """The checker options, flat (as the constructor takes them)."""
        return dict(self.checker_options)

    @property
    def _checker(self) -> GroundednessChecker:
        assert self.checker is not None  # set by __init__
        return self.checker

    # -- Runnable ----------------------------------------------------------------------------------

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """Check a whole answer (a str or chat message) as one chunk; returns the checked answer.

        Args:
            input: The LLM's answer: a str or a chat message.
            config: The LangChain run config.
            **kwargs: ``context=`` and ``question=`` for this call.
        """
        return _joined(input, list(self.transform(iter([input]), config, **kwargs)))

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """``invoke`` with the checks run off the event loop."""
        return _joined(input, [c async for c in self.atransform(_one(input), config, **kwargs)])

    def transform(self, input: Iterator[Any], config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[Any]:
        """Checked chunks of a stream of LLM chunks, one per sentence, as each sentence completes.

        Args:
            input: The LLM's chunks (``AIMessageChunk`` or str).
            config: The LangChain run config.
            **kwargs: ``context=`` and ``question=`` for this call.
        """
        yield from self._transform_stream_with_config(input, self._transform, config, **kwargs)

    async def atransform(
        self, input: AsyncIterator[Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """Async ``transform``: the checks run off the event loop while the LLM streams on."""
        async for chunk in self._atransform_stream_with_config(input, self._atransform, config, **kwargs):
            yield chunk

    def stream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[Any]:
        """``transform`` of one whole answer."""
        yield from self.transform(iter([input]), config, **kwargs)

    async def astream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> AsyncIterator[Any]:
        """``atransform`` of one whole answer."""
        async for chunk in self.atransform(_one(input), config, **kwargs):
            yield chunk

    # -- the work ----------------------------------------------------------------------------------

    def _options(self, kwargs: Mapping[str, Any]) -> tuple[list[str], str | None]:
        context = context_texts(kwargs["context"]) if kwargs.get("context") is not None else self.context
        if context is None:
            raise InvalidInputError("EntailkitStreamGuard needs context=: give it to the guard or bind it.")
        question = kwargs.get("question")
        return context, self.question if question is None else text_of(question, "question")

    def _transform(
        self, input: Iterator[Any], run_manager: Any, config: RunnableConfig, **kwargs: Any
    ) -> Iterator[Any]:
        context, question = self._options(kwargs)
        kind: list[type] = []
        stream = self._checker.stream(_texts(input, kind), context, policy=self.policy, question=question)
        for item in stream:
            emit(run_manager.get_child(), SENTENCE_EVENT, item.model_dump(mode="json"))
            if text := self._text(item):
                yield _chunk(text, kind)
        if stream.report is not None:
            emit(run_manager.get_child(), GROUNDEDNESS_EVENT, stream.report.model_dump(mode="json"))

    async def _atransform(
        self, input: AsyncIterator[Any], run_manager: Any, config: RunnableConfig, **kwargs: Any
    ) -> AsyncIterator[Any]:
        context, question = self._options(kwargs)
        kind: list[type] = []
        stream = self._checker.astream(_atexts(input, kind), context, policy=self.policy, question=question)
        async for item in stream:
            await aemit(run_manager.get_child(), SENTENCE_EVENT, item.model_dump(mode="json"))
            if text := self._text(item):
                yield _chunk(text, kind)
        report: GroundednessReport | None = stream.report
        if report is not None:
            await aemit(run_manager.get_child(), GROUNDEDNESS_EVENT, report.model_dump(mode="json"))

    def _text(self, item: StreamedSentence) -> str:
        """The text to pass on: under ``flag`` a failing sentence is marked with ``flag_format``."""
        failing: tuple[SentenceVerdict, ...] = ("unsupported", "contradicted")
        if self.policy != "flag" or item.verdict not in failing:
            return item.text
        at = item.text.find(item.check.text)
        marked = self.flag_format.format(sentence=item.check.text, verdict=item.verdict)
        return item.text[:at] + marked + item.text[at + len(item.check.text) :]


def _text_of_chunk(chunk: Any, kind: list[type]) -> str:
    if not kind:
        kind.append(AIMessageChunk if isinstance(chunk, BaseMessage) else str)
    return text_of(chunk, "chunk")


def _texts(input: Iterator[Any], kind: list[type]) -> Iterator[str]:
    """The text of each chunk; closing it closes the LLM's stream."""
    try:
        for chunk in input:
            yield _text_of_chunk(chunk, kind)
    finally:
        close = getattr(input, "close", None)
        if callable(close):
            close()


async def _atexts(input: AsyncIterator[Any], kind: list[type]) -> AsyncIterator[str]:
    try:
        async for chunk in input:
            yield _text_of_chunk(chunk, kind)
    finally:
        aclose = getattr(input, "aclose", None)
        if callable(aclose):
            await aclose()


async def _one(value: Any) -> AsyncIterator[Any]:
    yield value


def _chunk(text: str, kind: Sequence[type]) -> Any:
    return AIMessageChunk(content=text) if kind and kind[0] is AIMessageChunk else text


def _joined(input: Any, chunks: list[Any]) -> Any:
    text = "".join(text_of(c, "chunk") for c in chunks)
    return AIMessage(content=text) if isinstance(input, BaseMessage) else text
