"""entailkit's Haystack router: send a query to the output named by its route, zero-shot (no LLM)."""

from haystack_integrations.components.routers.entailkit.router import EntailkitRouter

__all__ = ["EntailkitRouter"]
