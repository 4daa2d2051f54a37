"""LlamaIndex integration for entailkit: rerank, select, evaluate, filter and embed with small local models."""

from llama_index.postprocessor.entailkit._scorer import shared_scorer
from llama_index.postprocessor.entailkit.embedding import EntailkitEmbedding
from llama_index.postprocessor.entailkit.evaluation import (
    EntailkitFaithfulnessEvaluator,
    EntailkitRelevancyEvaluator,
)
from llama_index.postprocessor.entailkit.filter import EntailkitDocumentFilter
from llama_index.postprocessor.entailkit.rerank import EntailkitRerank
from llama_index.postprocessor.entailkit.selector import EntailkitSelector
from llama_index.postprocessor.entailkit.stream_guard import EntailkitStreamGuard

__all__ = [
    "EntailkitDocumentFilter",
    "EntailkitEmbedding",
    "EntailkitFaithfulnessEvaluator",
    "EntailkitRelevancyEvaluator",
    "EntailkitRerank",
    "EntailkitSelector",
    "EntailkitStreamGuard",
    "shared_scorer",
]
