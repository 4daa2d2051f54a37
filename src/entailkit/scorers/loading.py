"""load_scorer(): a local path or hub id -> the right Scorer, chosen from the model's own config."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Any, Literal

from entailkit.errors import InvalidInputError
from entailkit.scorers import registry
from entailkit.scorers.base import Scorer
from entailkit.scorers.checkpoint import LoadOptions, check_max_length, check_remote_code, read_config
from entailkit.scorers.hub import resolve_model_dir
from entailkit.types import ScorerKind, Truncation

__all__ = ["detect_kind", "load_scorer", "load_with_options"]

logger = logging.getLogger(__name__)

_DEFAULT_LABEL = re.compile(r"LABEL_\d+")


def detect_kind(config: Mapping[str, Any]) -> ScorerKind:
    """GLiClass config -> gliclass; a sequence-classification config -> cross-encoder; else embedding.

    A config names its head through ``architectures``; configs written without it still mark a
    classification head by named labels in ``id2label`` (not the LABEL_0, LABEL_1 defaults every
    config carries) or by a sentence-transformers CrossEncoder section.

    Args:
        config: The model's ``config.json``, parsed.

    Returns:
        ``"gliclass"``, ``"cross-encoder"`` or ``"embedding"``.
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
    **backend_options: Any,
) -> Scorer:
    """Load a local directory or hub id as a Scorer; ``kind`` wins, else the model's config decides.

    Every option is checked (``LoadOptions``) before anything is read; the backend registry
    (``scorers/registry.py``) then picks the loader for (kind, backend).

    Args:
        model: A local model directory or a hub id (the cache first, then a download).
        kind: ``"cross-encoder"``, ``"gliclass"``, ``"embedding"``, or None to read it from the config.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` or None (the best available).
        dtype: ``"float32"``, ``"float16"``, ``"bfloat16"`` or None (float32 on CPU).
        batch_size: Pairs per forward pass at most.
        max_length: Tokens per pair (None: the model's own limit).
        trust_remote_code: Run code the checkpoint ships (refused by default).
        allow_pickle: Load pickled weights when no safetensors exist (refused by default).
        label_map: NLI role -> output index, for checkpoints with generic ``id2label``.
        truncation: Default policy for long pairs: ``"window"``, ``"head"`` or ``"error"``.
        token_budget: Padded tokens per forward pass at most.
        revision: Branch, tag or commit of a hub model.
        backend: ``"torch"``, or ``"onnx"`` (cross-encoders, extra ``onnx``: exported once, cached under
            ``$ENTAILKIT_CACHE_DIR``, default ``~/.cache/entailkit``).
        quantize: ``"int8"`` for dynamic int8 weights (ONNX only).
        **backend_options: A backend's own options (GLiClass: ``max_labels_per_pass``,
            ``example_format``, ``min_text_tokens``; ONNX: ``cache_dir``, ``threads``, ``opset``).

    Returns:
        The scorer; ``scorer.info`` says what was loaded.

    Raises:
        InvalidInputError: A bad option (named in the message).
        ModelLoadError: The model cannot be found, read or loaded.
        MissingDependencyError: The backend needs an extra that is not installed (``gliclass`` for GLiClass
            models, ``onnx`` for ``backend="onnx"``).
    """
    if kind is not None and kind not in registry.kinds():
        raise InvalidInputError(f"kind must be one of {registry.kinds()} or None, got {kind!r}.")
    if backend not in registry.backends():
        raise InvalidInputError(f"backend must be one of {registry.backends()}, got {backend!r}.")
    if quantize is not None and backend != "onnx":
        raise InvalidInputError(f"quantize={quantize!r} needs backend='onnx' (the torch backend does not quantize).")
    options = LoadOptions(
        device=device,
        dtype=dtype,
        batch_size=batch_size,
        max_length=max_length,
        trust_remote_code=trust_remote_code,
        allow_pickle=allow_pickle,
        label_map=label_map,
        truncation=truncation,
        token_budget=token_budget,
        revision=revision,
        quantize=quantize,
        extra=backend_options,
    )
    return load_with_options(model, kind, backend, options)


def load_with_options(model: str | os.PathLike[str], kind: str | None, backend: str, options: LoadOptions) -> Scorer:
    """Find the checkpoint, check it, choose the kind and call the registered loader.

    Args:
        model: A local model directory or a hub id.
        kind: The model family, or None to read it from the config.
        backend: The runtime (``"torch"``, ``"onnx"``).
        options: The checked loading options.

    Raises:
        InvalidInputError: ``max_length`` is longer than the model's positions, or there is no loader for
            (kind, backend).
        ModelLoadError: The model cannot be found, its config read, or it ships code and
            ``trust_remote_code`` is False; or the loader fails.
        MissingDependencyError: The loader needs an extra that is not installed.
    """
    model_dir = resolve_model_dir(model, revision=options.revision, allow_pickle=options.allow_pickle)
    config = read_config(model_dir)
    check_max_length(options.max_length, config, str(model))
    check_remote_code(model_dir, config, options.trust_remote_code)
    chosen = kind or detect_kind(config)
    return registry.get_loader(chosen, backend)(str(model), model_dir, config, chosen, options)
