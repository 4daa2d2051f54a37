"""What the entailkit Haystack components share: lazy model loading by id and input checks."""

from haystack_integrations.common.entailkit.model import LazyTask, LazyWarmUp, check_model
from haystack_integrations.common.entailkit.options import (
    check_choice,
    check_flag,
    check_probability,
    check_str_list,
    check_top_k,
)
from haystack_integrations.common.entailkit.texts import (
    check_documents,
    document_texts,
    reply_text,
    with_reply_text,
)

__all__ = [
    "LazyTask",
    "LazyWarmUp",
    "check_choice",
    "check_documents",
    "check_flag",
    "check_model",
    "check_probability",
    "check_str_list",
    "check_top_k",
    "document_texts",
    "reply_text",
    "with_reply_text",
]
