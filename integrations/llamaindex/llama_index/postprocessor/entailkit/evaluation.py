"""The old module path of ``llama_index.evaluation.entailkit.base`` (its names, re-exported)."""

from llama_index.evaluation.entailkit.base import (
    EntailkitFaithfulnessEvaluator,
    EntailkitRelevancyEvaluator,
    faithfulness_feedback,
)

__all__ = ["EntailkitFaithfulnessEvaluator", "EntailkitRelevancyEvaluator", "faithfulness_feedback"]
