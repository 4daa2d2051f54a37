"""The Scorer that request threads call: every scoring call becomes a job of the MicroBatcher.

Tokenizer calls (``count_tokens``, ``window_spans``) run in the request's own thread, after a check that
the request is still alive: every tokenizer call of entailkit's scorers holds that tokenizer's lock, and
the model itself is only used by the batcher's worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from entailkit.batching.batcher import MicroBatcher
from entailkit.batching.jobs import check_alive, current_request
from entailkit.batching.work import estimated_windows, label_pairs
from entailkit.scorers.base import DEFAULT_HYPOTHESIS_TEMPLATE, ExamplesArg, LabelsArg
from entailkit.scorers.heads import first_stage_values, fuse_first_stage
from entailkit.types import LabelScores, NativeCall, Normalization, PairScores, ScorerInfo, Span, Truncation

__all__ = ["BatchingScorer"]


class BatchingScorer:
    """A Scorer whose calls go through a MicroBatcher: same results, merged with other requests' calls.

    ``model_name`` replaces ``info.model`` (the server reports a name, never a local path).
    """

    def __init__(self, batcher: MicroBatcher, model_name: str | None = None) -> None:
        """Wrap the batcher's scorer: its calls are queued on ``batcher``, its tokenizer is called directly.

        Args:
            batcher: The MicroBatcher whose worker owns the real scorer (``batcher.scorer``).
            model_name: The name ``info.model`` reports; None: the real scorer's ``info.model``.
        """
        self.batcher = batcher
        self.inner = batcher.scorer
        info = self.inner.info
        self._info = info if model_name is None else info.model_copy(update={"model": model_name})
        self._max_length = int(info.max_length)

    @property
    def info(self) -> ScorerInfo:
        return self._info

    @property
    def native(self) -> NativeCall:
        return self.inner.native

    def score_pairs(
        self,
        premises: Sequence[str],
        hypotheses: Sequence[str],
        *,
        normalization: Normalization = "softmax",
        truncation: Truncation | None = None,
        show_progress: bool = False,
        first_stage_scores: Sequence[float] | None = None,
    ) -> PairScores:
        """Score the pairs as one job of the batcher, possibly merged with other requests' pairs.

        Empty or malformed input goes straight to the real scorer, which answers or raises its own error.

        Args:
            premises: The evidence side of each pair.
            hypotheses: The claim side of each pair, one per premise.
            normalization: As in ``Scorer.score_pairs``; only jobs with the same options share a model call.
            truncation: As in ``Scorer.score_pairs``; None: the scorer's default.
            show_progress: Ignored: the worker's calls show no progress bar.
            first_stage_scores: One retriever score per pair, fused after scoring (``info.first_stage``).

        Raises:
            InvalidInputError: As the real scorer raises it.
            RequestTimeout: The request's deadline passed before the scores came.
            RequestCancelled: The request was cancelled (client gone).
            BatcherClosed: The server is shutting down.
        """
        p, h = list(premises), list(hypotheses)
        if not p or len(p) != len(h) or isinstance(premises, str) or isinstance(hypotheses, str):
            # Empty or malformed: the real scorer answers (or raises its own typed error) without the model.
            options: dict[str, Any] = {} if first_stage_scores is None else {"first_stage_scores": first_stage_scores}
            return self.inner.score_pairs(
                premises, hypotheses, normalization=normalization, truncation=truncation, **options
            )
        first_stage = first_stage_values(first_stage_scores, len(p), self._info)
        weights = [self._windows(a, len(b) if isinstance(b, str) else 0) for a, b in zip(p, h, strict=True)]
        result: PairScores = self.batcher.submit(
            "pairs", ("pairs", normalization, truncation), (p, h), weights, [1] * len(p)
        )
        return fuse_first_stage(result, first_stage, self._info.first_stage)

    def score_labels(
        self,
        texts: Sequence[str],
        labels: LabelsArg,
        *,
        hypothesis_template: str = DEFAULT_HYPOTHESIS_TEMPLATE,
        multi_label: bool = False,
        examples: ExamplesArg = None,
        show_progress: bool = False,
    ) -> LabelScores:
        """Score the labels of each text as one job of the batcher, possibly merged with other requests'.

        A call with few-shot ``examples`` is neither merged nor split. Empty or malformed input goes
        straight to the real scorer, which answers or raises its own error.

        Args:
            texts: The texts to classify.
            labels: One list of labels for all texts, or one list per text.
            hypothesis_template: How a label becomes a hypothesis, with one ``{}``.
            multi_label: Score each label on its own instead of normalising over the text's labels.
            examples: Labelled examples for few-shot models (GLiClass).
            show_progress: Ignored: the worker's calls show no progress bar.

        Raises:
            InvalidInputError: As the real scorer raises it.
            RequestTimeout: The request's deadline passed before the scores came.
            RequestCancelled: The request was cancelled (client gone).
            BatcherClosed: The server is shutting down.
        """
        text_list = list(texts) if not isinstance(texts, str) else []
        per_text = _per_text_labels(labels, len(text_list))
        if not text_list or per_text is None or isinstance(texts, str):
            return self.inner.score_labels(
                texts, labels, hypothesis_template=hypothesis_template, multi_label=multi_label, examples=examples
            )
        # Jobs with few-shot examples are neither merged (their key is unique) nor split.
        key: tuple[Any, ...] = ("labels", hypothesis_template, multi_label, None)
        if examples:
            key = ("labels", hypothesis_template, multi_label, examples, object())
        sizes = [len(ls) for ls in per_text]
        template_chars = len(hypothesis_template) if isinstance(hypothesis_template, str) else 0
        weights = [self._label_weight(t, ls, template_chars) for t, ls in zip(text_list, per_text, strict=True)]
        result: LabelScores = self.batcher.submit(
            "labels", key, (text_list, per_text), weights, sizes, splittable=not examples
        )
        return result

    def window_spans(self, text: str, hypothesis: str = "") -> list[Span]:
        """The real scorer's windows of ``text``, computed in the request's thread.

        Args:
            text: The premise.
            hypothesis: The claim it will be paired with.

        Raises:
            RequestTimeout: The request already timed out.
            RequestCancelled: The request was already cancelled.
        """
        check_alive(*current_request())
        return self.inner.window_spans(text, hypothesis)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """The real scorer's token counts, computed in the request's thread.

        Args:
            texts: The texts to count.

        Raises:
            RequestTimeout: The request already timed out.
            RequestCancelled: The request was already cancelled.
        """
        check_alive(*current_request())
        return self.inner.count_tokens(texts)

    def _label_weight(self, text: Any, labels: list[str], template_chars: int) -> int:
        """Estimated pairs of one text and its labels (one pass per window for a single-pass model)."""
        text_chars = len(text) if isinstance(text, str) else 0
        single_pass = self.inner.native == "labels"
        pairs = label_pairs(
            text_chars,
            [len(str(x)) for x in labels],
            self._max_length,
            single_pass=single_pass,
            template_chars=template_chars,
        )
        return max(1, pairs)

    def _windows(self, premise: Any, hypothesis_chars: int) -> int:
        """Estimated windows of ``premise`` next to a hypothesis of ``hypothesis_chars`` characters."""
        if not isinstance(premise, str):
            return 1
        return estimated_windows(len(premise), self._max_length, hypothesis_chars)

    def __repr__(self) -> str:
        return f"BatchingScorer({self.inner!r})"


def _per_text_labels(labels: Any, n: int) -> list[list[str]] | None:
    """One label list per text, or None when ``labels`` is malformed (the real scorer then says why)."""
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        return None
    if all(isinstance(x, str) for x in labels):
        return [list(labels) for _ in range(n)]
    if len(labels) == n and all(isinstance(x, Sequence) and not isinstance(x, str) for x in labels):
        return [list(x) for x in labels]
    return None
