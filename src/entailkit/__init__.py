"""entailkit: small local NLI and zero-shot models for RAG (rerank, check, route) with one score scale.

Importing entailkit is cheap: torch and transformers load only when a scorer is built.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from entailkit.errors import EntailkitError, InvalidInputError, MissingDependencyError, ModelLoadError
from entailkit.types import (
    LabelledExample,
    LabelScores,
    PairScore,
    PairScores,
    ScorerInfo,
    TextLabelScores,
)

__version__ = "0.1.0"

# Public names that live in modules importing torch (or other heavy deps): resolved on first access.
_LAZY: dict[str, str] = {
    "load_scorer": "entailkit.scorers.loading",
    "Scorer": "entailkit.scorers.base",
    "CrossEncoderScorer": "entailkit.scorers.cross_encoder",
    "EmbeddingScorer": "entailkit.scorers.embedding",
    "Reranker": "entailkit.tasks.rerank",
    "GroundednessChecker": "entailkit.tasks.groundedness",
    "ZeroShotClassifier": "entailkit.tasks.classify",
    "Router": "entailkit.tasks.routing",
    "Route": "entailkit.types",
    "calibrate": "entailkit.tasks.calibration",
    "Client": "entailkit.serve.client",
}

if TYPE_CHECKING:
    from entailkit.scorers.base import Scorer
    from entailkit.scorers.cross_encoder import CrossEncoderScorer
    from entailkit.scorers.embedding import EmbeddingScorer
    from entailkit.scorers.loading import load_scorer
    from entailkit.serve.client import Client
    from entailkit.tasks.calibration import calibrate
    from entailkit.tasks.classify import ZeroShotClassifier
    from entailkit.tasks.groundedness import GroundednessChecker
    from entailkit.tasks.rerank import Reranker
    from entailkit.tasks.routing import Router
    from entailkit.types import Route

__all__ = [
    "Client",
    "CrossEncoderScorer",
    "EmbeddingScorer",
    "EntailkitError",
    "GroundednessChecker",
    "InvalidInputError",
    "LabelScores",
    "LabelledExample",
    "MissingDependencyError",
    "ModelLoadError",
    "PairScore",
    "PairScores",
    "Reranker",
    "Route",
    "Router",
    "Scorer",
    "ScorerInfo",
    "TextLabelScores",
    "ZeroShotClassifier",
    "__version__",
    "calibrate",
    "load_scorer",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'entailkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
