"""The old module path of ``llama_index.postprocessor.entailkit_rerank.rerank`` (its names, re-exported)."""

from llama_index.postprocessor.entailkit_rerank.rerank import *  # noqa: F403
from llama_index.postprocessor.entailkit_rerank.rerank import __all__ as __all__
