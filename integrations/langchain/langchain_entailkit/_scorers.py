"""The scorer of a component: the one given, or entailkit's shared scorer for a model id (one per process)."""

from __future__ import annotations

from typing import Any

from entailkit import clear_shared_scorers, shared_scorer
from entailkit.errors import InvalidInputError

__all__ = ["clear_scorer_cache", "resolve_scorer", "shared_scorer"]


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
    """Forget every shared scorer (``entailkit.clear_shared_scorers``; models are freed once unused)."""
    clear_shared_scorers()
