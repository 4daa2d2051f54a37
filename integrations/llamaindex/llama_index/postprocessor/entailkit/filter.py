"""The old module path of ``llama_index.postprocessor.entailkit_rerank.filter`` (its names, re-exported)."""

from llama_index.postprocessor.entailkit_rerank.filter import *  # noqa: F403
from llama_index.postprocessor.entailkit_rerank.filter import __all__ as __all__
