"""Contract-suite helpers: one cached scorer per (tiny model, options), so each model loads once a session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def load_tiny(tiny_models: dict[str, Path]) -> Callable[..., Any]:
    """``load_tiny(name, **load_scorer_kwargs)`` -> a scorer, cached for the session."""
    from entailkit import load_scorer

    cache: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}

    def load(name: str, **kwargs: Any) -> Any:
        key = (name, tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
        if key not in cache:
            cache[key] = load_scorer(tiny_models[name], **kwargs)
        return cache[key]

    return load


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private ONNX export cache for each test module (``ENTAILKIT_CACHE_DIR``): tests never touch ~/.cache.

    Yields the folder the exports land in (``$ENTAILKIT_CACHE_DIR/onnx``).
    """
    root = tmp_path_factory.mktemp("onnx-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENTAILKIT_CACHE_DIR", str(root))
        yield root / "onnx"
