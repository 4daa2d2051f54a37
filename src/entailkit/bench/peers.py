"""The runners a benchmark times: entailkit's backends and the reference libraries, on the same weights.

Every rerank runner is ``run(premises, hypotheses) -> scores`` (one float a pair, higher = better match)
and every zero-shot runner is ``run(texts, labels) -> None``. Reference libraries load the checkpoint in
float32 like entailkit does on CPU, so the comparison is about the inference path, not the dtype.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from entailkit._optional import require
from entailkit.scorers.base import DEFAULT_HYPOTHESIS_TEMPLATE
from entailkit.scorers.transformers_loading import quiet_transformers

__all__ = [
    "LabelRunner",
    "PairRunner",
    "entailkit_labels",
    "entailkit_pairs",
    "gliclass_pipeline",
    "score_column",
    "sentence_transformers_pairs",
    "transformers_loop_pairs",
    "transformers_zero_shot",
]

logger = logging.getLogger(__name__)

PairRunner = Callable[[Sequence[str], Sequence[str]], np.ndarray]
LabelRunner = Callable[[Sequence[str], Sequence[str]], None]


def score_column(logits: np.ndarray, label_map: dict[str, int]) -> np.ndarray:
    """The ranking score from raw logits: the relevance logit, or the entailment logit of an NLI head.

    Args:
        logits: ``(n,)`` or ``(n, num_labels)`` raw logits.
        label_map: NLI role -> output index (``ScorerInfo.label_map``).
    """
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim == 1:
        return logits
    return logits[:, label_map.get("entailment", label_map.get("relevance", 0))]


def entailkit_pairs(scorer: Any) -> PairRunner:
    """entailkit's ``score_pairs`` (torch or ONNX): length-sorted token-budget batches.

    Args:
        scorer: A loaded entailkit cross-encoder scorer.
    """

    def run(premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        scores = scorer.score_pairs(premises, hypotheses)
        return score_column(np.array([i.logits for i in scores.items]), scorer.info.label_map)

    return run


def sentence_transformers_pairs(
    model_dir: Path, label_map: dict[str, int], *, max_length: int, batch_size: int
) -> PairRunner:
    """sentence-transformers ``CrossEncoder.predict`` in float32.

    Args:
        model_dir: The checkpoint.
        label_map: NLI role -> output index, to read the ranking score.
        max_length: Tokens per pair.
        batch_size: Pairs per batch.

    Raises:
        MissingDependencyError: sentence-transformers is not installed.
    """
    import torch

    st = require("sentence_transformers", extra="dev", package="sentence-transformers")
    with quiet_transformers():
        model = st.CrossEncoder(
            str(model_dir), device="cpu", max_length=max_length, model_kwargs={"dtype": torch.float32}
        )

    def run(premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        out = model.predict(
            list(zip(premises, hypotheses, strict=True)), batch_size=batch_size, show_progress_bar=False
        )
        return score_column(np.asarray(out), label_map)

    return run


def transformers_loop_pairs(
    model_dir: Path, label_map: dict[str, int], *, max_length: int, batch_size: int
) -> PairRunner:
    """The plain loop users write: fixed batches in input order, padded to the longest, no sorting.

    Args:
        model_dir: The checkpoint.
        label_map: NLI role -> output index, to read the ranking score.
        max_length: Tokens per pair.
        batch_size: Pairs per batch.
    """
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    with quiet_transformers():
        model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), dtype=torch.float32).eval()

    def run(premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        out = []
        with torch.inference_mode():
            for start in range(0, len(premises), batch_size):
                encoded = tokenizer(
                    list(premises[start : start + batch_size]),
                    list(hypotheses[start : start + batch_size]),
                    padding=True,
                    truncation=True,
                    max_length=max_length,
                    return_tensors="pt",
                )
                out.append(model(**encoded).logits.float().numpy())
        return score_column(np.concatenate(out), label_map)

    return run


# -- zero-shot ---------------------------------------------------------------------------------------


def entailkit_labels(scorer: Any, template: str = DEFAULT_HYPOTHESIS_TEMPLATE) -> LabelRunner:
    """entailkit's ``score_labels`` (cross-encoder: K pairs a text; GLiClass: one pass a text).

    Args:
        scorer: A loaded entailkit scorer.
        template: The hypothesis template of pair scorers (GLiClass reads the labels as they are).
    """

    def run(texts: Sequence[str], labels: Sequence[str]) -> None:
        if scorer.native == "labels":
            scorer.score_labels(texts, list(labels))
        else:
            scorer.score_labels(texts, list(labels), hypothesis_template=template)

    return run


def transformers_zero_shot(
    model_dir: Path, *, batch_size: int, template: str = DEFAULT_HYPOTHESIS_TEMPLATE
) -> LabelRunner:
    """transformers' ``pipeline("zero-shot-classification")`` in float32.

    Args:
        model_dir: The checkpoint.
        batch_size: The pipeline's batch size.
        template: Its hypothesis template.
    """
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    with quiet_transformers():
        model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    pipe = pipeline(
        "zero-shot-classification", model=model, tokenizer=AutoTokenizer.from_pretrained(str(model_dir)), device="cpu"
    )

    def run(texts: Sequence[str], labels: Sequence[str]) -> None:
        pipe(list(texts), candidate_labels=list(labels), hypothesis_template=template, batch_size=batch_size)

    return run


def gliclass_pipeline(model_dir: Path, *, batch_size: int, max_length: int = 512) -> LabelRunner:
    """gliclass's own ``ZeroShotClassificationPipeline`` on CPU.

    Args:
        model_dir: The GLiClass checkpoint.
        batch_size: The pipeline's batch size.
        max_length: The pipeline's max length.

    Raises:
        MissingDependencyError: The ``gliclass`` extra is not installed.
    """
    gliclass = require("gliclass", extra="gliclass")
    from transformers import AutoTokenizer

    pipe = gliclass.ZeroShotClassificationPipeline(
        gliclass.GLiClassModel.from_pretrained(str(model_dir)),
        AutoTokenizer.from_pretrained(str(model_dir)),
        max_length=max_length,
        device="cpu",
        progress_bar=False,
    )

    def run(texts: Sequence[str], labels: Sequence[str]) -> None:
        pipe(list(texts), list(labels), batch_size=batch_size)

    return run
