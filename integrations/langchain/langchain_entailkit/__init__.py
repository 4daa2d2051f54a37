"""LangChain components backed by entailkit: rerank, groundedness check, routing, passage filter, embeddings.

All scoring happens in entailkit; these classes translate between LangChain objects and entailkit tasks,
return copies (never the caller's documents) and report scores to callbacks as custom events.
"""

from __future__ import annotations

from entailkit.errors import UngroundedAnswerError
from langchain_entailkit._scorers import clear_scorer_cache, shared_scorer
from langchain_entailkit.document_filter import FILTER_EVENT, EntailkitDocumentFilter
from langchain_entailkit.embeddings import EntailkitEmbeddings
from langchain_entailkit.groundedness import GROUNDEDNESS_EVENT, EntailkitGroundednessCheck
from langchain_entailkit.rerank import RERANK_EVENT, EntailkitRerank
from langchain_entailkit.router import ROUTE_EVENT, EntailkitRoutedRunnable, EntailkitRouter
from langchain_entailkit.stream_guard import SENTENCE_EVENT, EntailkitStreamGuard

__version__ = "0.1.0"

__all__ = [
    "FILTER_EVENT",
    "GROUNDEDNESS_EVENT",
    "RERANK_EVENT",
    "ROUTE_EVENT",
    "SENTENCE_EVENT",
    "EntailkitDocumentFilter",
    "EntailkitEmbeddings",
    "EntailkitGroundednessCheck",
    "EntailkitRerank",
    "EntailkitRoutedRunnable",
    "EntailkitRouter",
    "EntailkitStreamGuard",
    "UngroundedAnswerError",
    "__version__",
    "clear_scorer_cache",
    "shared_scorer",
]
