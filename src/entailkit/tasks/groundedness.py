"""GroundednessChecker: is every sentence of an answer supported by the retrieved contexts?

Each answer sentence (hypothesis) is scored against every window of every context passage (premise);
its support is the max entailment over windows (SummaC-ZS style), its contradiction the max
contradiction, and the winning windows are kept as evidence. All pairs go to the scorer in one call.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from entailkit._validation import check_bool, check_choice, check_probability, check_text, check_texts
from entailkit.batching.aio import async_method
from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer
from entailkit.tasks._calibration_protocol import Calibrator, apply_calibrator, check_calibrator
from entailkit.tasks.groundedness_inputs import absolute_span, answer_sentences, unpack_item
from entailkit.tasks.question_claims import (
    QA_TEMPLATE,
    QUESTION_MODES,
    QuestionMode,
    answer_claim,
    check_answer_template,
    is_question,
)
from entailkit.tasks.sentences import SentenceSplitter, sentence_splitter
from entailkit.tasks.streaming import AsyncGroundednessStream, GroundednessStream
from entailkit.types import (
    Evidence,
    GroundednessAggregate,
    GroundednessReport,
    PairScore,
    SentenceCheck,
    SentenceVerdict,
    Span,
)

__all__ = ["GroundednessChecker"]

logger = logging.getLogger(__name__)


@dataclass
class _Job:
    """One answer to check: its sentences, the windows of its contexts and where its pairs start."""

    answer: str
    contexts: list[str]
    question: str | None
    sentences: list[tuple[str, Span | None]]
    hypotheses: list[str]
    windows: list[tuple[int, Span]]
    """(context index, character span) of every window of every non-blank context."""


class GroundednessChecker:
    """Check an answer sentence by sentence against its contexts with an NLI (or GLiClass) scorer.

    A sentence is ``contradicted`` when its best contradiction is at least ``contradiction_threshold``
    and above its best entailment (3-label models only), else ``supported`` when its (calibrated)
    entailment is at least ``threshold``, else ``unsupported``. The report's ``score`` is the
    ``aggregate`` ("min" or "mean") of sentence scores; the answer is ``grounded`` when that ``score``
    reaches ``threshold`` and nothing is contradicted (``supported_fraction`` counts verdicts only).
    An answer with no checkable sentence (empty, blank, emoji only) verifies nothing: it is not grounded,
    its scores are 0.0 and its report has ``no_sentences=True``.
    """

    def __init__(
        self,
        scorer: Scorer,
        *,
        threshold: float = 0.5,
        contradiction_threshold: float | None = None,
        aggregate: GroundednessAggregate = "min",
        splitter: SentenceSplitter | None = None,
        calibrator: Calibrator | None = None,
        question_mode: QuestionMode = "claim",
        answer_template: str = QA_TEMPLATE,
        prefix_question: bool = False,
        language: str | None = None,
        show_progress: bool = False,
    ) -> None:
        """Check the scorer can judge entailment and every option, once.

        Args:
            scorer: A scorer that can judge entailment: an NLI cross-encoder with 2 or 3 labels, or a
                GLiClass model (only 3-label models also report contradiction).
            threshold: The (calibrated) entailment a sentence needs to be ``supported``, and the report's
                ``score`` (the ``aggregate``) the answer needs to be ``grounded``; a number in [0, 1].
            contradiction_threshold: The contradiction probability at which a sentence is ``contradicted``
                (when it also beats the sentence's best entailment); None: the same as ``threshold``.
            aggregate: How sentence scores make the report's ``score`` (what decides ``grounded``):
                ``"min"`` (every sentence must be supported) or ``"mean"``.
            splitter: A callable ``answer -> [(sentence, (start, end)), ...]`` (plain str items are located
                in the answer); None: the built-in ``split_sentences``.
            calibrator: Maps raw entailment to calibrated probabilities; sentence scores, verdicts and the
                aggregate then use the calibrated value.
            question_mode: How a question (given, or asked inside the answer) shapes what is scored:
                ``"claim"`` (a short answer is scored as the claim it makes: "Yes." to "is X a Y" as
                "X is a Y.", "Jesse Eisenberg." with its question; longer sentences as they are),
                ``"prefix"`` (``"<question> <sentence>"`` for every sentence) or ``"none"``. Chosen on the
                groundedness dev benchmark (docs/groundedness.md, "Questions and short answers").
            answer_template: How ``"claim"`` scores a fragment that is not a yes/no reply, with
                ``{question}`` and ``{answer}`` (default ``QA_TEMPLATE``: the question, then the answer).
            prefix_question: Deprecated: ``question_mode="prefix"``, which lets hallucinated answers through.
            language: ISO 639-1 code of the answers (``"de"``, ``"pt-BR"``) for the built-in splitter's
                abbreviations and ordinals; None: detected per answer from its script (CJK, Cyrillic, ...;
                Latin text gets the English rules). Not with ``splitter`` (give your splitter the language).
            show_progress: Show a progress bar while scoring.

        Raises:
            InvalidInputError: ``scorer`` is not a Scorer or cannot judge entailment (a relevance or embedding
                model), or an option is out of range or of the wrong type.
        """
        if not isinstance(scorer, Scorer):
            raise InvalidInputError(
                f"scorer must implement the entailkit Scorer protocol, got {type(scorer).__name__}; "
                "build one with entailkit.load_scorer(model)."
            )
        head = scorer.info.head
        if not scorer.info.can("entailment"):
            what = {
                "relevance": "a 1-logit relevance model (a reranker): it says how relevant a passage is, "
                "not whether it supports a claim",
                "cosine": "an embedding model: similarity is not support",
            }.get(head, f"a {head!r} model")
            raise InvalidInputError(
                f"GroundednessChecker needs an NLI model with 2 or 3 labels (or GLiClass); "
                f"{scorer.info.model!r} is {what}. Load an NLI / zero-shot cross-encoder instead, e.g. "
                "'MoritzLaurer/deberta-v3-base-zeroshot-v2.0' or "
                "'MoritzLaurer/multilingual-MiniLMv2-L6-mnli-xnli'."
            )
        self.scorer = scorer
        value = check_probability(threshold, "threshold")
        if value is None:
            raise InvalidInputError("threshold must be a number in [0, 1], got None.")
        self.threshold: float = value
        contra = check_probability(contradiction_threshold, "contradiction_threshold")
        self.contradiction_threshold: float | None = contra
        """As given: None means the same as ``threshold`` (so a spec read back keeps that link)."""
        if aggregate not in ("mean", "min"):
            raise InvalidInputError(f"aggregate must be 'mean' or 'min', got {aggregate!r}.")
        self.aggregate: GroundednessAggregate = aggregate
        self.language: str | None = language
        """As given (``"pt-BR"`` stays ``"pt-BR"``); the splitter uses its ISO 639-1 code."""
        self.splitter: SentenceSplitter = sentence_splitter(splitter, language)
        self.calibrator = check_calibrator(calibrator)
        self.question_mode: QuestionMode = check_choice(question_mode, "question_mode", QUESTION_MODES)
        self.answer_template: str = check_answer_template(answer_template)
        self.prefix_question = check_bool(prefix_question, "prefix_question")
        if self.prefix_question:
            warnings.warn(
                "prefix_question=True is deprecated: use question_mode='prefix' (or the default 'claim', "
                "which catches far more wrong short answers).",
                DeprecationWarning,
                stacklevel=2,
            )
        self.show_progress = check_bool(show_progress, "show_progress")

    @property
    def _question_mode(self) -> QuestionMode:
        return "prefix" if self.prefix_question else self.question_mode

    @property
    def _contradiction_cut(self) -> float:
        return self.threshold if self.contradiction_threshold is None else self.contradiction_threshold

    def check(self, answer: str, contexts: Sequence[str], question: str | None = None) -> GroundednessReport:
        """Verdicts for every sentence of ``answer`` against ``contexts`` (a list of passages).

        Args:
            answer: The text to check; it is split into sentences by the checker's ``splitter``.
            contexts: The passages the answer should rest on (a list of str); blank ones are skipped, long
                ones are scored in windows.
            question: The question the answer replies to: it shapes the claims as ``question_mode`` says
                and is kept in the report. Without it, a question asked inside the answer (a sentence ending
                with "?") is the question of the sentences after it; question sentences are never claims.

        Returns:
            One ``SentenceCheck`` per sentence (with its best supporting and contradicting evidence) and the
            answer's verdict; an answer with no checkable sentence is not grounded (``no_sentences=True``).

        Raises:
            InvalidInputError: ``answer`` or ``question`` is not a str, ``contexts`` is not a list of str, or
                the splitter failed or returned something malformed.
        """
        return self._run([self._windows(self._plan(answer, contexts, question, None))])[0]

    def check_many(self, items: Sequence[Any]) -> list[GroundednessReport]:
        """Check many answers, every (window, sentence) pair of all of them in shared batches.

        Args:
            items: One entry per answer: a mapping with ``answer``, ``contexts`` and optionally ``question``,
                or a tuple ``(answer, contexts)`` / ``(answer, contexts, question)``.

        Returns:
            One report per item, in input order (see ``check``).

        Raises:
            InvalidInputError: ``items`` is not a list, an item has neither shape, or as in ``check``
                (the message names ``items[i]``); every item is checked before anything is scored.
        """
        if isinstance(items, (str, Mapping)) or not isinstance(items, Sequence):
            raise InvalidInputError(
                "items must be a list of {'answer', 'contexts', 'question'} mappings or "
                f"(answer, contexts) tuples, got {type(items).__name__}."
            )
        jobs = [self._plan(*unpack_item(item, i), i) for i, item in enumerate(items)]  # all checked first
        return self._run([self._windows(job) for job in jobs])

    acheck, acheck_many = async_method(check, items="contexts"), async_method(check_many, items="items")

    def stream(self, chunks: Iterable[str], contexts: Sequence[str], **options: Any) -> GroundednessStream:
        """Check sync answer ``chunks`` sentence by sentence as each completes (``policy=``, ``question=``)."""
        return GroundednessStream(self, chunks, contexts, **options)

    def astream(self, chunks: AsyncIterable[str], contexts: Sequence[str], **options: Any) -> AsyncGroundednessStream:
        """``stream`` over async ``chunks``: checks run off the event loop (``acheck``) while chunks are read."""
        return AsyncGroundednessStream(self, chunks, contexts, **options)

    # -- planning ----------------------------------------------------------------------------------

    def _plan(self, answer: Any, contexts: Any, question: Any, index: int | None) -> _Job:
        where = "" if index is None else f"items[{index}]: "
        if question is not None and not isinstance(question, str):
            raise InvalidInputError(f"{where}question must be a str or None, got {type(question).__name__}.")
        try:
            check_text(answer, "answer")
            if question is not None:
                check_text(question, "question")
            context_list = check_texts(contexts, "contexts")
        except InvalidInputError as exc:
            raise InvalidInputError(f"{where}{exc}") from None
        sentences, hypotheses, asked = [], [], question
        for text, span in answer_sentences(self.splitter, answer, where):
            if is_question(text):
                asked = asked if question is not None else text
                continue
            sentences.append((text, span))
            hypotheses.append(answer_claim(text, asked, self._question_mode, template=self.answer_template))
        return _Job(answer, context_list, asked, sentences, hypotheses, [])

    def _windows(self, job: _Job) -> _Job:
        """``job`` with the windows of its contexts that fit the model next to its longest sentence."""
        if job.hypotheses:
            counts = self.scorer.count_tokens(job.hypotheses)
            longest = job.hypotheses[max(range(len(counts)), key=counts.__getitem__)]
            for c, context in enumerate(job.contexts):
                if context.strip():
                    job.windows.extend((c, span) for span in self.scorer.window_spans(context, longest))
        return job

    # -- scoring -----------------------------------------------------------------------------------

    def _run(self, jobs: list[_Job]) -> list[GroundednessReport]:
        # Window-major order: the hypotheses of one premise are adjacent (GLiClass scores them in one pass).
        pair_index: dict[tuple[str, str], int] = {}
        for job in jobs:
            for c, (start, end) in job.windows:
                premise = job.contexts[c][start:end]
                for hypothesis in job.hypotheses:
                    pair_index.setdefault((premise, hypothesis), len(pair_index))
        scores: list[PairScore] = []
        if pair_index:
            premises = [p for p, _ in pair_index]
            hypotheses = [h for _, h in pair_index]
            scores = list(self.scorer.score_pairs(premises, hypotheses, show_progress=self.show_progress))
        return [self._report(job, pair_index, scores) for job in jobs]

    def _report(
        self, job: _Job, pair_index: Mapping[tuple[str, str], int], scores: Sequence[PairScore]
    ) -> GroundednessReport:
        contradicts = self.scorer.info.can("contradiction")
        raw_entailment: list[float] = []
        found: list[tuple[Evidence | None, Evidence | None, float | None]] = []
        for hypothesis in job.hypotheses:
            support: Evidence | None = None
            contra: Evidence | None = None
            best_c: float | None = None
            for c, (start, end) in job.windows:
                context = job.contexts[c]
                item = scores[pair_index[(context[start:end], hypothesis)]]
                span = absolute_span(start, end, item.window)
                entail = min(1.0, max(0.0, item.entailment if item.entailment is not None else item.score))
                evidence = Evidence(
                    context_index=c,
                    span=span,
                    text=context[span[0] : span[1]],
                    entailment=entail,
                    contradiction=item.contradiction if contradicts else None,
                )
                if support is None or entail > support.entailment:
                    support = evidence
                if contradicts and item.contradiction is not None and (best_c is None or item.contradiction > best_c):
                    best_c, contra = item.contradiction, evidence
            raw_entailment.append(support.entailment if support is not None else 0.0)
            found.append((support, contra, best_c))
        has_evidence = [support is not None for support, _, _ in found]
        calibrated = apply_calibrator(
            self.calibrator, [e for e, ok in zip(raw_entailment, has_evidence, strict=True) if ok]
        )
        calibrated_iter = iter(calibrated)
        checks: list[SentenceCheck] = []
        rows = zip(job.sentences, job.hypotheses, found, strict=True)
        for i, ((text, sentence_span), hypothesis, (support, contra, best_c)) in enumerate(rows):
            score = next(calibrated_iter) if support is not None else 0.0
            entail = raw_entailment[i]
            verdict: SentenceVerdict
            if best_c is not None and best_c >= self._contradiction_cut and best_c > entail:
                verdict = "contradicted"
            elif score >= self.threshold and support is not None:
                verdict = "supported"
            else:
                verdict = "unsupported"
            checks.append(
                SentenceCheck(
                    index=i,
                    text=text,
                    claim=hypothesis if hypothesis != text else None,
                    span=sentence_span,
                    verdict=verdict,
                    score=score,
                    entailment=entail,
                    contradiction=best_c if contradicts else None,
                    supporting=support,
                    contradicting=contra,
                    num_windows=len(job.windows),
                )
            )
        return self._summary(job, checks)

    def _summary(self, job: _Job, checks: list[SentenceCheck]) -> GroundednessReport:
        if checks:
            sentence_scores = [s.score for s in checks]
            fraction = sum(s.verdict == "supported" for s in checks) / len(checks)
            low, mean = min(sentence_scores), sum(sentence_scores) / len(sentence_scores)
        else:  # nothing checkable (empty, blank, emoji only): nothing is verified, so nothing is grounded
            fraction, low, mean = 0.0, 0.0, 0.0
        value = low if self.aggregate == "min" else mean
        contradicted = any(s.verdict == "contradicted" for s in checks)
        return GroundednessReport(
            answer=job.answer,
            question=job.question,
            question_mode=self._question_mode if job.question and job.question.strip() else None,
            sentences=tuple(checks),
            score=value,
            supported_fraction=fraction,
            min_score=low,
            mean_score=mean,
            aggregate=self.aggregate,
            grounded=bool(checks) and value >= self.threshold and not contradicted,
            threshold=self.threshold,
            head=self.scorer.info.head,
            num_contexts=len(job.contexts),
            no_sentences=not checks,
        )
