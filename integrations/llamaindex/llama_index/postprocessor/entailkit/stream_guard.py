"""The old module path of ``llama_index.postprocessor.entailkit_rerank.stream_guard`` (its names, re-exported)."""

from llama_index.postprocessor.entailkit_rerank.stream_guard import REPORT_KEY, SENTENCES_KEY, EntailkitStreamGuard

__all__ = ["REPORT_KEY", "SENTENCES_KEY", "EntailkitStreamGuard"]
