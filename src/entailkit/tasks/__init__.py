"""Tasks built on any Scorer: rerank, check groundedness, classify, route. No model code here."""

from __future__ import annotations

from entailkit.tasks._calibration_protocol import Calibrator as CalibratorProtocol
from entailkit.tasks.calibration import Calibrator, calibrate, expected_calibration_error, fit_calibrator
from entailkit.tasks.classify import ExampleSource, ZeroShotClassifier
from entailkit.tasks.groundedness import GroundednessChecker
from entailkit.tasks.rerank import DEFAULT_QUERY_TEMPLATE, Reranker
from entailkit.tasks.routing import Router
from entailkit.tasks.sentences import SentenceSplitter, split_sentences
from entailkit.tasks.templates import TEMPLATE_LANGUAGES, template_for

__all__ = [
    "DEFAULT_QUERY_TEMPLATE",
    "TEMPLATE_LANGUAGES",
    "Calibrator",
    "CalibratorProtocol",
    "ExampleSource",
    "GroundednessChecker",
    "Reranker",
    "Router",
    "SentenceSplitter",
    "ZeroShotClassifier",
    "calibrate",
    "expected_calibration_error",
    "fit_calibrator",
    "split_sentences",
    "template_for",
]
