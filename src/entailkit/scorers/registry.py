"""The backend registry: (kind, backend) -> the loader that builds that scorer from a checkpoint folder.

``load_scorer`` finds the checkpoint, reads its config, chooses the kind, and hands over to the loader
registered here. Loaders are named by import path and imported on first use, so this module imports no
backend (and no backend imports ``loading.py``). A new backend is one loader and one ``register_backend``
call; the contract suite (tests/contract/test_backend_contract.py) runs over every backend registered.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer
from entailkit.scorers.checkpoint import LoadOptions

__all__ = ["Loader", "backends", "get_loader", "kinds", "register_backend", "registered_backends"]

Loader = Callable[[str, Path, Mapping[str, Any], str, LoadOptions], Scorer]
"""``loader(name, model_dir, config, kind, options) -> Scorer``."""

_LOADERS: dict[tuple[str, str], str | Loader] = {
    ("cross-encoder", "torch"): "entailkit.scorers.transformers_loading:load_transformers_scorer",
    ("embedding", "torch"): "entailkit.scorers.transformers_loading:load_transformers_scorer",
    ("gliclass", "torch"): "entailkit.scorers.gliclass_loading:load_gliclass",
    ("cross-encoder", "onnx"): "entailkit.scorers.onnx_backend:load_onnx_scorer",
}


def register_backend(kind: str, backend: str, loader: str | Loader) -> None:
    """Register ``loader`` (a callable or ``"module:function"``) for scorers of ``kind`` on ``backend``.

    ``load_scorer(model, kind, backend=backend)`` then calls it as
    ``loader(name, model_dir, config, kind, options)`` and returns what it builds. A later registration of
    the same (kind, backend) replaces the earlier one; a new kind or backend name becomes accepted by
    ``load_scorer``.

    Args:
        kind: The model family, e.g. ``"cross-encoder"`` (``load_scorer(kind=)``).
        backend: The runtime, e.g. ``"torch"`` or ``"onnx"`` (``load_scorer(backend=)``).
        loader: The loader, or its import path ``"package.module:function"`` (imported on first use).

    Raises:
        InvalidInputError: ``kind`` or ``backend`` is not a non-empty str.
    """
    if not isinstance(kind, str) or not isinstance(backend, str) or not kind or not backend:
        raise InvalidInputError(f"kind and backend must be non-empty str, got {kind!r} and {backend!r}.")
    _LOADERS[(kind, backend)] = loader


def registered_backends() -> tuple[tuple[str, str], ...]:
    """Every (kind, backend) that has a loader, in registration order."""
    return tuple(_LOADERS)


def kinds() -> tuple[str, ...]:
    """Every kind that has a loader on some backend, in registration order."""
    return tuple(dict.fromkeys(kind for kind, _ in _LOADERS))


def backends() -> tuple[str, ...]:
    """Every backend that has a loader for some kind, in registration order."""
    return tuple(dict.fromkeys(backend for _, backend in _LOADERS))


def get_loader(kind: str, backend: str) -> Loader:
    """The loader for (kind, backend), imported on first use; a typed error names what is supported.

    Args:
        kind: The model family.
        backend: The runtime.

    Raises:
        InvalidInputError: No loader is registered for (kind, backend).
    """
    entry = _LOADERS.get((kind, backend))
    if entry is None:
        supported = [k for k, b in _LOADERS if b == backend]
        only = f"{supported[0]}s only" if len(supported) == 1 else f"the kinds {supported}"
        raise InvalidInputError(f"backend={backend!r} supports {only}; this model is a {kind} model.")
    if isinstance(entry, str):
        module, _, function = entry.partition(":")
        entry = getattr(importlib.import_module(module), function)
        _LOADERS[(kind, backend)] = entry
    return entry  # type: ignore[return-value]
