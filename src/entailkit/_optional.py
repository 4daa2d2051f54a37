"""Lazy import of optional dependencies, with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from entailkit.errors import MissingDependencyError


def require(module: str, *, extra: str, package: str | None = None) -> ModuleType:
    """Import ``module`` or raise MissingDependencyError telling how to install ``entailkit[extra]``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        pip_name = package or module.split(".")[0]
        raise MissingDependencyError(
            f"{module!r} is needed for this feature but is not installed ({exc}). "
            f"Install it with: pip install 'entailkit[{extra}]' (or pip install {pip_name})."
        ) from exc
