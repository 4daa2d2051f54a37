"""LlamaIndex node postprocessors on entailkit: NLI reranking, near-duplicate / contradiction filtering and a streaming groundedness guard, with one small local model."""

from llama_index.postprocessor.entailkit_rerank.filter import EntailkitDocumentFilter
from llama_index.postprocessor.entailkit_rerank.rerank import EntailkitRerank
from llama_index.postprocessor.entailkit_rerank.stream_guard import EntailkitStreamGuard

__all__ = ["EntailkitDocumentFilter", "EntailkitRerank", "EntailkitStreamGuard"]
