"""Calls into a shared Hugging Face fast tokenizer, one thread at a time.

A fast tokenizer keeps its truncation and padding settings in the Rust object and rewrites them on
every call (``set_truncation_and_padding``, then ``encode_batch``). Two threads calling one tokenizer
with different settings can therefore encode with each other's settings: silently wrong token ids
(wrong scores) or "Unable to create tensor ... activate truncation and/or padding". Every scorer call
into a tokenizer goes through :func:`tokenize`, which holds one lock per tokenizer for the call; the
model's forward pass, which needs no lock, still runs in parallel.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

__all__ = ["tokenize", "tokenizer_lock"]

_REGISTRY_LOCK = threading.Lock()
_LOCKS: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_UNREFERENCEABLE: dict[int, threading.Lock] = {}


def tokenizer_lock(tokenizer: Any) -> threading.Lock:
    """The one lock that guards ``tokenizer`` (created on first use, freed with the tokenizer).

    Args:
        tokenizer: Any tokenizer object (one that cannot be weakly referenced is keyed by its id).
    """
    with _REGISTRY_LOCK:
        try:
            lock = _LOCKS.get(tokenizer)
            if lock is None:
                lock = _LOCKS[tokenizer] = threading.Lock()
        except TypeError:  # an object that cannot be weakly referenced: keyed by id for its lifetime
            lock = _UNREFERENCEABLE.setdefault(id(tokenizer), threading.Lock())
        return lock


def tokenize(tokenizer: Any, *args: Any, **kwargs: Any) -> Any:
    """``tokenizer(*args, **kwargs)`` under the tokenizer's lock, so concurrent calls cannot mix settings.

    Args:
        tokenizer: The (fast) tokenizer to call.
        *args: Its positional arguments (texts, text pairs).
        **kwargs: Its keyword arguments (``padding``, ``truncation``, ``max_length``, ...).

    Returns:
        What the tokenizer returns.
    """
    with tokenizer_lock(tokenizer):
        return tokenizer(*args, **kwargs)
