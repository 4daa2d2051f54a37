"""Head detection and logits -> probabilities for cross-encoder heads with 1, 2 or 3 outputs (numpy only)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from entailkit._numeric import sigmoid, softmax
from entailkit.errors import InvalidInputError, ModelLoadError
from entailkit.types import FIRST_STAGE_CONFIG_KEY, FirstStageFusion, HeadKind, Normalization, PairScores, ScorerInfo
from entailkit.types.nli import nli_role

__all__ = [
    "contradiction_index",
    "detect_label_map",
    "first_stage_fusion",
    "first_stage_values",
    "fuse_first_stage",
    "head_kind",
    "probabilities",
    "sigmoid",
    "softmax",
]


def head_kind(num_labels: int) -> HeadKind:
    """1 output = relevance, 2 = entailment/not_entailment, 3 = entailment/neutral/contradiction.

    Args:
        num_labels: The model's ``config.num_labels``.

    Raises:
        ModelLoadError: Any other number of outputs.
    """
    if num_labels == 1:
        return "relevance"
    if num_labels == 2:
        return "nli2"
    if num_labels == 3:
        return "nli3"
    raise ModelLoadError(
        f"a cross-encoder head with {num_labels} outputs is not supported: entailkit reads 1 (relevance), "
        "2 (entailment / not_entailment) or 3 (entailment / neutral / contradiction)."
    )


def detect_label_map(
    id2label: Mapping[int, str], num_labels: int, override: Mapping[str, int] | None = None
) -> dict[str, int]:
    """NLI role -> output index, read from ``config.id2label`` (never from position) or from ``override``.

    Args:
        id2label: The model's ``config.id2label``.
        num_labels: Its number of outputs.
        override: The caller's ``label_map`` (role -> index), used instead of ``id2label`` when given;
            on a 2-way head ``contradiction`` is read as ``not_entailment``.

    Returns:
        ``{"relevance": 0}`` for a 1-logit head; else entailment, neutral and contradiction (3-way) or
        entailment and not_entailment (2-way).

    Raises:
        ModelLoadError: The head size is not supported, ``id2label`` does not name the roles (the message
            shows the ``label_map=`` to pass), or ``override`` does not map each role to a distinct index.
    """
    kind = head_kind(num_labels)
    if kind == "relevance":
        return {"relevance": 0}
    if override is not None:
        return _check_override(override, kind, num_labels)
    found: dict[str, int] = {}
    for index, label in sorted(id2label.items()):
        role = nli_role(label)
        if role is not None and role not in found:
            found[role] = int(index)
    if kind == "nli3" and all(role in found for role in ("entailment", "neutral", "contradiction")):
        return {role: found[role] for role in ("entailment", "neutral", "contradiction")}
    if kind == "nli2" and "entailment" in found:
        other = next(i for i in range(2) if i != found["entailment"])
        return {"entailment": found["entailment"], "not_entailment": other}
    raise ModelLoadError(
        f"cannot tell which output means what from id2label={dict(id2label)}; pass label_map=, e.g. "
        + (
            "{'entailment': 0, 'neutral': 1, 'contradiction': 2}"
            if kind == "nli3"
            else "{'entailment': 0, 'not_entailment': 1}"
        )
        + " (check the model card for the label order)."
    )


def _check_override(override: Mapping[str, int], kind: HeadKind, num_labels: int) -> dict[str, int]:
    needed = ("entailment", "neutral", "contradiction") if kind == "nli3" else ("entailment", "not_entailment")
    mapped = {nli_role(k) or k: v for k, v in override.items()}
    if kind == "nli2" and "contradiction" in mapped and "not_entailment" not in mapped:
        mapped["not_entailment"] = mapped.pop("contradiction")
    indices = [mapped.get(role) for role in needed]
    if any(not isinstance(i, int) or not 0 <= i < num_labels for i in indices) or len(set(indices)) != len(needed):
        raise ModelLoadError(
            f"label_map={dict(override)} must map each of {list(needed)} to a distinct output index in 0..{num_labels - 1}."
        )
    return {role: int(mapped[role]) for role in needed}


def contradiction_index(label_map: Mapping[str, int]) -> int:
    """The output that plays 'contradiction' in entailment-vs-contradiction (not_entailment on 2-way heads).

    Args:
        label_map: NLI role -> output index (``ScorerInfo.label_map``).
    """
    return label_map.get("contradiction", label_map.get("not_entailment", -1))


def probabilities(
    logits: np.ndarray, kind: HeadKind, label_map: Mapping[str, int], normalization: Normalization
) -> dict[str, np.ndarray | None]:
    """Per-row role probabilities from raw logits ``(n, num_labels)``; roles the head lacks are None.

    Args:
        logits: Raw logits, one row per input.
        kind: The head (``relevance``, ``nli2`` or ``nli3``).
        label_map: NLI role -> output index.
        normalization: ``"softmax"`` over all classes (3-way heads), or ``"entailment_vs_contradiction"``.

    Returns:
        ``entailment``, ``neutral``, ``contradiction``, ``relevance`` (arrays or None) and ``score`` (the
        head's one number: relevance or entailment).
    """
    out: dict[str, np.ndarray | None] = {"entailment": None, "neutral": None, "contradiction": None, "relevance": None}
    if kind == "relevance":
        out["relevance"] = sigmoid(logits[:, 0])
        out["score"] = out["relevance"]
        return out
    ent = label_map["entailment"]
    if kind == "nli3" and normalization == "softmax":
        probs = softmax(logits)
        out["entailment"] = probs[:, ent]
        out["neutral"] = probs[:, label_map["neutral"]]
        out["contradiction"] = probs[:, label_map["contradiction"]]
    else:
        pair = softmax(logits[:, [contradiction_index(label_map), ent]])
        out["entailment"] = pair[:, 1]
        if kind == "nli3":
            out["contradiction"] = pair[:, 0]
    out["score"] = out["entailment"]
    return out


def first_stage_fusion(config: object, num_labels: int) -> FirstStageFusion | None:
    """The first-stage fusion a relevance model's config carries (see ``FirstStageFusion``), else None.

    Args:
        config: The model's transformers config (its ``entailkit_first_stage`` attribute).
        num_labels: Its number of outputs.

    Raises:
        ModelLoadError: The entry is on a head with more than one output, or is malformed.
    """
    raw = getattr(config, FIRST_STAGE_CONFIG_KEY, None)
    if raw is None:
        return None
    if num_labels != 1:
        raise ModelLoadError(f"config entry {FIRST_STAGE_CONFIG_KEY!r} is only valid on a 1-logit relevance head")
    try:
        return FirstStageFusion.model_validate(raw)
    except ValueError as exc:
        raise ModelLoadError(f"config entry {FIRST_STAGE_CONFIG_KEY!r} is malformed: {exc}") from exc


def first_stage_values(scores: Any, num_pairs: int, info: ScorerInfo) -> list[float] | None:
    """``first_stage_scores`` of ``score_pairs`` checked: one finite number per pair, or None.

    Args:
        scores: The caller's ``first_stage_scores`` (None: not given).
        num_pairs: How many pairs are scored.
        info: The scorer's info (``first_stage`` says whether it was trained on a retriever).

    Raises:
        InvalidInputError: Scores given to a model not trained on top of a retriever (``info.first_stage``
            is None), or not one finite number per pair.
    """
    if scores is None:
        return None
    if info.first_stage is None:
        raise InvalidInputError(
            f"first_stage_scores were given but {info.model} was not trained on top of a retriever "
            "(its config has no first-stage fusion); drop first_stage_scores= or train one with "
            "RelevanceExample(first_stage=...)."
        )
    if isinstance(scores, (str, bytes)) or not isinstance(scores, Sequence) or len(scores) != num_pairs:
        got = f"{len(scores)} items" if isinstance(scores, Sequence) and not isinstance(scores, (str, bytes)) else None
        raise InvalidInputError(
            f"first_stage_scores must hold one number per pair ({num_pairs}), got {got or type(scores).__name__}."
        )
    for i, value in enumerate(scores):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InvalidInputError(f"first_stage_scores[{i}] must be a finite number, got {value!r}.")
    return [float(value) for value in scores]


def fuse_first_stage(pairs: PairScores, values: Sequence[float] | None, fusion: FirstStageFusion | None) -> PairScores:
    """Pairs whose score (and relevance) is ``sigmoid(logit + scale * first_stage + bias)``; as they are without values.

    The fused score is monotonic in the logit, so the best window stays the best window.

    Args:
        pairs: The relevance head's pair scores (``logits[0]`` is the raw logit).
        values: The checked first-stage scores, one per pair, or None.
        fusion: The model's fusion, or None.
    """
    if values is None or fusion is None:
        return pairs
    logits = np.array([item.logits[0] for item in pairs], dtype=np.float64)
    fused = sigmoid(logits + fusion.scale * np.asarray(values, dtype=np.float64) + fusion.bias)
    items = tuple(
        item.model_copy(update={"score": float(p), "relevance": float(p)}) for item, p in zip(pairs, fused, strict=True)
    )
    return pairs.model_copy(update={"items": items})
