"""The old module path of ``llama_index.postprocessor.entailkit_rerank.rerank`` (its names, re-exported)."""

from llama_index.postprocessor.entailkit_rerank.rerank import EntailkitRerank

__all__ = ["EntailkitRerank"]
