"""entailkit's Haystack evaluators: is every sentence of an answer supported by its contexts? (no LLM)."""

from haystack_integrations.components.evaluators.entailkit.groundedness import EntailkitGroundednessEvaluator
from haystack_integrations.components.evaluators.entailkit.guard import EntailkitGroundednessGuard

__all__ = ["EntailkitGroundednessEvaluator", "EntailkitGroundednessGuard"]
