"""LlamaIndex embeddings on entailkit's embedding scorer (the model the reranker and router share), batched in sync and async."""

from llama_index.embeddings.entailkit.base import EntailkitEmbedding

__all__ = ["EntailkitEmbedding"]
