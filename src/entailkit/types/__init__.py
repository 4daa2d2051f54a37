"""Public result and config models (pydantic v2, frozen, JSON-serialisable), one module per concern.

Scores are probabilities in [0, 1]; raw logits ride along so callers can re-normalise or calibrate.
Every name is importable from here (``from entailkit.types import RerankResult``):

- :mod:`entailkit.types.scores`: what scorers return (``PairScore``, ``LabelScores``, ``ScorerInfo``) and
  the literals of heads, normalisation and truncation;
- :mod:`entailkit.types.rerank`, :mod:`entailkit.types.groundedness`, :mod:`entailkit.types.classification`,
  :mod:`entailkit.types.routing`, :mod:`entailkit.types.calibration`, :mod:`entailkit.types.passages`: the
  result of each task;
- :mod:`entailkit.types.examples`: labelled examples and example-search hits.
"""

from __future__ import annotations

from entailkit.types.calibration import CalibrationMethod, CalibrationReport, PrecisionPoint
from entailkit.types.classification import Classification
from entailkit.types.examples import ExampleHit, LabelledExample
from entailkit.types.groundedness import (
    Evidence,
    GroundednessAggregate,
    GroundednessReport,
    SentenceCheck,
    SentenceVerdict,
    StreamAction,
    StreamedSentence,
    StreamPolicy,
)
from entailkit.types.passages import PassageAction, PassageDecision, PassageFilterResult, PassageReason
from entailkit.types.rerank import RerankItem, RerankResult
from entailkit.types.routing import Route, RouteDecision, RouteMetrics, RouterReport, RouteSignal
from entailkit.types.scores import (
    FIRST_STAGE_CONFIG_KEY,
    HEAD_QUERY_INPUT,
    HEAD_ROLES,
    FirstStageFusion,
    HeadKind,
    LabelScores,
    NativeCall,
    Normalization,
    PairScore,
    PairScores,
    QueryInput,
    Role,
    ScorerInfo,
    ScorerKind,
    Span,
    TextLabelScores,
    Truncation,
)

__all__ = [
    "FIRST_STAGE_CONFIG_KEY",
    "HEAD_QUERY_INPUT",
    "HEAD_ROLES",
    "CalibrationMethod",
    "CalibrationReport",
    "Classification",
    "Evidence",
    "ExampleHit",
    "FirstStageFusion",
    "GroundednessAggregate",
    "GroundednessReport",
    "HeadKind",
    "LabelScores",
    "LabelledExample",
    "NativeCall",
    "Normalization",
    "PairScore",
    "PairScores",
    "PassageAction",
    "PassageDecision",
    "PassageFilterResult",
    "PassageReason",
    "PrecisionPoint",
    "QueryInput",
    "RerankItem",
    "RerankResult",
    "Role",
    "Route",
    "RouteDecision",
    "RouteMetrics",
    "RouteSignal",
    "RouterReport",
    "ScorerInfo",
    "ScorerKind",
    "SentenceCheck",
    "SentenceVerdict",
    "Span",
    "StreamAction",
    "StreamPolicy",
    "StreamedSentence",
    "TextLabelScores",
    "Truncation",
]
