"""ONNX Runtime backend for cross-encoders: the CrossEncoderScorer machinery with an ONNX forward pass.

Everything except the forward pass is shared with the torch scorer (pair planning, sliding windows,
token-budget batches, head detection, label maps, normalisation), so both backends return the same
result types with the same semantics; only ``_forward_batch`` differs. The graph comes from
:func:`entailkit.scorers.onnx_export.cached_export` (exported once per checkpoint and options).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from entailkit._optional import require
from entailkit.errors import ModelLoadError
from entailkit.scorers import heads
from entailkit.scorers.checkpoint import LoadOptions, check_weights, default_max_length
from entailkit.scorers.cross_encoder import CrossEncoderScorer
from entailkit.scorers.onnx_export import DEFAULT_OPSET, cached_export, check_quantize
from entailkit.scorers.transformers_loading import load_tokenizer
from entailkit.types import ScorerInfo, Truncation

__all__ = ["ONNX_OPTIONS", "OnnxCrossEncoderScorer", "OnnxRunner", "load_onnx_scorer", "make_session"]

logger = logging.getLogger(__name__)


class OnnxRunner:
    """An onnxruntime InferenceSession plus the model's transformers config (what the scorer reads)."""

    def __init__(self, session: Any, config: Any, path: Path) -> None:
        """Keep the session, the config and where the graph is.

        Args:
            session: An ``onnxruntime.InferenceSession`` over the exported graph (``make_session``).
            config: The model's transformers config (``num_labels``, ``id2label``).
            path: The ``model.onnx`` file the session runs.
        """
        self.session = session
        self.config = config
        self.path = path
        self.input_names = tuple(i.name for i in session.get_inputs())

    def __call__(self, encoded: Mapping[str, np.ndarray]) -> np.ndarray:
        """Logits for one tokenized batch; inputs the graph does not take are dropped."""
        feed = {name: np.asarray(encoded[name], dtype=np.int64) for name in self.input_names}
        (logits,) = self.session.run(["logits"], feed)
        return np.asarray(logits, dtype=np.float32)


class OnnxCrossEncoderScorer(CrossEncoderScorer):
    """A CrossEncoderScorer whose forward pass runs in ONNX Runtime (fp32 or per-token int8)."""

    def __init__(
        self,
        runner: OnnxRunner,
        tokenizer: Any,
        *,
        info: ScorerInfo,
        batch_size: int = 32,
        token_budget: int | None = None,
        truncation: Truncation = "window",
    ) -> None:
        """Wrap an ONNX runner; ``load_scorer(..., backend="onnx")`` builds this and fills ``info``.

        Args:
            runner: The ONNX session and config of the exported cross-encoder.
            tokenizer: The model's fast tokenizer.
            info: What the model is (head, label map, max length; dtype ``"onnx-float32"`` or ``"onnx-int8"``).
            batch_size: Pairs per forward pass at most.
            token_budget: Padded tokens per forward pass at most (None: the default budget).
            truncation: The default policy for long pairs: ``"window"``, ``"head"`` or ``"error"``.

        Raises:
            InvalidInputError: ``truncation`` is not one of the policies.
        """
        super().__init__(
            runner, tokenizer, info=info, batch_size=batch_size, token_budget=token_budget, truncation=truncation
        )
        self.runner = runner

    def _forward_batch(self, first: list[str], second: list[str], relevance: bool) -> np.ndarray:
        return self.runner(self._encode(first, second, relevance, "np"))

    def __repr__(self) -> str:
        i = self._info
        return f"OnnxCrossEncoderScorer(model={i.model!r}, head={i.head!r}, dtype={i.dtype!r}, onnx={str(self.runner.path)!r})"


def make_session(path: Path, *, threads: int | None = None, device: Any = None) -> Any:
    """An InferenceSession with full graph optimisation; ``threads`` intra-op threads (default: torch's count).

    Args:
        path: The ONNX model file.
        threads: Intra-op threads (None: torch's thread count).
        device: ``"cpu"`` or None (the CPU provider), or ``"cuda"`` / ``"cuda:N"`` (needs onnxruntime-gpu).

    Raises:
        MissingDependencyError: ``onnxruntime`` is not installed (the ``onnx`` extra).
        ModelLoadError: CUDA was asked for without the CUDA provider, or the device is neither CPU nor CUDA.
    """
    ort = require("onnxruntime", extra="onnx")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads if threads is not None else _default_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=_providers(ort, device))


def _default_threads() -> int:
    try:
        import torch

        return int(torch.get_num_threads())
    except ImportError:  # pragma: no cover - torch is a core dependency
        return os.cpu_count() or 1


def _providers(ort: Any, device: Any) -> list[str]:
    name = str(device) if device is not None else "cpu"
    if name == "cpu":
        return ["CPUExecutionProvider"]
    if name.startswith("cuda"):
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise ModelLoadError(
                "backend='onnx' with device='cuda' needs onnxruntime-gpu (CUDAExecutionProvider is not available); "
                "use device='cpu' or the torch backend."
            )
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    raise ModelLoadError(f"backend='onnx' supports device 'cpu' or 'cuda', got {device!r}.")


ONNX_OPTIONS: dict[str, Any] = {"cache_dir": None, "threads": None, "opset": DEFAULT_OPSET}
"""ONNX Runtime's own loading options (``load_scorer(..., backend="onnx", **backend_options)``)."""


def load_onnx_scorer(
    name: str, model_dir: Path, config: Mapping[str, Any], kind: str, options: LoadOptions
) -> OnnxCrossEncoderScorer:
    """Export (or reuse the cached export of) a cross-encoder and wrap the ONNX session in the scorer.

    The registry's loader for (cross-encoder, onnx); ``load_scorer`` calls it.

    Args:
        name: The model as the caller named it (``info.model``).
        model_dir: The local checkpoint directory.
        config: Its parsed ``config.json``.
        kind: The kind chosen (``"cross-encoder"``).
        options: The checked loading options; ``extra`` may hold ``cache_dir``, ``threads`` and ``opset``.

    Raises:
        InvalidInputError: An unknown ONNX option or a bad ``quantize``.
        MissingDependencyError: The ``onnx`` extra is not installed.
        ModelLoadError: A dtype other than float32, missing or pickle-only weights, a failed export, an
            unsupported device, or a head whose outputs cannot be told apart.
    """
    extra = options.check_extra(ONNX_OPTIONS, "ONNX Runtime")
    o = options
    mode = check_quantize(o.quantize)
    if o.dtype not in (None, "auto", "float32", "fp32"):
        raise ModelLoadError(
            f"backend='onnx' runs float32 graphs (optionally with int8 weights: quantize='int8'), got dtype={o.dtype!r}."
        )
    require("onnxruntime", extra="onnx")
    from transformers import AutoConfig

    use_safetensors = check_weights(model_dir, o.allow_pickle)
    tokenizer = load_tokenizer(model_dir, o.trust_remote_code)
    hf_config = AutoConfig.from_pretrained(str(model_dir), trust_remote_code=o.trust_remote_code)
    path = cached_export(
        model_dir,
        quantize=mode,
        revision=o.revision,
        cache_dir=extra["cache_dir"],
        opset=extra["opset"],
        use_safetensors=use_safetensors,
        trust_remote_code=o.trust_remote_code,
    )
    runner = OnnxRunner(make_session(path, threads=extra["threads"], device=o.device), hf_config, path)
    num_labels = int(hf_config.num_labels)
    id2label = {int(k): str(v) for k, v in (hf_config.id2label or {}).items()}
    limit = o.max_length or default_max_length(tokenizer, config, model_dir)
    info = ScorerInfo(
        model=name,
        kind="cross-encoder",
        head=heads.head_kind(num_labels),
        native="pairs",
        id2label=id2label,
        label_map=heads.detect_label_map(id2label, num_labels, o.label_map),
        first_stage=heads.first_stage_fusion(hf_config, num_labels),
        max_length=limit,
        device="cpu" if o.device is None else str(o.device),
        dtype="onnx-int8" if mode == "int8" else "onnx-float32",
        revision=o.revision,
    )
    logger.info("loaded cross-encoder %s with ONNX Runtime (%s) from %s", name, info.dtype, path)
    return OnnxCrossEncoderScorer(
        runner, tokenizer, info=info, batch_size=o.batch_size, token_budget=o.token_budget, truncation=o.truncation
    )
