"""EntailkitGroundednessCheck: a Runnable that checks an answer against its context, or guards it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from langchain_core.documents import Document
from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig, RunnableSerializable
from pydantic import BaseModel, ConfigDict, Field

from entailkit.adapters import DEFAULT_EMPTY_ANSWER, rewrite_answer
from entailkit.errors import InvalidInputError, UngroundedAnswerError
from entailkit.tasks.groundedness import GroundednessChecker
from entailkit.types import GroundednessReport, SentenceVerdict
from langchain_entailkit._batch import aper_item, per_item, split_errors
from langchain_entailkit._documents import context_texts, text_of
from langchain_entailkit._events import aemit, emit
from langchain_entailkit._scorers import resolve_scorer
from langchain_entailkit._serialisation import ModelIdSerializable

__all__ = ["DEFAULT_EMPTY_ANSWER", "GROUNDEDNESS_EVENT", "EntailkitGroundednessCheck", "GroundednessInput", "Mode"]

GROUNDEDNESS_EVENT = "entailkit_groundedness"
"""Name of the custom callback event carrying the GroundednessReport (as JSON) of every check."""

Mode = Literal["report", "flag", "strip", "raise"]
_MODES = ("report", "flag", "strip", "raise")


class GroundednessInput(BaseModel):
    """The input of EntailkitGroundednessCheck (``"contexts"`` is accepted for ``"context"``)."""

    answer: str | BaseMessage
    """The answer to check: a str or a chat message (AIMessage)."""
    context: list[Document] | list[str] | str
    """The passages the answer should rest on."""
    question: str | BaseMessage | None = None
    """The question the answer replies to (optional)."""


class EntailkitGroundednessCheck(ModelIdSerializable, RunnableSerializable[Any, Any]):
    """Check ``{"answer", "context", "question"}`` with entailkit's GroundednessChecker.

    ``answer`` is a str or a chat message (AIMessage), ``context`` a list of Documents, a list of str or
    a str, ``question`` optional. ``mode="report"`` returns the GroundednessReport; the guard modes return
    the answer (same type as given) with failing sentences marked (``flag``), removed (``strip``), or
    raise UngroundedAnswerError (``raise``). Which verdicts fail is set by ``on``.

    Serialisable (``dumpd`` / ``dumps``, then ``loads``) when built from ``model=`` with plain options;
    built from ``scorer=`` or ``checker=`` it serialises as not_implemented.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    scorer: Any = Field(default=None, exclude=True)
    """The scorer given (never serialised)."""
    model: str | None = None
    """The model id or path the scorer was loaded from (the serialised source), or None."""
    checker: GroundednessChecker | None = Field(default=None, exclude=True)
    """The entailkit GroundednessChecker doing the work (built from the options, or given)."""
    mode: Mode = "report"
    on: tuple[SentenceVerdict, ...] = ("unsupported", "contradicted")
    flag_format: str = "{sentence} [{verdict}]"
    empty_answer: str | None = DEFAULT_EMPTY_ANSWER
    """What ``strip`` returns when it removes every sentence (None: the empty string)."""
    load_options: dict[str, Any] = Field(default_factory=dict)
    checker_options: dict[str, Any] = Field(default_factory=dict, exclude=True)
    """The GroundednessChecker options given (serialised flat, as they are passed)."""

    def __init__(
        self,
        scorer: Any = None,
        *,
        model: str | None = None,
        checker: GroundednessChecker | None = None,
        mode: Mode = "report",
        on: Sequence[SentenceVerdict] = ("unsupported", "contradicted"),
        flag_format: str = "{sentence} [{verdict}]",
        empty_answer: str | None = DEFAULT_EMPTY_ANSWER,
        load_options: Mapping[str, Any] | None = None,
        name: str | None = None,
        **checker_options: Any,
    ) -> None:
        """Build (or take) the checker and check the guard options once.

        Args:
            scorer: An entailkit NLI (or GLiClass) scorer; shared, never copied (not serialisable).
            model: A model id or path, loaded once per process and shared (instead of ``scorer``).
            checker: A configured ``GroundednessChecker``, used as it is (alone: no scorer, model or
                checker options).
            mode: ``"report"`` (return the GroundednessReport), ``"flag"`` (mark failing sentences with
                ``flag_format``), ``"strip"`` (remove them) or ``"raise"`` (raise UngroundedAnswerError when
                any sentence fails, or the answer has no sentence to check: an empty answer is not grounded).
            on: The verdicts that count as failing: ``"unsupported"`` and/or ``"contradicted"``.
            flag_format: How ``flag`` marks a failing sentence; must contain ``{sentence}`` and may contain
                ``{verdict}``.
            empty_answer: What ``strip`` returns instead of an empty answer when every sentence fails (a
                short "could not verify" line by default; None: the empty string). The report, in the
                message's metadata and the ``entailkit_groundedness`` event, still lists every sentence.
            load_options: Extra ``load_scorer`` options used with ``model`` (device, batch_size, ...).
            name: The run name (LangChain's ``Runnable.name``).
            **checker_options: Options of ``GroundednessChecker`` (``threshold``,
                ``contradiction_threshold``, ``aggregate``, ``splitter``, ``calibrator``, ...).

        Raises:
            InvalidInputError: ``checker`` given with other sources, both or neither of ``scorer`` and
                ``model``, a scorer that cannot judge entailment, or a bad ``mode``, ``on``, ``flag_format`` or
                checker option.
            ModelLoadError: ``model`` cannot be loaded.
        """
        if checker is not None:
            if scorer is not None or model is not None or checker_options:
                raise InvalidInputError("pass checker= alone, or scorer=/model= with checker options.")
            if not isinstance(checker, GroundednessChecker):
                raise InvalidInputError(f"checker must be a GroundednessChecker, got {type(checker).__name__}.")
        else:
            resolved = resolve_scorer(scorer, model, None, dict(load_options or {}))
            checker = GroundednessChecker(resolved, **checker_options)
        if mode not in _MODES:
            raise InvalidInputError(f"mode must be one of {_MODES}, got {mode!r}.")
        failing = tuple(on) if not isinstance(on, str) else (on,)
        if not failing or any(v not in ("unsupported", "contradicted") for v in failing):
            raise InvalidInputError(f"on must list 'unsupported' and/or 'contradicted', got {on!r}.")
        if not isinstance(flag_format, str) or "{sentence}" not in flag_format:
            raise InvalidInputError(f"flag_format must contain '{{sentence}}', got {flag_format!r}.")
        if empty_answer is not None and not isinstance(empty_answer, str):
            raise InvalidInputError(f"empty_answer must be a str or None, got {type(empty_answer).__name__}.")
        super().__init__(
            scorer=scorer,
            model=model,
            checker=checker,
            mode=mode,
            on=failing,
            flag_format=flag_format,
            empty_answer=empty_answer,
            load_options=dict(load_options or {}),
            checker_options=dict(checker_options),
            name=name,
        )

    @property
    def lc_attributes(self) -> dict[str, Any]:
        """The checker options, flat (as the constructor takes them)."""
        return dict(self.checker_options)

    @property
    def InputType(self) -> type[GroundednessInput]:
        """The input: ``{"answer", "context", "question"}``."""
        return GroundednessInput

    @property
    def OutputType(self) -> Any:
        """A GroundednessReport (``mode="report"``), else the answer: a str or a chat message."""
        return GroundednessReport if self.mode == "report" else str | BaseMessage

    def get_input_schema(self, config: RunnableConfig | None = None) -> type[BaseModel]:
        """The pydantic model of the input (``GroundednessInput``)."""
        return GroundednessInput

    # -- Runnable ----------------------------------------------------------------------------------

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """Check one input; the ``entailkit_groundedness`` event carries its report.

        Args:
            input: ``{"answer", "context"}`` (or ``"contexts"``) and optionally ``"question"``.
            config: The LangChain run config.
            **kwargs: Ignored.

        Returns:
            The report (``mode="report"``), or the answer, of the type given, flagged or stripped (for a
            chat message, a copy whose ``response_metadata`` also holds the report).

        Raises:
            InvalidInputError: The input is not such a mapping, or its fields have the wrong types.
            UngroundedAnswerError: ``mode="raise"`` and a sentence has a verdict in ``on``.
        """
        return self.batch([input], config)[0]

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """``invoke`` through ``GroundednessChecker.acheck_many``: the model never runs on the event loop.

        Args:
            input: ``{"answer", "context"}`` and optionally ``"question"``.
            config: The LangChain run config.
            **kwargs: Ignored.
        """
        return (await self.abatch([input], config))[0]

    def batch(
        self,
        inputs: list[Any],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[Any]:
        """Check all inputs with one ``check_many`` call (shared batches); each input gets its own outcome.

        Args:
            inputs: One ``{"answer", "context", "question"}`` mapping per check.
            config: One run config for all inputs, or one per input.
            return_exceptions: Return each failing input's error (InvalidInputError for a malformed input,
                UngroundedAnswerError with ``mode="raise"``) in its place instead of raising the first.
            **kwargs: Ignored.

        Returns:
            One output (or, with ``return_exceptions``, error) per input, as ``invoke`` gives it.
        """
        return self._batch_with_config(self._run, inputs, config, return_exceptions=return_exceptions)

    async def abatch(
        self,
        inputs: list[Any],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[Any]:
        """``batch`` through one ``acheck_many`` call: the model never runs on the event loop.

        Args:
            inputs: One ``{"answer", "context", "question"}`` mapping per check.
            config: One run config for all inputs, or one per input.
            return_exceptions: Return errors in place of outputs instead of raising the first.
            **kwargs: Ignored.
        """
        return await self._abatch_with_config(self._arun, inputs, config, return_exceptions=return_exceptions)

    def _run(self, inputs: list[Any], run_manager: list[Any]) -> list[Any]:
        assert self.checker is not None
        parsed = split_errors(inputs, _parse)
        reports = per_item([p[1] if isinstance(p, tuple) else p for p in parsed], self.checker.check_many)
        for manager, report in zip(run_manager, reports, strict=True):
            if isinstance(report, GroundednessReport):
                emit(manager.get_child(), GROUNDEDNESS_EVENT, report.model_dump(mode="json"))
        return [self._finish(p, r) for p, r in zip(parsed, reports, strict=True)]

    async def _arun(self, inputs: list[Any], run_manager: list[Any]) -> list[Any]:
        assert self.checker is not None
        parsed = split_errors(inputs, _parse)
        reports = await aper_item([p[1] if isinstance(p, tuple) else p for p in parsed], self.checker.acheck_many)
        for manager, report in zip(run_manager, reports, strict=True):
            if isinstance(report, GroundednessReport):
                await aemit(manager.get_child(), GROUNDEDNESS_EVENT, report.model_dump(mode="json"))
        return [self._finish(p, r) for p, r in zip(parsed, reports, strict=True)]

    # -- guard modes -------------------------------------------------------------------------------

    def _finish(self, parsed: Any, report: GroundednessReport | Exception) -> Any:
        if isinstance(report, Exception):
            return report
        answer = parsed[0]
        if self.mode == "report":
            return report
        failing = [s for s in report.sentences if s.verdict in self.on]
        if self.mode == "raise":  # an answer with nothing to check is not grounded either
            return UngroundedAnswerError(report, failing) if failing or report.no_sentences else answer
        flag = None if self.mode == "strip" else self.flag_format
        text = rewrite_answer(report.answer, failing, flag, self.empty_answer)  # strip: never a silent ""
        if isinstance(answer, BaseMessage):
            metadata = {**answer.response_metadata, GROUNDEDNESS_EVENT: report.model_dump(mode="json")}
            return answer.model_copy(update={"content": text, "response_metadata": metadata})
        return text


def _parse(item: Any) -> tuple[Any, dict[str, Any]]:
    """(the answer as given, a check_many item) from a ``{"answer", "context", "question"}`` mapping."""
    if not isinstance(item, Mapping):
        raise InvalidInputError(
            "EntailkitGroundednessCheck takes a dict {'answer': ..., 'context': [...], 'question': ...}, "
            f"got {type(item).__name__}; build it with RunnableParallel / .assign()."
        )
    if "answer" not in item:
        raise InvalidInputError(f"the input has no 'answer' key (keys: {sorted(map(str, item))}).")
    key = "context" if "context" in item else "contexts" if "contexts" in item else None
    if key is None:
        raise InvalidInputError(f"the input has no 'context' key (keys: {sorted(map(str, item))}).")
    question = item.get("question")
    if question is not None:
        question = text_of(question, "question")
    answer = item["answer"]
    return answer, {
        "answer": text_of(answer, "answer"),
        "contexts": context_texts(item[key]),
        "question": question,
    }
