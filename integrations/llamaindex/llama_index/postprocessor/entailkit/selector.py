"""The old module path of ``llama_index.selectors.entailkit.base`` (its names, re-exported)."""

from llama_index.selectors.entailkit.base import EntailkitSelector

__all__ = ["EntailkitSelector"]
