"""Model backends: the only layer that touches torch, transformers, gliclass and onnxruntime.

Importing this package imports none of them; each name loads its module on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from entailkit._lazy import lazy_exports

_LAZY: dict[str, str] = {
    "load_scorer": "entailkit.scorers.loading",
    "detect_kind": "entailkit.scorers.loading",
    "shared_scorer": "entailkit.scorers.shared",
    "clear_shared_scorers": "entailkit.scorers.shared",
    "scorer_for": "entailkit.scorers.shared",
    "Scorer": "entailkit.scorers.base",
    "DEFAULT_HYPOTHESIS_TEMPLATE": "entailkit.scorers.base",
    "CrossEncoderScorer": "entailkit.scorers.cross_encoder",
    "EmbeddingScorer": "entailkit.scorers.embedding",
    "GLiClassScorer": "entailkit.scorers.gliclass",
    "OnnxCrossEncoderScorer": "entailkit.scorers.onnx_backend",
}
__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)

if TYPE_CHECKING:
    from entailkit.scorers.base import DEFAULT_HYPOTHESIS_TEMPLATE, Scorer
    from entailkit.scorers.cross_encoder import CrossEncoderScorer
    from entailkit.scorers.embedding import EmbeddingScorer
    from entailkit.scorers.gliclass import GLiClassScorer
    from entailkit.scorers.loading import detect_kind, load_scorer
    from entailkit.scorers.onnx_backend import OnnxCrossEncoderScorer
    from entailkit.scorers.shared import clear_shared_scorers, scorer_for, shared_scorer

__all__ = [
    "DEFAULT_HYPOTHESIS_TEMPLATE",
    "CrossEncoderScorer",
    "EmbeddingScorer",
    "GLiClassScorer",
    "OnnxCrossEncoderScorer",
    "Scorer",
    "clear_shared_scorers",
    "detect_kind",
    "load_scorer",
    "scorer_for",
    "shared_scorer",
]
