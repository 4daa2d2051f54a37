"""LlamaIndex faithfulness and relevancy evaluators on entailkit's groundedness checker and reranker: no LLM judge."""

from llama_index.evaluation.entailkit.base import EntailkitFaithfulnessEvaluator, EntailkitRelevancyEvaluator

__all__ = ["EntailkitFaithfulnessEvaluator", "EntailkitRelevancyEvaluator"]
