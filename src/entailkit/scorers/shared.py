"""One loaded model per process: every surface that names the same model and options gets the same scorer.

The LangChain and LlamaIndex adapters, the HTTP server and the Ray actors all load through
:func:`shared_scorer`, so one model used from several of them is in memory once. Scorers are safe to
share across threads (see ``scorers/tokenizer_lock.py``).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer
from entailkit.scorers.loading import load_scorer

__all__ = ["clear_shared_scorers", "scorer_for", "shared_scorer"]

logger = logging.getLogger(__name__)

_CACHE: dict[tuple[Any, ...], Scorer] = {}
_LOCK = threading.Lock()


def _model_key(model: str | os.PathLike[str]) -> str:
    """A local directory by its resolved path (``./m`` and ``/abs/m`` are one model); a hub id as given."""
    path = Path(model).expanduser()
    try:
        if path.is_dir():
            return str(path.resolve())
    except (OSError, ValueError):  # too long for a path, NUL byte: load_scorer reports it
        pass
    return str(model)


def shared_scorer(model: str | os.PathLike[str], kind: str | None = None, **options: Any) -> Scorer:
    """``load_scorer(model, kind, **options)``, loaded once per process and then returned again.

    Args:
        model: A local model directory or a hub id.
        kind: ``"cross-encoder"``, ``"gliclass"``, ``"embedding"`` or None (read from the model's config).
        **options: Any option of :func:`entailkit.load_scorer`; other options give another scorer.

    Returns:
        The same scorer object for the same model, kind and options.

    Raises:
        InvalidInputError: ``model`` is not a str or path, or is blank; or as ``load_scorer``.
        ModelLoadError: As ``load_scorer`` (nothing is cached when loading fails).
    """
    if not isinstance(model, (str, os.PathLike)) or not str(model).strip():
        raise InvalidInputError(f"model must be a model directory or a hub id, got {model!r:.80}.")
    key = (_model_key(model), kind, tuple(sorted((name, repr(value)) for name, value in options.items())))
    with _LOCK:
        scorer = _CACHE.get(key)
        if scorer is None:
            logger.info("loading %s (kind=%s) once, shared by every component that names it", model, kind)
            scorer = load_scorer(model, kind, **options)  # type: ignore[arg-type]
            _CACHE[key] = scorer
    return scorer


def scorer_for(model: Scorer | str | os.PathLike[str], kind: str | None = None, **options: Any) -> Scorer:
    """The scorer a component was given: a Scorer itself, or the shared scorer of a model id.

    Every surface that takes "a scorer or a model id" (the adapters, the server) resolves it here.

    Args:
        model: A Scorer (returned as is), a local model directory or a hub id.
        kind: As :func:`shared_scorer` (ignored for a Scorer).
        **options: As :func:`shared_scorer` (ignored for a Scorer).

    Raises:
        InvalidInputError: ``model`` is neither a Scorer nor a non-blank model id.
        ModelLoadError: As :func:`shared_scorer`.
    """
    if isinstance(model, Scorer):
        return model
    if not isinstance(model, (str, os.PathLike)):
        raise InvalidInputError(f"expected an entailkit Scorer or a model path / hub id, got {type(model).__name__}.")
    return shared_scorer(model, kind, **options)


def clear_shared_scorers() -> None:
    """Forget every shared scorer (each model is freed once nothing else holds it)."""
    with _LOCK:
        _CACHE.clear()
