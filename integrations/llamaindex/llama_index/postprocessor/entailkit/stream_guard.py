"""The old module path of ``llama_index.postprocessor.entailkit_rerank.stream_guard`` (its names, re-exported)."""

from llama_index.postprocessor.entailkit_rerank.stream_guard import *  # noqa: F403
from llama_index.postprocessor.entailkit_rerank.stream_guard import __all__ as __all__
