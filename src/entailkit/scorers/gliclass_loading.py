"""Load a GLiClass uni-encoder checkpoint safely and wrap it in a GLiClassScorer."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from entailkit._optional import require
from entailkit.errors import ModelLoadError
from entailkit.scorers import gliclass_inputs as gi
from entailkit.scorers.checkpoint import LoadOptions, check_weights, default_max_length
from entailkit.scorers.device import dtype_name, resolve_device, resolve_dtype
from entailkit.scorers.gliclass import GLiClassScorer
from entailkit.scorers.transformers_loading import load_tokenizer, quiet_transformers
from entailkit.types import ScorerInfo

__all__ = ["GLICLASS_OPTIONS", "load_gliclass"]

logger = logging.getLogger(__name__)

GLICLASS_OPTIONS: dict[str, Any] = {"max_labels_per_pass": None, "example_format": "rac", "min_text_tokens": None}
"""GLiClass's own loading options (``load_scorer(..., **backend_options)``) and their defaults."""


def load_gliclass(
    name: str, model_dir: Path, config: Mapping[str, Any], kind: str, options: LoadOptions
) -> GLiClassScorer:
    """Build a GLiClassScorer from a local checkpoint directory (the registry's loader for GLiClass).

    Args:
        name: The model as the caller named it (``info.model``).
        model_dir: The local checkpoint directory.
        config: Its parsed ``config.json``.
        kind: The kind chosen (``"gliclass"``).
        options: The checked loading options; ``extra`` may hold ``max_labels_per_pass``,
            ``example_format`` and ``min_text_tokens``.

    Raises:
        InvalidInputError: An unknown GLiClass option, or a bad value for one.
        MissingDependencyError: The ``gliclass`` extra is not installed.
        ModelLoadError: Not a GLiClass uni-encoder, an encoder type that would run remote code, missing or
            refused weights, an unavailable device or dtype, weights that fail to load, or a tokenizer whose
            marker tokens do not match the model.
    """
    extra = options.check_extra(GLICLASS_OPTIONS, "GLiClass")
    gliclass = require("gliclass", extra="gliclass")
    _check_config(model_dir, config, options.trust_remote_code)
    use_safetensors = check_weights(model_dir, options.allow_pickle)
    torch_device = resolve_device(options.device)
    torch_dtype = resolve_dtype(options.dtype, torch_device)
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    # transformers reads the GLiClass config with its base config class and warns "model of type GLiClass
    # to instantiate a model of type ''" on every load; the warning is harmless.
    hf_logging.set_verbosity(logging.ERROR)
    try:
        tokenizer = load_tokenizer(model_dir, options.trust_remote_code)
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
    limit = options.max_length or default_max_length(tokenizer, encoder, model_dir)
    info = ScorerInfo(
        model=name,
        kind="gliclass",
        head="gliclass",
        native="labels",
        max_length=limit,
        device=str(torch_device),
        dtype=dtype_name(torch_dtype),
        revision=options.revision,
    )
    logger.info("loaded gliclass %s on %s (%s), max_length=%d", name, torch_device, dtype_name(torch_dtype), limit)
    return GLiClassScorer(
        model,
        tokenizer,
        info=info,
        batch_size=options.batch_size,
        token_budget=options.token_budget,
        truncation=options.truncation,
        max_labels_per_pass=extra["max_labels_per_pass"],
        example_format=extra["example_format"],
        min_text_tokens=extra["min_text_tokens"],
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
