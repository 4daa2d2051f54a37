"""The old module path of ``llama_index.embeddings.entailkit.base`` (its names, re-exported)."""

from llama_index.embeddings.entailkit.base import EntailkitEmbedding

__all__ = ["EntailkitEmbedding"]
