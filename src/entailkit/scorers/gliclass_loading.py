"""Load a GLiClass uni-encoder checkpoint safely and wrap it in a GLiClassScorer."""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from entailkit._optional import require
from entailkit.errors import InvalidInputError, ModelLoadError
from entailkit.scorers import gliclass_inputs as gi
from entailkit.types import ScorerInfo, Truncation

if TYPE_CHECKING:
    from entailkit.scorers.gliclass import GLiClassScorer

logger = logging.getLogger(__name__)


def load_gliclass(
    name: str,
    model_dir: Path,
    config: Mapping[str, Any],
    *,
    device: Any = None,
    dtype: Any = None,
    batch_size: int = 8,
    max_length: int | None = None,
    trust_remote_code: bool = False,
    allow_pickle: bool = False,
    truncation: Truncation = "window",
    token_budget: int | None = None,
    revision: str | None = None,
    max_labels_per_pass: int | None = None,
    example_format: gi.ExampleFormat = "rac",
    min_text_tokens: int | None = None,
) -> GLiClassScorer:
    """Build a GLiClassScorer from a local checkpoint directory (called by ``load_scorer``)."""
    from entailkit.scorers.checkpoint import check_weights, default_max_length
    from entailkit.scorers.device import dtype_name, resolve_device, resolve_dtype
    from entailkit.scorers.gliclass import GLiClassScorer
    from entailkit.scorers.transformers_loading import load_tokenizer, quiet_transformers

    gliclass = require("gliclass", extra="gliclass")
    _check_config(model_dir, config, trust_remote_code)
    use_safetensors = check_weights(model_dir, allow_pickle)
    torch_device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, torch_device)
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    # transformers reads the GLiClass config with its base config class and warns "model of type GLiClass
    # to instantiate a model of type ''" on every load; the warning is harmless.
    hf_logging.set_verbosity(logging.ERROR)
    try:
        tokenizer = load_tokenizer(model_dir, trust_remote_code)
        with quiet_transformers():
            model = gliclass.GLiClassModel.from_pretrained(
                str(model_dir), dtype=torch_dtype, use_safetensors=use_safetensors
            )
    except ModelLoadError:
        raise
    except Exception as exc:  # transformers and gliclass raise many types here
        raise ModelLoadError(f"cannot load GLiClass weights from {model_dir}: {exc}") from exc
    finally:
        hf_logging.set_verbosity(verbosity)
    model.to(device=torch_device, dtype=torch_dtype).eval()
    _check_tokens(tokenizer, model.config, model_dir)
    encoder = model.config.encoder_config.get_text_config().to_dict()
    limit = max_length or default_max_length(tokenizer, encoder, model_dir)
    info = ScorerInfo(
        model=name,
        kind="gliclass",
        head="gliclass",
        native="labels",
        max_length=limit,
        device=str(torch_device),
        dtype=dtype_name(torch_dtype),
        revision=revision,
    )
    logger.info("loaded gliclass %s on %s (%s), max_length=%d", name, torch_device, dtype_name(torch_dtype), limit)
    return GLiClassScorer(
        model,
        tokenizer,
        info=info,
        batch_size=batch_size,
        token_budget=token_budget,
        truncation=truncation,
        max_labels_per_pass=max_labels_per_pass,
        example_format=example_format,
        min_text_tokens=min_text_tokens,
    )


def _check_config(model_dir: Path, config: Mapping[str, Any], trust_remote_code: bool) -> None:
    """Only uni-encoders, and no silent remote code for an encoder transformers does not know."""
    from transformers.models.auto import CONFIG_MAPPING

    if str(config.get("model_type", "")).lower() != "gliclass":
        raise ModelLoadError(f"{model_dir} is not a GLiClass checkpoint (model_type={config.get('model_type')!r}).")
    arch = config.get("architecture_type", "uni-encoder")
    if arch != "uni-encoder":
        raise ModelLoadError(
            f"{model_dir} is a GLiClass {arch!r} model; entailkit supports uni-encoder GLiClass models "
            "(e.g. knowledgator/gliclass-modern-base-v2.0-init). Use gliclass's own pipeline for this one."
        )
    encoder = config.get("encoder_config") or {}
    encoder_type = encoder.get("model_type", "deberta-v2") if isinstance(encoder, Mapping) else "deberta-v2"
    if encoder_type not in CONFIG_MAPPING and not trust_remote_code:
        raise ModelLoadError(
            f"{model_dir} uses the encoder type {encoder_type!r}, unknown to transformers; loading it would run "
            "remote code. Pass trust_remote_code=True if you trust its source."
        )


def _check_tokens(tokenizer: Any, config: Any, model_dir: Path) -> None:
    """The tokenizer's ``<<LABEL>>`` / ``<<SEP>>`` ids must be the ones the model reads label slots from."""
    for marker, index in (
        (gi.LABEL_TOKEN, config.class_token_index),
        (gi.SEP_TOKEN, config.text_token_index),
    ):
        ids = tokenizer.convert_tokens_to_ids([marker])
        if not ids or ids[0] != index or ids[0] == tokenizer.unk_token_id:
            raise ModelLoadError(
                f"the tokenizer in {model_dir} maps {marker!r} to {ids[0] if ids else None}, but the model "
                f"expects id {index}; the checkpoint's tokenizer and config do not match."
            )


def load_gliclass_checkpoint(model: str | os.PathLike[str], **options: Any) -> GLiClassScorer:
    """``GLiClassScorer.from_pretrained``: every option checked before the checkpoint is read."""
    from entailkit.scorers.checkpoint import check_load_options, check_max_length, check_remote_code, read_config
    from entailkit.scorers.hub import resolve_model_dir

    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise InvalidInputError(f"unknown GLiClass loading option(s) {unknown}; known: {sorted(_OPTIONS)}.")
    checked = {key: options.get(key, default) for key, default in _CHECKED_DEFAULTS.items()}
    check_load_options(label_map=None, **checked)
    model_dir = resolve_model_dir(model, revision=checked["revision"], allow_pickle=checked["allow_pickle"])
    config = read_config(model_dir)
    check_max_length(checked["max_length"], config, str(model))
    check_remote_code(model_dir, config, checked["trust_remote_code"])
    return load_gliclass(str(model), model_dir, config, **options)


_CHECKED_DEFAULTS: dict[str, Any] = {
    "batch_size": 8,
    "max_length": None,
    "token_budget": None,
    "revision": None,
    "trust_remote_code": False,
    "allow_pickle": False,
    "truncation": "window",
}
_OPTIONS = frozenset(inspect.signature(load_gliclass).parameters) - {"name", "model_dir", "config"}
