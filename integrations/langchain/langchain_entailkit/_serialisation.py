"""Serialisation shared by the components: LangChain's ``dumpd`` / ``loads`` by model id, never the model.

A component built from ``model=`` (a hub id or local path) and plain options serialises as
LangChain's ``{"lc": 1, "type": "constructor", "id": [...], "kwargs": {...}}``: the kwargs are the
constructor call that rebuilds it (the model id, the options), never the loaded scorer. A component
built from a scorer object (``scorer=``, ``reranker=``, ``checker=``, ``router=``), or with an option
that is not plain JSON (a calibrator object, a splitter function, a torch dtype), cannot be rebuilt
from JSON: it serialises as ``{"type": "not_implemented", ...}`` (what LangChain does for any
unserialisable object, so tracers keep working) and ``loads`` of that refuses with NotImplementedError.
"""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.load.serializable import Serializable, SerializedConstructor, SerializedNotImplemented

logger = logging.getLogger(__name__)

__all__ = ["ModelIdSerializable", "is_plain_json"]


def is_plain_json(value: Any) -> bool:
    """Whether ``value`` is made of str, numbers, bools, None, lists, tuples and str-keyed dicts only."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, (list, tuple)):
        return all(is_plain_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain_json(v) for k, v in value.items())
    return False


class ModelIdSerializable(Serializable):
    """``is_lc_serializable`` True; ``to_json`` gives the constructor call, or not_implemented (see module)."""

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Components built from ``model=`` and plain options serialise (see ``to_json``)."""
        return True

    def to_json(self) -> SerializedConstructor | SerializedNotImplemented:
        """The constructor call that rebuilds this component (model id and options), or not_implemented.

        Returns:
            ``{"lc": 1, "type": "constructor", "id": [...], "kwargs": {...}}``; ``{"type":
            "not_implemented", ...}`` when the component was built from a scorer object or holds an
            option that is not plain JSON.
        """
        if getattr(self, "model", None) is None:
            logger.debug("%s was built from a scorer object: not serialisable.", type(self).__name__)
            return self.to_json_not_implemented()
        serialized = super().to_json()
        kwargs = serialized.get("kwargs", {})
        bad = sorted(k for k, v in kwargs.items() if not is_plain_json(v))
        if bad:
            logger.debug("%s has options that are not plain JSON (%s): not serialisable.", type(self).__name__, bad)
            return self.to_json_not_implemented()
        return serialized
