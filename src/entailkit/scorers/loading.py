"""load_scorer(): a local path or hub id -> the right Scorer, chosen from the model's own config."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Any, Literal

from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer
from entailkit.scorers.checkpoint import check_load_options, check_max_length, check_remote_code, read_config
from entailkit.scorers.hub import resolve_model_dir
from entailkit.types import ScorerKind, Truncation

logger = logging.getLogger(__name__)

KINDS: tuple[str, ...] = ("cross-encoder", "gliclass", "embedding")
BACKENDS: tuple[str, ...] = ("torch", "onnx")
_DEFAULT_LABEL = re.compile(r"LABEL_\d+")


def detect_kind(config: Mapping[str, Any]) -> ScorerKind:
    """GLiClass config -> gliclass; a sequence-classification config -> cross-encoder; else embedding.

    A config names its head through ``architectures``; configs written without it still mark a
    classification head by named labels in ``id2label`` (not the LABEL_0, LABEL_1 defaults every
    config carries) or by a sentence-transformers CrossEncoder section.
    """
    model_type = str(config.get("model_type", "")).lower()
    architectures = [str(a) for a in config.get("architectures") or []]
    if model_type == "gliclass" or any("gliclass" in a.lower() for a in architectures):
        return "gliclass"
    if any(a.endswith("ForSequenceClassification") for a in architectures):
        return "cross-encoder"
    if architectures:
        return "embedding"
    id2label = config.get("id2label") or {}
    named = [str(v) for v in id2label.values() if not _DEFAULT_LABEL.fullmatch(str(v))]
    sentence_transformers = config.get("sentence_transformers")
    if named or (isinstance(sentence_transformers, Mapping) and "activation_fn" in sentence_transformers):
        return "cross-encoder"
    return "embedding"


def load_scorer(
    model: str | os.PathLike[str],
    kind: Literal["cross-encoder", "gliclass", "embedding"] | None = None,
    *,
    device: Any = None,
    dtype: Any = None,
    batch_size: int = 32,
    max_length: int | None = None,
    trust_remote_code: bool = False,
    allow_pickle: bool = False,
    label_map: Mapping[str, int] | None = None,
    truncation: Truncation = "window",
    token_budget: int | None = None,
    revision: str | None = None,
    backend: Literal["torch", "onnx"] = "torch",
    quantize: Literal["int8"] | None = None,
) -> Scorer:
    """Load a local directory or hub id as a Scorer; ``kind`` wins, else the model's config decides.

    ``backend="onnx"`` (cross-encoders only, extra ``onnx``) exports the model to ONNX once (cached under
    ``$ENTAILKIT_CACHE_DIR``, default ``~/.cache/entailkit``) and runs it with ONNX Runtime;
    ``quantize="int8"`` adds dynamic int8 quantization of the weights.
    """
    if kind is not None and kind not in KINDS:
        raise InvalidInputError(f"kind must be one of {KINDS} or None, got {kind!r}.")
    if backend not in BACKENDS:
        raise InvalidInputError(f"backend must be one of {BACKENDS}, got {backend!r}.")
    if quantize not in (None, "int8"):
        raise InvalidInputError(f"quantize must be 'int8' or None, got {quantize!r}.")
    if quantize is not None and backend != "onnx":
        raise InvalidInputError(f"quantize={quantize!r} needs backend='onnx' (the torch backend does not quantize).")
    check_load_options(
        batch_size=batch_size,
        max_length=max_length,
        token_budget=token_budget,
        revision=revision,
        label_map=label_map,
        trust_remote_code=trust_remote_code,
        allow_pickle=allow_pickle,
        truncation=truncation,
    )
    model_dir = resolve_model_dir(model, revision=revision, allow_pickle=allow_pickle)
    config = read_config(model_dir)
    check_max_length(max_length, config, str(model))
    check_remote_code(model_dir, config, trust_remote_code)
    chosen = kind or detect_kind(config)
    options = dict(
        device=device,
        dtype=dtype,
        batch_size=batch_size,
        max_length=max_length,
        trust_remote_code=trust_remote_code,
        allow_pickle=allow_pickle,
        truncation=truncation,
        token_budget=token_budget,
        revision=revision,
    )
    if backend == "onnx":
        if chosen != "cross-encoder":
            raise InvalidInputError(f"backend='onnx' supports cross-encoders only; {model} is a {chosen} model.")
        from entailkit.scorers.onnx_backend import load_onnx_scorer

        return load_onnx_scorer(str(model), model_dir, config, quantize=quantize, label_map=label_map, **options)
    if chosen == "gliclass":
        from entailkit.scorers.gliclass import load_gliclass

        return load_gliclass(str(model), model_dir, config, **options)
    from entailkit.scorers.transformers_loading import load_transformers_scorer

    return load_transformers_scorer(str(model), model_dir, config, chosen, label_map=label_map, **options)
