"""The old import path of entailkit's LlamaIndex integration: every component, from its own distribution.

The components now live in one distribution per LlamaIndex category, as LlamaIndex publishes them:
``llama_index.postprocessor.entailkit_rerank`` (rerank, filter, stream guard),
``llama_index.embeddings.entailkit``, ``llama_index.selectors.entailkit`` and
``llama_index.evaluation.entailkit``. This module (``pip install llama-index-postprocessor-entailkit``,
which installs all four) re-exports them, so code written against the old path keeps working.
"""

from llama_index.embeddings.entailkit import EntailkitEmbedding
from llama_index.evaluation.entailkit import EntailkitFaithfulnessEvaluator, EntailkitRelevancyEvaluator
from llama_index.postprocessor.entailkit_rerank import EntailkitDocumentFilter, EntailkitRerank, EntailkitStreamGuard
from llama_index.selectors.entailkit import EntailkitSelector

from entailkit.scorers import scorer_for as shared_scorer

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
