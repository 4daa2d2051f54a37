"""One scorer per model for every adapter: a model path or hub id is loaded once and shared."""

from __future__ import annotations

import logging
import threading
from typing import Any

from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer

logger = logging.getLogger(__name__)

_CACHE: dict[tuple[str, str | None], Scorer] = {}
_LOCK = threading.Lock()


def shared_scorer(model: Scorer | str, kind: str | None = None) -> Scorer:
    """The scorer itself, or the one loaded (once per process) for ``model``/``kind``."""
    if isinstance(model, Scorer):
        return model
    if not isinstance(model, str) or not model.strip():
        raise InvalidInputError(
            f"scorer must be an entailkit Scorer or a model path / hub id, got {type(model).__name__}."
        )
    key = (model, kind)
    with _LOCK:
        if key not in _CACHE:
            from entailkit.scorers.loading import load_scorer

            logger.info("loading entailkit scorer %s (kind=%s), shared by all adapters", model, kind)
            _CACHE[key] = load_scorer(model, kind)  # type: ignore[arg-type]
        return _CACHE[key]


def model_name(scorer: Any) -> str:
    """The model name a scorer reports, for events and metadata."""
    return str(getattr(getattr(scorer, "info", None), "model", type(scorer).__name__))
