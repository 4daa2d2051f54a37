"""entailkit's Haystack ranker: rerank Documents for a query with a small local NLI or relevance model."""

from haystack_integrations.components.rankers.entailkit.ranker import EntailkitRanker

__all__ = ["EntailkitRanker"]
