"""The old module path of ``llama_index.postprocessor.entailkit_rerank.filter`` (its names, re-exported)."""

from llama_index.postprocessor.entailkit_rerank.filter import FLAG_KEY, FLAG_SCORE_KEY, EntailkitDocumentFilter

__all__ = ["FLAG_KEY", "FLAG_SCORE_KEY", "EntailkitDocumentFilter"]
