"""LlamaIndex selector on entailkit's zero-shot router: picks a query engine or tool with one small local NLI model, no LLM call."""

from llama_index.selectors.entailkit.base import EntailkitSelector

__all__ = ["EntailkitSelector"]
