"""Checkpoint helpers (a leaf module): the caller's options, config.json, weights, limits, remote code.

Everything here runs before any weights load. Each bad option or checkpoint is refused here with a typed error, instead of surfacing later as an
AttributeError deep in transformers or as a tensor-size error on the first long input.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from entailkit._validation import check_positive_int
from entailkit.errors import InvalidInputError, ModelLoadError
from entailkit.types import Truncation

__all__ = [
    "MIN_MAX_LENGTH",
    "LoadOptions",
    "check_finite_env",
    "check_max_length",
    "check_remote_code",
    "check_weights",
    "default_max_length",
    "position_limit",
    "read_config",
]

MIN_MAX_LENGTH = 16
"""The shortest max_length that leaves room for special tokens, a hypothesis and a premise window."""
_ROBERTA_LIKE = {"roberta", "xlm-roberta", "camembert", "xlm-roberta-xl"}
_RELATIVE_ONLY = {"deberta", "deberta-v2"}
_LIST_OF_STR_KEYS = ("architectures",)
_STR_KEYS = ("model_type",)
_MAPPING_KEYS = ("id2label", "label2id", "auto_map", "encoder_config")


@dataclass(frozen=True)
class LoadOptions:
    """Every option of ``load_scorer``, checked once when built; the one argument each backend loader takes.

    ``extra`` holds a backend's own options (GLiClass: ``max_labels_per_pass``, ``example_format``,
    ``min_text_tokens``; ONNX: ``cache_dir``, ``threads``, ``opset``); each loader refuses those it
    does not know.

    Raises:
        InvalidInputError: An option is of the wrong type or out of range (checked when the object is built).
    """

    device: Any = None
    """``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` (or a torch device), or None for the best available."""
    dtype: Any = None
    """``"float32"``, ``"float16"``, ``"bfloat16"`` (or a torch dtype); None: float32 on CPU and MPS, bfloat16 (or
    float16) on CUDA."""
    batch_size: int = 32
    """Inputs per forward pass at most (a positive int)."""
    max_length: int | None = None
    """Tokens per input, at least ``MIN_MAX_LENGTH``; None: the model's own limit."""
    trust_remote_code: bool = False
    """Run code the checkpoint ships (refused by default)."""
    allow_pickle: bool = False
    """Load pickled weights when no safetensors exist (refused by default)."""
    label_map: Mapping[str, int] | None = None
    """NLI role -> output index, for checkpoints whose ``id2label`` does not say which output is which."""
    truncation: Truncation = "window"
    """The scorer's default policy for long inputs: ``"window"``, ``"head"`` or ``"error"``."""
    token_budget: int | None = None
    """Padded tokens per forward pass at most (None: the backend's default)."""
    revision: str | None = None
    """Branch, tag or commit of a hub model (None: the default branch)."""
    quantize: Literal["int8"] | None = None
    """``"int8"`` for dynamic int8 weights (the ONNX backend only)."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """A backend's own options (see above); checked by the backend's loader with ``check_extra``."""

    def __post_init__(self) -> None:
        check_positive_int(self.batch_size, "batch_size", allow_none=False)
        check_positive_int(self.max_length, "max_length")
        if self.max_length is not None and self.max_length < MIN_MAX_LENGTH:
            raise InvalidInputError(
                f"max_length={self.max_length} leaves no room for special tokens, a hypothesis and a premise "
                f"window; use at least {MIN_MAX_LENGTH} (or None for the model's own limit)."
            )
        check_positive_int(self.token_budget, "token_budget")
        revision = self.revision
        if revision is not None and (not isinstance(revision, str) or not revision.strip()):
            raise InvalidInputError(
                f"revision must be a branch, tag or commit hash (a non-empty str) or None, got {revision!r}."
            )
        if self.label_map is not None:
            _check_label_map(self.label_map)
        for name in ("trust_remote_code", "allow_pickle"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidInputError(f"{name} must be True or False, got {getattr(self, name)!r}.")
        if self.truncation not in ("window", "head", "error"):
            raise InvalidInputError(f"truncation must be one of ('window', 'head', 'error'), got {self.truncation!r}.")
        if self.quantize not in (None, "int8"):
            raise InvalidInputError(f"quantize must be 'int8' or None, got {self.quantize!r}.")
        if not isinstance(self.extra, Mapping):
            raise InvalidInputError(f"extra must be a dict of backend options, got {type(self.extra).__name__}.")

    def check_extra(self, known: Mapping[str, Any], backend: str) -> dict[str, Any]:
        """``known`` (name -> default) overlaid with ``extra``; an option the backend does not know is refused.

        Args:
            known: The backend's own options and their defaults.
            backend: The backend's name, for the error message (``"GLiClass"``, ``"ONNX Runtime"``).

        Returns:
            Every known option, with the value given in ``extra`` or its default.

        Raises:
            InvalidInputError: ``extra`` names an option not in ``known``.
        """
        unknown = sorted(set(self.extra) - set(known))
        if unknown:
            raise InvalidInputError(
                f"unknown {backend} option(s) {unknown}; {backend} takes {sorted(known) or 'none'} "
                "besides the options of load_scorer."
            )
        return {**known, **self.extra}


def _check_label_map(label_map: Any) -> None:
    if not isinstance(label_map, Mapping):
        raise InvalidInputError(
            f"label_map must be a dict of NLI role -> output index, e.g. {{'entailment': 0, 'neutral': 1, "
            f"'contradiction': 2}}, got {type(label_map).__name__} {label_map!r:.60}."
        )
    for key, value in label_map.items():
        if not isinstance(key, str) or isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInputError(
                f"label_map must map role names (str) to output indices (int), got {key!r}: {value!r}."
            )


def read_config(model_dir: Path) -> dict[str, Any]:
    """config.json as a dict, its well-known keys type-checked; anything else is a ModelLoadError.

    Args:
        model_dir: The checkpoint directory.

    Returns:
        The parsed config.

    Raises:
        ModelLoadError: ``config.json`` is missing or unreadable, not a JSON object, or a well-known key
            (``architectures``, ``model_type``, ``id2label``, ...) has the wrong type.
    """
    path = model_dir / "config.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ModelLoadError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelLoadError(f"{path} must hold a JSON object (a model config), got a JSON {type(data).__name__}.")
    for key in _LIST_OF_STR_KEYS:
        value = data.get(key)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            raise ModelLoadError(f"{path}: {key!r} must be a list of class names, got {value!r:.80}.")
    for key in _STR_KEYS:
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ModelLoadError(f"{path}: {key!r} must be a str, got {data[key]!r:.80}.")
    for key in _MAPPING_KEYS:
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise ModelLoadError(f"{path}: {key!r} must be a JSON object, got {data[key]!r:.80}.")
    return data


def position_limit(config: Mapping[str, Any]) -> int | None:
    """The longest input the position table allows, or None when positions are relative only.

    Args:
        config: The model config (a GLiClass config's ``encoder_config`` is read when it has the table).

    Returns:
        ``max_position_embeddings`` (less the 2 offset positions of RoBERTa-like models), or None when the
        config has none or the model uses relative positions only (DeBERTa without position-biased input).
    """
    encoder = config.get("encoder_config")
    source = encoder if isinstance(encoder, Mapping) and "max_position_embeddings" in encoder else config
    positions = source.get("max_position_embeddings")
    model_type = str(source.get("model_type", "")).lower()
    if model_type in _RELATIVE_ONLY and source.get("position_biased_input") is False:
        return None
    if isinstance(positions, bool) or not isinstance(positions, int) or positions <= 0:
        return None
    return positions - (2 if model_type in _ROBERTA_LIKE else 0)


def check_max_length(max_length: int | None, config: Mapping[str, Any], model: str) -> None:
    """Refuse a max_length longer than the model's position table (it would fail on the first long input).

    Args:
        max_length: The caller's ``max_length`` (None: nothing to check).
        config: The model config.
        model: The model's name, for the error message.

    Raises:
        InvalidInputError: ``max_length`` exceeds the positions the model has.
    """
    limit = position_limit(config)
    if max_length is not None and limit is not None and max_length > limit:
        raise InvalidInputError(
            f"max_length={max_length} is longer than {model!r} can read ({limit} positions); "
            f"use max_length <= {limit}, or None for the model's own limit."
        )


def check_remote_code(model_dir: Path, config: Mapping[str, Any], trust_remote_code: bool) -> None:
    """A checkpoint that ships its own model or tokenizer code loads only with trust_remote_code=True.

    transformers would otherwise load a stock class in its place (other scores, silently) or fail with a
    link built from the local path. We refuse before loading, naming the code files.

    Args:
        model_dir: The checkpoint directory (its ``tokenizer_config.json`` is read too).
        config: The model config (its ``auto_map`` names shipped code).
        trust_remote_code: The caller's consent; True skips the check.

    Raises:
        ModelLoadError: The config or the tokenizer config has an ``auto_map`` and ``trust_remote_code`` is
            False, or the tokenizer config cannot be read.
    """
    if trust_remote_code:
        return
    named: list[str] = []
    auto_map = config.get("auto_map")
    if isinstance(auto_map, Mapping):
        named += [f"{k} -> {v}" for k, v in auto_map.items()]
    tokenizer_config = model_dir / "tokenizer_config.json"
    if tokenizer_config.is_file():
        try:
            tok = json.loads(tokenizer_config.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise ModelLoadError(f"cannot read {tokenizer_config}: {exc}") from exc
        tok_map = tok.get("auto_map") if isinstance(tok, dict) else None
        if isinstance(tok_map, Mapping):
            named += [f"{k} -> {v}" for k, v in tok_map.items()]
    if named:
        raise ModelLoadError(
            f"{model_dir} ships its own code ({'; '.join(named)}), which entailkit does not run by default: "
            "loading a stock class in its place would give other scores. Read that code, then pass "
            "trust_remote_code=True if you trust its source."
        )


def check_finite_env(name: str, default: float) -> float:
    """A positive finite float from the environment variable ``name``, else ``default``.

    Args:
        name: The environment variable (a number of seconds).
        default: The value when it is unset or blank.

    Raises:
        InvalidInputError: The variable is set but not a positive finite number.
    """
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInputError(f"${name} must be a number of seconds, got {raw!r}.") from None
    if not math.isfinite(value) or value <= 0:
        raise InvalidInputError(f"${name} must be a positive number of seconds, got {raw!r}.")
    return value


def check_weights(model_dir: Path, allow_pickle: bool) -> bool:
    """True to load safetensors; False only if the caller opted into pickle weights.

    Args:
        model_dir: The checkpoint directory.
        allow_pickle: Whether the caller accepts ``*.bin`` / ``*.pt`` weights when there are no safetensors.

    Raises:
        ModelLoadError: There are no weights at all, or only pickle weights and ``allow_pickle`` is False.
    """
    if any(model_dir.glob("*.safetensors")):
        return True
    pickles = [p.name for p in model_dir.glob("*.bin")] + [p.name for p in model_dir.glob("*.pt")]
    if not pickles:
        raise ModelLoadError(f"{model_dir} holds no weights (*.safetensors); is the download complete?")
    if not allow_pickle:
        raise ModelLoadError(
            f"{model_dir} only has pickle weights ({', '.join(sorted(pickles))}); loading a pickle can run "
            "arbitrary code. Convert the checkpoint to safetensors, or pass allow_pickle=True if you trust its source."
        )
    return False


def default_max_length(tokenizer: Any, config: Mapping[str, Any], model_dir: Path) -> int:
    """The smallest of: sentence-transformers' max_seq_length, the tokenizer's limit, the position table.

    Args:
        tokenizer: The loaded tokenizer (its ``model_max_length``, when it is a real limit).
        config: The (encoder) model config (its ``max_position_embeddings``).
        model_dir: The checkpoint directory (its ``sentence_bert_config.json``, when present).

    Returns:
        The smallest limit found, or 512 when none is.
    """
    limits = []
    st_config = model_dir / "sentence_bert_config.json"
    if st_config.is_file():
        seq = json.loads(st_config.read_text(encoding="utf-8")).get("max_seq_length")
        if isinstance(seq, int):
            limits.append(seq)
    tok_limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(tok_limit, int) and tok_limit < 100_000:
        limits.append(tok_limit)
    positions = config.get("max_position_embeddings")
    if isinstance(positions, int) and positions > 0:
        offset = 2 if str(config.get("model_type", "")).lower() in _ROBERTA_LIKE else 0
        limits.append(positions - offset)
    return min(limits) if limits else 512
