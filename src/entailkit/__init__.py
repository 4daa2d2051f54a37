"""entailkit: small local NLI and zero-shot models for RAG (rerank, check, route) with one score scale.

Importing entailkit is cheap: torch and transformers load only when a scorer is built. Every name a user
needs is here; the ones that live in torch-importing modules are resolved on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from entailkit._lazy import lazy_exports
from entailkit.errors import (
    EntailkitError,
    InvalidInputError,
    MissingDependencyError,
    ModelLoadError,
    Overloaded,
    ServerError,
)
from entailkit.types import (
    CalibrationReport,
    Classification,
    Evidence,
    ExampleHit,
    FirstStageFusion,
    GroundednessReport,
    LabelledExample,
    LabelScores,
    PairScore,
    PairScores,
    PassageDecision,
    PassageFilterResult,
    PrecisionPoint,
    RerankItem,
    RerankResult,
    Route,
    RouteDecision,
    RouteMetrics,
    RouterReport,
    ScorerInfo,
    SentenceCheck,
    StreamedSentence,
    TextLabelScores,
)

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "load_scorer": "entailkit.scorers.loading",
    "shared_scorer": "entailkit.scorers.shared",
    "clear_shared_scorers": "entailkit.scorers.shared",
    "Scorer": "entailkit.scorers.base",
    "CrossEncoderScorer": "entailkit.scorers.cross_encoder",
    "EmbeddingScorer": "entailkit.scorers.embedding",
    "GLiClassScorer": "entailkit.scorers.gliclass",
    "Reranker": "entailkit.tasks.rerank",
    "GroundednessChecker": "entailkit.tasks.groundedness",
    "ZeroShotClassifier": "entailkit.tasks.classify",
    "Router": "entailkit.tasks.routing",
    "TaskSpec": "entailkit.tasks.specs",
    "RerankSpec": "entailkit.tasks.specs",
    "CheckSpec": "entailkit.tasks.specs",
    "ClassifySpec": "entailkit.tasks.specs",
    "RouteSpec": "entailkit.tasks.specs",
    "split_sentences": "entailkit.tasks.sentences",
    "template_for": "entailkit.tasks.templates",
    "TEMPLATE_LANGUAGES": "entailkit.tasks.templates",
    "QA_TEMPLATE": "entailkit.tasks.question_claims",
    "QUESTION_MODES": "entailkit.tasks.question_claims",
    "answer_claim": "entailkit.tasks.question_claims",
    "filter_passages": "entailkit.tasks.dedup",
    "Calibrator": "entailkit.tasks.calibration",
    "calibrate": "entailkit.tasks.calibration",
    "fit_calibrator": "entailkit.tasks.calibration",
    "expected_calibration_error": "entailkit.tasks.calibration",
    "ExampleStore": "entailkit.index",
    "Client": "entailkit.serve.client",
    "configure_batching": "entailkit.batching.shared",
}
__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)

if TYPE_CHECKING:
    from entailkit.batching.shared import configure_batching
    from entailkit.index import ExampleStore
    from entailkit.scorers.base import Scorer
    from entailkit.scorers.cross_encoder import CrossEncoderScorer
    from entailkit.scorers.embedding import EmbeddingScorer
    from entailkit.scorers.gliclass import GLiClassScorer
    from entailkit.scorers.loading import load_scorer
    from entailkit.scorers.shared import clear_shared_scorers, shared_scorer
    from entailkit.serve.client import Client
    from entailkit.tasks.calibration import Calibrator, calibrate, expected_calibration_error, fit_calibrator
    from entailkit.tasks.classify import ZeroShotClassifier
    from entailkit.tasks.dedup import filter_passages
    from entailkit.tasks.groundedness import GroundednessChecker
    from entailkit.tasks.question_claims import QA_TEMPLATE, QUESTION_MODES, answer_claim
    from entailkit.tasks.rerank import Reranker
    from entailkit.tasks.routing import Router
    from entailkit.tasks.sentences import split_sentences
    from entailkit.tasks.specs import CheckSpec, ClassifySpec, RerankSpec, RouteSpec, TaskSpec
    from entailkit.tasks.templates import TEMPLATE_LANGUAGES, template_for

__all__ = [
    "QA_TEMPLATE",
    "QUESTION_MODES",
    "TEMPLATE_LANGUAGES",
    "CalibrationReport",
    "Calibrator",
    "CheckSpec",
    "Classification",
    "ClassifySpec",
    "Client",
    "CrossEncoderScorer",
    "EmbeddingScorer",
    "EntailkitError",
    "Evidence",
    "ExampleHit",
    "ExampleStore",
    "FirstStageFusion",
    "GLiClassScorer",
    "GroundednessChecker",
    "GroundednessReport",
    "InvalidInputError",
    "LabelScores",
    "LabelledExample",
    "MissingDependencyError",
    "ModelLoadError",
    "Overloaded",
    "PairScore",
    "PairScores",
    "PassageDecision",
    "PassageFilterResult",
    "PrecisionPoint",
    "RerankItem",
    "RerankResult",
    "RerankSpec",
    "Reranker",
    "Route",
    "RouteDecision",
    "RouteMetrics",
    "RouteSpec",
    "Router",
    "RouterReport",
    "Scorer",
    "ScorerInfo",
    "SentenceCheck",
    "ServerError",
    "StreamedSentence",
    "TaskSpec",
    "TextLabelScores",
    "ZeroShotClassifier",
    "__version__",
    "answer_claim",
    "calibrate",
    "clear_shared_scorers",
    "configure_batching",
    "expected_calibration_error",
    "filter_passages",
    "fit_calibrator",
    "load_scorer",
    "shared_scorer",
    "split_sentences",
    "template_for",
]
