"""Groundedness results: the evidence, the verdict on each answer sentence, the report on the answer."""

from __future__ import annotations

import warnings
from typing import Any, Literal

from pydantic import model_validator

from entailkit.types._base import _Frozen
from entailkit.types.scores import HeadKind, Span

__all__ = [
    "Evidence",
    "GroundednessAggregate",
    "GroundednessReport",
    "SentenceCheck",
    "SentenceVerdict",
    "StreamAction",
    "StreamPolicy",
    "StreamedSentence",
]

SentenceVerdict = Literal["supported", "contradicted", "unsupported"]
"""What the contexts say about one sentence of the answer."""
GroundednessAggregate = Literal["mean", "min"]
"""How sentence scores become the answer's ``score`` (what decides ``grounded``): their mean or their minimum."""
StreamPolicy = Literal["flag", "drop", "stop"]
"""What a streaming check does with a sentence that is not supported: emit it with its verdict (``flag``),
leave it out of the emitted text (``drop``), or end the stream there (``stop``)."""
StreamAction = Literal["emitted", "dropped", "stopped"]
"""What a streaming check did with one sentence."""


class Evidence(_Frozen):
    """The context window that best supports (or contradicts) a sentence."""

    context_index: int
    """Index of the context passage in the ``contexts`` given to ``check``."""
    span: Span
    """Character span of the window inside that context passage."""
    text: str
    """The window's text (``contexts[context_index][span[0]:span[1]]``)."""
    entailment: float
    """Entailment probability of the sentence given this window."""
    contradiction: float | None = None
    """Contradiction probability given this window (3-label models only)."""


class SentenceCheck(_Frozen):
    """The verdict on one sentence (or claim) of an answer."""

    index: int
    text: str
    claim: str | None = None
    """What was scored when it is not ``text``: the claim a short answer makes for its question
    (``question_mode``), e.g. "The eiffel tower is in paris." for "Yes."."""
    span: Span | None
    """Character span in the answer; None when a custom splitter returned text not found in it."""
    verdict: SentenceVerdict
    score: float
    """Support in [0, 1]: the best entailment over all context windows, calibrated if a calibrator is set."""
    entailment: float
    """Best raw entailment probability over all context windows."""
    contradiction: float | None = None
    """Best contradiction probability over all windows (3-label models only)."""
    supporting: Evidence | None = None
    """The window with the highest entailment (None when there was no context to score against)."""
    contradicting: Evidence | None = None
    """The window with the highest contradiction (3-label models only)."""
    num_windows: int = 0
    """How many context windows the sentence was scored against."""

    @property
    def evidence(self) -> Evidence | None:
        """The evidence behind the verdict: the contradicting window if contradicted, else the supporting."""
        return self.contradicting if self.verdict == "contradicted" else self.supporting


class GroundednessReport(_Frozen):
    """How well an answer is supported by its contexts, sentence by sentence.

    ``score`` is the number that decides ``grounded``; ``supported_fraction`` only counts verdicts.
    """

    answer: str
    question: str | None = None
    """The question the answer replies to: the one given, else the last asked inside the answer."""
    question_mode: Literal["claim", "prefix", "none"] | None = None
    """How the question shaped the claims (the checker's ``question_mode``); None without a question."""
    sentences: tuple[SentenceCheck, ...] = ()
    score: float
    """What decides ``grounded``: ``min_score`` or ``mean_score``, as ``aggregate`` says (0.0 for an answer
    without a checkable sentence)."""
    supported_fraction: float
    """Fraction of sentences whose verdict is ``supported`` (0.0 for an answer without a checkable sentence);
    it does not decide ``grounded``."""
    min_score: float
    """The lowest sentence score."""
    mean_score: float
    """The mean sentence score."""
    aggregate: GroundednessAggregate
    """Which sentence-score aggregate ``score`` is: ``"min"`` or ``"mean"``."""
    grounded: bool
    """``score >= threshold``, no sentence contradicted, and at least one sentence checked."""
    threshold: float
    head: HeadKind
    num_contexts: int
    """How many context passages were given (blank ones included)."""
    no_sentences: bool = False
    """True when the answer has no checkable sentence (empty, blank, or without a letter or digit, e.g.
    emoji only): nothing could be verified, so it is not grounded and every score is 0.0."""

    @model_validator(mode="before")
    @classmethod
    def _legacy_payload(cls, data: Any) -> Any:
        """Read a report dumped before ``supported_fraction`` existed (``score`` was the fraction then, and
        ``aggregate_score`` the deciding number), e.g. from an older server or a saved JSON-lines file."""
        if not isinstance(data, dict) or "aggregate_score" not in data:
            return data
        data = dict(data)
        deciding = data.pop("aggregate_score")
        if "supported_fraction" not in data:
            data["supported_fraction"] = data.get("score")
            data["score"] = deciding
        return data

    @property
    def aggregate_score(self) -> float:
        """Deprecated alias of ``score`` (the number that decides ``grounded``); removed in the next release.

        Warns:
            DeprecationWarning: Always; read ``score`` instead.
        """
        warnings.warn(
            "GroundednessReport.aggregate_score is deprecated: use report.score, which is now the number "
            "that decides grounded (the fraction of supported sentences is report.supported_fraction).",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.score

    def _with(self, verdict: SentenceVerdict) -> list[SentenceCheck]:
        return [s for s in self.sentences if s.verdict == verdict]

    @property
    def supported(self) -> list[SentenceCheck]:
        """The sentences the contexts support."""
        return self._with("supported")

    @property
    def contradicted(self) -> list[SentenceCheck]:
        """The sentences a context contradicts."""
        return self._with("contradicted")

    @property
    def unsupported(self) -> list[SentenceCheck]:
        """The sentences neither supported nor contradicted."""
        return self._with("unsupported")


class StreamedSentence(_Frozen):
    """One sentence of a streamed answer, checked as soon as it was complete, and the text to pass on.

    ``check`` is the same ``SentenceCheck`` that ``GroundednessChecker.check`` reports for the sentence
    of the whole answer (its ``index`` and ``span`` count in the whole answer); ``text`` is what to emit
    for it under the stream's policy: the sentence with the text between it and the previous sentence
    (whitespace, list markers; for the last sentence, whatever follows it too), so that under ``flag``
    the emitted texts concatenate to the answer; ``""`` when ``action`` is ``dropped`` or ``stopped``.
    """

    check: SentenceCheck
    text: str
    action: StreamAction

    @property
    def verdict(self) -> SentenceVerdict:
        """The sentence's verdict (``check.verdict``)."""
        return self.check.verdict

    @property
    def start(self) -> int:
        """Where the sentence starts in the whole answer."""
        return self.check.span[0] if self.check.span is not None else -1

    @property
    def end(self) -> int:
        """Where the sentence ends in the whole answer."""
        return self.check.span[1] if self.check.span is not None else -1
