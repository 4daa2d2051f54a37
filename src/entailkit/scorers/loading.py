"""load_scorer(): a local path or hub id -> the right Scorer, chosen from the model's own config."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from entailkit._validation import check_positive_int
from entailkit.errors import InvalidInputError, ModelLoadError
from entailkit.scorers.base import Scorer
from entailkit.scorers.hub import resolve_model_dir
from entailkit.types import ScorerKind, Truncation

logger = logging.getLogger(__name__)

KINDS: tuple[str, ...] = ("cross-encoder", "gliclass", "embedding")
BACKENDS: tuple[str, ...] = ("torch", "onnx")
_ROBERTA_LIKE = {"roberta", "xlm-roberta", "camembert", "xlm-roberta-xl"}
_DEFAULT_LABEL = re.compile(r"LABEL_\d+")


def read_config(model_dir: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"cannot read {model_dir / 'config.json'}: {exc}") from exc
    return data


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


def check_weights(model_dir: Path, allow_pickle: bool) -> bool:
    """True to load safetensors; False only if the caller opted into pickle weights."""
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
    """The smallest of: sentence-transformers' max_seq_length, the tokenizer's limit, the position table."""
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
    if quantize is not None and backend != "onnx":
        raise InvalidInputError(f"quantize={quantize!r} needs backend='onnx' (the torch backend does not quantize).")
    check_positive_int(batch_size, "batch_size", allow_none=False)
    check_positive_int(max_length, "max_length")
    check_positive_int(token_budget, "token_budget")
    model_dir = resolve_model_dir(model, revision=revision, allow_pickle=allow_pickle)
    config = read_config(model_dir)
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
