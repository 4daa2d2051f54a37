"""One scorer per model for every adapter: a model path or hub id is loaded once (``entailkit.shared_scorer``)."""

from __future__ import annotations

from typing import Any

from entailkit import shared_scorer as core_shared_scorer
from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer


def shared_scorer(model: Scorer | str, kind: str | None = None) -> Scorer:
    """The scorer itself, or entailkit's shared scorer for ``model``/``kind`` (loaded once per process)."""
    if isinstance(model, Scorer):
        return model
    if not isinstance(model, str) or not model.strip():
        raise InvalidInputError(
            f"scorer must be an entailkit Scorer or a model path / hub id, got {type(model).__name__}."
        )
    return core_shared_scorer(model, kind)


def model_name(scorer: Any) -> str:
    """The model name a scorer reports, for events and metadata."""
    return str(getattr(getattr(scorer, "info", None), "model", type(scorer).__name__))
