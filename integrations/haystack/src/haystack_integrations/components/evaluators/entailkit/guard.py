"""EntailkitGroundednessGuard: check generated replies against the retrieved Documents inside a pipeline."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Literal

from haystack import Document, component, default_from_dict, default_to_dict
from haystack.dataclasses import ChatMessage

from entailkit.adapters import rewrite_answer
from entailkit.errors import InvalidInputError, UngroundedAnswerError
from entailkit.types import GroundednessAggregate, GroundednessReport, SentenceVerdict
from haystack_integrations.common.entailkit import (
    LazyWarmUp,
    check_choice,
    check_documents,
    document_texts,
    reply_text,
    with_reply_text,
)
from haystack_integrations.components.evaluators.entailkit._checker import CheckerOptions, report_result

__all__ = ["GUARD_META_KEY", "EntailkitGroundednessGuard", "GuardMode"]

GuardMode = Literal["flag", "strip", "raise"]
_MODES = ("flag", "strip", "raise")
_VERDICTS = ("unsupported", "contradicted")
GUARD_META_KEY = "entailkit_groundedness"
"""Key of a guarded ChatMessage's meta that holds its result (as in ``results``)."""

Replies = list[str] | list[ChatMessage]


@component
class EntailkitGroundednessGuard(LazyWarmUp):
    """Check each reply sentence by sentence against the Documents, then flag or strip what fails.

    Sits between a generator and whatever reads its replies (an AnswerBuilder, the user): ``mode="flag"``
    marks failing sentences with ``flag_format``, ``"strip"`` removes them, ``"raise"`` raises entailkit's
    ``UngroundedAnswerError``. Which verdicts fail is set by ``on``. Replies keep their type (str or
    ChatMessage; a ChatMessage copy also carries its result in ``meta["entailkit_groundedness"]``).
    """

    def __init__(
        self,
        model: str | os.PathLike[str],
        *,
        mode: GuardMode = "flag",
        on: list[SentenceVerdict] | None = None,
        flag_format: str = "{sentence} [{verdict}]",
        threshold: float = 0.5,
        contradiction_threshold: float | None = None,
        aggregate: GroundednessAggregate = "min",
        question_mode: str = "claim",
        kind: str | None = None,
        load_options: dict[str, Any] | None = None,
    ) -> None:
        """Check every option now; the model is loaded in ``warm_up`` (or on first run).

        Args:
            model: An NLI (2 or 3 labels) or GLiClass model directory or hub id; loaded once, shared.
            mode: ``"flag"``, ``"strip"`` or ``"raise"`` (see the class).
            on: The verdicts that fail a sentence (None: ``["unsupported", "contradicted"]``).
            flag_format: How ``flag`` marks a failing sentence: with ``{sentence}`` and optionally ``{verdict}``.
            threshold: The support a sentence needs to be ``supported``, in [0, 1].
            contradiction_threshold: The contradiction probability that makes it ``contradicted`` (None:
                ``threshold``).
            aggregate: ``"min"`` or ``"mean"`` of sentence scores, for each report's ``score`` (each
                result's ``aggregate_score``).
            question_mode: How the query shapes what is checked: ``"claim"`` (a short reply as the claim it
                makes for the query), ``"prefix"`` (the query before each sentence) or ``"none"``.
            kind: The kind the model is loaded as (None: read from the model's config).
            load_options: Extra ``entailkit.load_scorer`` options (``device``, ``dtype``, ...).

        Raises:
            InvalidInputError: A blank model id, a bad mode, ``on`` or ``flag_format``, or a bad checker option.
        """
        self.mode: GuardMode = check_choice(mode, "mode", _MODES)  # type: ignore[assignment]
        failing: Any = list(_VERDICTS) if on is None else on
        if isinstance(failing, str) or not failing or any(v not in _VERDICTS for v in failing):
            raise InvalidInputError(f"on must list 'unsupported' and/or 'contradicted', got {on!r}.")
        self.on: list[SentenceVerdict] = list(failing)
        if not isinstance(flag_format, str) or "{sentence}" not in flag_format:
            raise InvalidInputError(f"flag_format must be a str containing '{{sentence}}', got {flag_format!r}.")
        try:
            flag_format.format(sentence="", verdict="")
        except (KeyError, IndexError, ValueError) as exc:
            raise InvalidInputError(
                f"flag_format may use only {{sentence}} and {{verdict}} (literal braces doubled), got {flag_format!r}."
            ) from exc
        self.flag_format = flag_format
        self._options = CheckerOptions(
            type(self).__name__,
            model,
            threshold,
            contradiction_threshold,
            aggregate,
            question_mode,
            kind,
            load_options,
        )
        self._lazy = self._options.lazy
        self.model = self._lazy.model

    def to_dict(self) -> dict[str, Any]:
        """The component's init parameters: the model id and the options, never the loaded model."""
        return default_to_dict(
            self, mode=self.mode, on=list(self.on), flag_format=self.flag_format, **self._options.init_parameters()
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EntailkitGroundednessGuard:
        """The component ``to_dict`` described (its model is loaded again at warm-up, shared)."""
        return default_from_dict(cls, data)

    @component.output_types(replies=Replies, results=list[dict[str, Any]])
    def run(self, replies: Replies, documents: list[Document], query: str | None = None) -> dict[str, Any]:
        """Check every reply against the Documents' contents.

        Args:
            replies: The generator's replies (str or ChatMessage).
            documents: The Documents the replies should rest on (e.g. the ranker's output).
            query: The question, kept in each report (shapes short replies as ``question_mode`` says).

        Returns:
            ``replies`` (copies, failing sentences flagged or stripped) and ``results`` (one per reply, as
            EntailkitGroundednessEvaluator's); both ``[]`` for no replies.

        Raises:
            InvalidInputError: A reply that is neither a str nor a ChatMessage with text, a Document without
                text, or a query that is not a str.
            UngroundedAnswerError: ``mode="raise"`` and a sentence failed.
        """
        items = self._items(replies, documents, query)
        if not items:
            return {"replies": [], "results": []}
        return self._outputs(replies, self._options.lazy.get().check_many(items))

    @component.output_types(replies=Replies, results=list[dict[str, Any]])
    async def run_async(self, replies: Replies, documents: list[Document], query: str | None = None) -> dict[str, Any]:
        """``run`` off the event loop, on entailkit's shared micro-batcher (``GroundednessChecker.acheck_many``)."""
        items = self._items(replies, documents, query)
        if not items:
            return {"replies": [], "results": []}
        checker = await self._options.lazy.aget()
        return self._outputs(replies, await checker.acheck_many(items))

    def _items(self, replies: Any, documents: Any, query: Any) -> list[dict[str, Any]]:
        if isinstance(replies, (str, ChatMessage)) or not isinstance(replies, Sequence):
            raise InvalidInputError(f"replies must be a list of str or ChatMessage, got {type(replies).__name__}.")
        if query is not None and not isinstance(query, str):
            raise InvalidInputError(f"query must be a str or None, got {type(query).__name__}.")
        contexts = document_texts(check_documents(documents))
        answers = [reply_text(reply, f"replies[{i}]") for i, reply in enumerate(replies)]
        return [{"answer": answer, "contexts": contexts, "question": query} for answer in answers]

    def _outputs(self, replies: Sequence[Any], reports: list[GroundednessReport]) -> dict[str, Any]:
        results = [report_result(r) for r in reports]
        failing = [[s for s in r.sentences if s.verdict in self.on] for r in reports]
        if self.mode == "raise":
            for report, bad in zip(reports, failing, strict=True):
                if bad or report.no_sentences:  # an answer with nothing to check is not grounded either
                    raise UngroundedAnswerError(report, bad)
            return {"replies": list(replies), "results": results}
        flag = None if self.mode == "strip" else self.flag_format
        guarded = [
            with_reply_text(reply, rewrite_answer(report.answer, bad, flag), {GUARD_META_KEY: result})
            for reply, report, bad, result in zip(replies, reports, failing, results, strict=True)
        ]
        return {"replies": guarded, "results": results}
