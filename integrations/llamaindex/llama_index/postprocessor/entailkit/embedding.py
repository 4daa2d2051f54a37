"""The old module path of ``llama_index.embeddings.entailkit.base`` (its names, re-exported)."""

from llama_index.embeddings.entailkit.base import *  # noqa: F403
from llama_index.embeddings.entailkit.base import __all__ as __all__
