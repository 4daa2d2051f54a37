"""One loaded model per (model, options): every component built from the same id shares the scorer."""

from __future__ import annotations

import logging
import threading
from typing import Any

from entailkit.errors import InvalidInputError

logger = logging.getLogger(__name__)

_CACHE: dict[tuple[Any, ...], Any] = {}
_LOCK = threading.Lock()


def shared_scorer(model: str, kind: str | None = None, **options: Any) -> Any:
    """``entailkit.load_scorer(model, kind, **options)``, loaded once per process and then reused."""
    if not isinstance(model, str) or not model.strip():
        raise InvalidInputError(f"model must be a non-empty model id or path, got {model!r}.")
    key = (model, kind, tuple(sorted((k, repr(v)) for k, v in options.items())))
    with _LOCK:
        scorer = _CACHE.get(key)
        if scorer is None:
            from entailkit import load_scorer

            logger.info("langchain-entailkit: loading %s (kind=%s) once for all components.", model, kind)
            scorer = load_scorer(model, kind, **options)  # type: ignore[arg-type]
            _CACHE[key] = scorer
    return scorer


def resolve_scorer(scorer: Any, model: str | None, kind: str | None, options: dict[str, Any]) -> Any:
    """The scorer given, or the shared one loaded from ``model``; exactly one of them must be set."""
    if scorer is not None and model is not None:
        raise InvalidInputError("pass either scorer= or model=, not both.")
    if scorer is not None:
        return scorer
    if model is None:
        raise InvalidInputError("pass scorer= (from entailkit.load_scorer) or model= (a model id or local path).")
    return shared_scorer(model, kind, **options)


def clear_scorer_cache() -> None:
    """Forget every shared scorer (the models are freed once nothing else holds them)."""
    with _LOCK:
        _CACHE.clear()
