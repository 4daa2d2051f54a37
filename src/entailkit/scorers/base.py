"""The Scorer protocol: the only thing tasks know about models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from entailkit.types import (
    LabelledExample,
    LabelScores,
    NativeCall,
    Normalization,
    PairScores,
    ScorerInfo,
    Span,
    Truncation,
)

__all__ = ["DEFAULT_HYPOTHESIS_TEMPLATE", "NORMALIZATIONS", "TRUNCATIONS", "ExamplesArg", "LabelsArg", "Scorer"]

DEFAULT_HYPOTHESIS_TEMPLATE = "This example is {}."
NORMALIZATIONS: tuple[Normalization, ...] = ("softmax", "entailment_vs_contradiction")
TRUNCATIONS: tuple[Truncation, ...] = ("window", "head", "error")
"""The truncation policies of every scorer (see docs/concepts.md, truncation of long inputs)."""

LabelsArg = Sequence[str] | Sequence[Sequence[str]]
"""One label list shared by all texts, or one label list per text."""

ExamplesArg = Sequence[LabelledExample] | Sequence[Sequence[LabelledExample]] | None
"""Few-shot examples shared by all texts, or one list per text (only GLiClass uses them natively)."""


@runtime_checkable
class Scorer(Protocol):
    """A model that scores (premise, hypothesis) pairs and (text, labels) sets, batched, in input order.

    Premise is the evidence side (passage, context, text to classify); hypothesis is the claim side
    (query, answer sentence, label statement). Backends feed them to the model in the order it was
    trained on (relevance cross-encoders see (query, passage)).
    """

    @property
    def info(self) -> ScorerInfo:
        """What the scorer is: model, kind, head, roles, max length, device and dtype."""
        ...

    @property
    def native(self) -> NativeCall:
        """The call the backend implements natively (``"pairs"`` or ``"labels"``); the other is built on it."""
        ...

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
        """Score each (premise, hypothesis) pair; ``score`` is the one number the head means.

        Args:
            premises: The evidence side of each pair (passage, context, text).
            hypotheses: The claim side of each pair (query, answer sentence, label statement), one per
                premise.
            normalization: How NLI logits become probabilities: ``"softmax"`` over all classes, or
                ``"entailment_vs_contradiction"``; heads without NLI classes ignore it.
            truncation: The policy for pairs longer than the model reads, ``"window"``, ``"head"`` or
                ``"error"``; None: the scorer's default.
            show_progress: Show a progress bar.
            first_stage_scores: One retriever score per pair, for relevance models trained on top of a
                retriever (``info.first_stage``); refused by any other model.

        Returns:
            One ``PairScore`` per pair, in input order.

        Raises:
            InvalidInputError: The lists are not lists of str of the same length, an option is not one of
                its values, a pair is too long under ``truncation="error"``, or ``first_stage_scores`` is
                malformed or not accepted by the model.
        """
        ...

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
        """Score candidate labels for each text (zero-shot classification).

        Args:
            texts: The texts to classify.
            labels: One list of distinct labels for all texts, or one list per text.
            hypothesis_template: How a label becomes a hypothesis, with one ``{}`` (GLiClass reads the labels
                as they are).
            multi_label: Score each label on its own instead of normalising over the text's labels.
            examples: Labelled examples, one list for all texts or one per text (only GLiClass uses them).
            show_progress: Show a progress bar.

        Returns:
            One ``TextLabelScores`` per text, labels in the order given.

        Raises:
            InvalidInputError: ``texts`` is not a list of str, a label list is empty or has duplicates,
                per-text labels do not match the texts, or the template has not exactly one ``{}``.
        """
        ...

    def window_spans(self, text: str, hypothesis: str = "") -> list[Span]:
        """Character spans of the windows ``text`` is cut into when paired with ``hypothesis``.

        Args:
            text: The premise (a context passage).
            hypothesis: The claim it will be paired with; its length leaves the room for the windows.

        Returns:
            ``(start, end)`` spans into ``text``, in order; one span covering the text when it fits.
        """
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Token counts without special tokens (for budgets and limits).

        Args:
            texts: The texts to count (a list of str).

        Returns:
            One count per text, in input order.
        """
        ...
