"""EntailkitGroundednessCheck: a Runnable that checks an answer against its context, or guards it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig

from entailkit.errors import InvalidInputError, UngroundedAnswerError
from entailkit.tasks.groundedness import GroundednessChecker
from entailkit.types import GroundednessReport, SentenceCheck, SentenceVerdict
from langchain_entailkit._documents import context_texts, text_of
from langchain_entailkit._events import aemit, emit
from langchain_entailkit._scorers import resolve_scorer

__all__ = ["GROUNDEDNESS_EVENT", "EntailkitGroundednessCheck", "Mode"]

GROUNDEDNESS_EVENT = "entailkit_groundedness"
"""Name of the custom callback event carrying the GroundednessReport (as JSON) of every check."""

Mode = Literal["report", "flag", "strip", "raise"]
_MODES = ("report", "flag", "strip", "raise")


class EntailkitGroundednessCheck(Runnable[Any, Any]):
    """Check ``{"answer", "context", "question"}`` with entailkit's GroundednessChecker.

    ``answer`` is a str or a chat message (AIMessage), ``context`` a list of Documents, a list of str or
    a str, ``question`` optional. ``mode="report"`` returns the GroundednessReport; the guard modes return
    the answer (same type as given) with failing sentences marked (``flag``), removed (``strip``), or
    raise UngroundedAnswerError (``raise``). Which verdicts fail is set by ``on``.
    """

    def __init__(
        self,
        scorer: Any = None,
        *,
        model: str | None = None,
        checker: GroundednessChecker | None = None,
        mode: Mode = "report",
        on: Sequence[SentenceVerdict] = ("unsupported", "contradicted"),
        flag_format: str = "{sentence} [{verdict}]",
        load_options: Mapping[str, Any] | None = None,
        **checker_options: Any,
    ) -> None:
        """Build (or take) the checker and check the guard options once.

        Args:
            scorer: An entailkit NLI (or GLiClass) scorer; shared, never copied.
            model: A model id or path, loaded once per process and shared (instead of ``scorer``).
            checker: A configured ``GroundednessChecker``, used as it is (alone: no scorer, model or
                checker options).
            mode: ``"report"`` (return the GroundednessReport), ``"flag"`` (mark failing sentences with
                ``flag_format``), ``"strip"`` (remove them) or ``"raise"`` (raise UngroundedAnswerError when
                any sentence fails).
            on: The verdicts that count as failing: ``"unsupported"`` and/or ``"contradicted"``.
            flag_format: How ``flag`` marks a failing sentence; must contain ``{sentence}`` and may contain
                ``{verdict}``.
            load_options: Extra ``load_scorer`` options used with ``model`` (device, batch_size, ...).
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
            self.checker = checker
        else:
            resolved = resolve_scorer(scorer, model, None, dict(load_options or {}))
            self.checker = GroundednessChecker(resolved, **checker_options)
        if mode not in _MODES:
            raise InvalidInputError(f"mode must be one of {_MODES}, got {mode!r}.")
        failing = tuple(on)
        if not failing or any(v not in ("unsupported", "contradicted") for v in failing):
            raise InvalidInputError(f"on must list 'unsupported' and/or 'contradicted', got {on!r}.")
        if "{sentence}" not in flag_format:
            raise InvalidInputError(f"flag_format must contain '{{sentence}}', got {flag_format!r}.")
        self.mode: Mode = mode
        self.on: tuple[SentenceVerdict, ...] = failing
        self.flag_format = flag_format

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
        """``invoke`` with the model run in a worker thread, off the event loop.

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
        """Check all inputs with one ``check_many`` call (shared batches).

        Args:
            inputs: One ``{"answer", "context", "question"}`` mapping per check.
            config: One run config for all inputs, or one per input.
            return_exceptions: Return an UngroundedAnswerError (``mode="raise"``) in the failing input's
                place instead of raising it.
            **kwargs: Ignored.

        Returns:
            One output per input, as ``invoke`` gives it.
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
        """``batch`` with the model run in a worker thread, off the event loop.

        Args:
            inputs: One ``{"answer", "context", "question"}`` mapping per check.
            config: One run config for all inputs, or one per input.
            return_exceptions: Return errors in place of outputs instead of raising them.
            **kwargs: Ignored.
        """
        return await self._abatch_with_config(self._arun, inputs, config, return_exceptions=return_exceptions)

    def _run(self, inputs: list[Any], run_manager: list[Any]) -> list[Any]:
        parsed = [_parse(item) for item in inputs]
        reports = self.checker.check_many([p[1] for p in parsed])
        for manager, report in zip(run_manager, reports, strict=True):
            emit(manager.get_child(), GROUNDEDNESS_EVENT, report.model_dump(mode="json"))
        return [self._finish(p[0], r) for p, r in zip(parsed, reports, strict=True)]

    async def _arun(self, inputs: list[Any], run_manager: list[Any]) -> list[Any]:
        parsed = [_parse(item) for item in inputs]
        reports = await asyncio.to_thread(self.checker.check_many, [p[1] for p in parsed])
        for manager, report in zip(run_manager, reports, strict=True):
            await aemit(manager.get_child(), GROUNDEDNESS_EVENT, report.model_dump(mode="json"))
        return [self._finish(p[0], r) for p, r in zip(parsed, reports, strict=True)]

    # -- guard modes -------------------------------------------------------------------------------

    def _finish(self, answer: Any, report: GroundednessReport) -> Any:
        if self.mode == "report":
            return report
        failing = [s for s in report.sentences if s.verdict in self.on]
        if self.mode == "raise":
            return UngroundedAnswerError(report, failing) if failing else answer
        text = _rewrite(report.answer, failing, None if self.mode == "strip" else self.flag_format)
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


def _rewrite(answer: str, failing: Sequence[SentenceCheck], flag_format: str | None) -> str:
    """The answer with failing sentences marked by ``flag_format``, or removed when it is None."""
    edits: list[tuple[int, int, str]] = []
    cursor = 0
    for s in failing:
        start, end = s.span if s.span is not None else (answer.find(s.text, cursor), -1)
        if start < 0:
            continue
        end = end if end >= 0 else start + len(s.text)
        cursor = end
        if flag_format is None:
            while end < len(answer) and answer[end].isspace():
                end += 1
            edits.append((start, end, ""))
        else:
            edits.append((start, end, flag_format.format(sentence=answer[start:end], verdict=s.verdict)))
    text = answer
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text.strip() if flag_format is None else text
