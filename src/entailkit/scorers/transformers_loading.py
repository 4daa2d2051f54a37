"""Build CrossEncoderScorer and EmbeddingScorer from a local model directory with transformers."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from entailkit.errors import ModelLoadError
from entailkit.scorers import heads
from entailkit.scorers.base import Scorer
from entailkit.scorers.checkpoint import LoadOptions, check_weights, default_max_length
from entailkit.scorers.device import dtype_name, resolve_device, resolve_dtype
from entailkit.types import ScorerInfo

__all__ = ["load_tokenizer", "load_transformers_scorer", "quiet_transformers"]

logger = logging.getLogger(__name__)


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Hide transformers' weight-loading progress bar: the library API is quiet by default."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]


def load_tokenizer(model_dir: Path, trust_remote_code: bool) -> Any:
    """The checkpoint's tokenizer, which must be a fast (Rust) one: windows need its character offsets.

    Args:
        model_dir: The checkpoint directory.
        trust_remote_code: Run tokenizer code the checkpoint ships.

    Raises:
        ModelLoadError: The tokenizer cannot be loaded, or is not a fast tokenizer.
    """
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(model_dir), trust_remote_code=trust_remote_code)
    except Exception as exc:
        raise ModelLoadError(f"cannot load the tokenizer from {model_dir}: {exc}") from exc
    # We count tokens of whole texts on purpose (to plan windows); the "longer than max length" warning is noise.
    warned = getattr(tokenizer, "deprecation_warnings", None)
    if isinstance(warned, dict):
        warned["sequence-length-is-longer-than-the-specified-maximum"] = True
    if not getattr(tokenizer, "is_fast", False):
        raise ModelLoadError(
            f"the tokenizer in {model_dir} is not a fast (Rust) tokenizer; entailkit needs character offsets. "
            "Save it with tokenizer.json (AutoTokenizer.from_pretrained(..., use_fast=True).save_pretrained(dir))."
        )
    return tokenizer


def load_transformers_scorer(
    name: str, model_dir: Path, config: Mapping[str, Any], kind: str, options: LoadOptions
) -> Scorer:
    """Load weights safely, place them on the resolved device/dtype, and wrap them in the right scorer.

    The registry's loader for cross-encoders and embedding models on torch. An embedding scorer gets the
    ``"head"`` truncation default unless ``options.truncation`` is ``"error"``.

    Args:
        name: The model as the caller named it (``info.model``).
        model_dir: The local checkpoint directory.
        config: Its parsed ``config.json``.
        kind: ``"cross-encoder"`` or ``"embedding"``.
        options: The checked loading options (no backend options are accepted).

    Returns:
        A ``CrossEncoderScorer`` or an ``EmbeddingScorer``.

    Raises:
        InvalidInputError: ``options.extra`` is not empty.
        ModelLoadError: Missing or refused weights, an unavailable device or dtype, a tokenizer that is
            not fast, weights that fail to load, or a head that is not supported or whose outputs cannot
            be told apart.
    """
    from transformers import AutoModel, AutoModelForSequenceClassification

    o = options
    o.check_extra({}, "the torch backend")

    use_safetensors = check_weights(model_dir, o.allow_pickle)
    torch_device = resolve_device(o.device)
    torch_dtype = resolve_dtype(o.dtype, torch_device)
    tokenizer = load_tokenizer(model_dir, o.trust_remote_code)
    auto = AutoModelForSequenceClassification if kind == "cross-encoder" else AutoModel
    try:
        with quiet_transformers():
            model = auto.from_pretrained(
                str(model_dir),
                dtype=torch_dtype,
                use_safetensors=use_safetensors,
                trust_remote_code=o.trust_remote_code,
            )
    except Exception as exc:
        raise ModelLoadError(f"cannot load {kind} weights from {model_dir}: {exc}") from exc
    model.to(torch_device).eval()
    limit = o.max_length or default_max_length(tokenizer, config, model_dir)
    common = dict(
        model=name,
        kind=kind,
        max_length=limit,
        device=str(torch_device),
        dtype=dtype_name(torch_dtype),
        revision=o.revision,
    )
    logger.info("loaded %s %s on %s (%s), max_length=%d", kind, name, torch_device, dtype_name(torch_dtype), limit)
    if kind == "embedding":
        from entailkit.scorers.embedding import EmbeddingScorer

        info = ScorerInfo(head="cosine", native="pairs", **common)  # type: ignore[arg-type]
        return EmbeddingScorer(
            model,
            tokenizer,
            info=info,
            batch_size=o.batch_size,
            token_budget=o.token_budget,
            truncation="error" if o.truncation == "error" else "head",
        )
    from entailkit.scorers.cross_encoder import CrossEncoderScorer

    num_labels = int(model.config.num_labels)
    id2label = {int(k): str(v) for k, v in (model.config.id2label or {}).items()}
    info = ScorerInfo(
        head=heads.head_kind(num_labels),
        native="pairs",
        id2label=id2label,
        label_map=heads.detect_label_map(id2label, num_labels, o.label_map),
        first_stage=heads.first_stage_fusion(model.config, num_labels),
        **common,  # type: ignore[arg-type]
    )
    return CrossEncoderScorer(
        model, tokenizer, info=info, batch_size=o.batch_size, token_budget=o.token_budget, truncation=o.truncation
    )
