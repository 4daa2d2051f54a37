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
    def info(self) -> ScorerInfo: ...

    @property
    def native(self) -> NativeCall: ...

    def score_pairs(
        self,
        premises: Sequence[str],
        hypotheses: Sequence[str],
        *,
        normalization: Normalization = "softmax",
        truncation: Truncation | None = None,
        show_progress: bool = False,
        first_stage_scores: Sequence[float] | None = None,
    ) -> PairScores: ...

    def score_labels(
        self,
        texts: Sequence[str],
        labels: LabelsArg,
        *,
        hypothesis_template: str = DEFAULT_HYPOTHESIS_TEMPLATE,
        multi_label: bool = False,
        examples: ExamplesArg = None,
        show_progress: bool = False,
    ) -> LabelScores: ...

    def window_spans(self, text: str, hypothesis: str = "") -> list[Span]:
        """Character spans of the windows ``text`` is cut into when paired with ``hypothesis``."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Token counts without special tokens (for budgets and limits)."""
        ...
