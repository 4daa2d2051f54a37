"""Resolve device and dtype once, log the choice, and refuse explicit requests that cannot be met."""

from __future__ import annotations

import logging
from typing import Any

import torch

from entailkit.errors import ModelLoadError

__all__ = ["dtype_name", "resolve_device", "resolve_dtype"]

logger = logging.getLogger(__name__)

_DTYPE_NAMES: dict[str, torch.dtype] = {
    "float32": torch.float32,
    "fp32": torch.float32,
    "float": torch.float32,
    "float16": torch.float16,
    "fp16": torch.float16,
    "half": torch.float16,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
}


def resolve_device(device: Any = None) -> torch.device:
    """``None`` picks cuda, then mps, then cpu; an explicit device that is not available raises.

    Args:
        device: None, a device string (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``) or a ``torch.device``.

    Raises:
        ModelLoadError: Not a valid device, not available here, or neither CPU, CUDA nor MPS.
    """
    if device is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ModelLoadError(
            f"device {device!r} is not a valid torch device ({exc}); use 'cpu', 'cuda', 'cuda:1' or 'mps'."
        ) from exc
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ModelLoadError(
                "device='cuda' was requested but CUDA is not available here; use device='cpu' or None."
            )
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ModelLoadError(f"device {device!r} does not exist: only {torch.cuda.device_count()} CUDA device(s).")
    elif resolved.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ModelLoadError("device='mps' was requested but MPS is not available here; use device='cpu' or None.")
    elif resolved.type != "cpu":
        raise ModelLoadError(f"device {device!r} is not supported; use 'cpu', 'cuda' or 'mps'.")
    return resolved


def resolve_dtype(dtype: Any, device: torch.device) -> torch.dtype:
    """``None`` is float32 on CPU and MPS (fp16 matmuls are slow on CPU) and bfloat16/float16 on CUDA.

    Args:
        dtype: None or ``"auto"``, a name (``"float32"``, ``"fp16"``, ``"bf16"``, ...) or a ``torch.dtype``.
        device: The resolved device.

    Raises:
        ModelLoadError: An unknown or unsupported dtype, or bfloat16 on a GPU without it.
    """
    if dtype is None or dtype == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    if isinstance(dtype, torch.dtype):
        resolved = dtype
    elif isinstance(dtype, str) and dtype.lower() in _DTYPE_NAMES:
        resolved = _DTYPE_NAMES[dtype.lower()]
    else:
        raise ModelLoadError(f"dtype {dtype!r} is not supported; use 'float32', 'float16' or 'bfloat16'.")
    if resolved not in (torch.float32, torch.float16, torch.bfloat16):
        raise ModelLoadError(f"dtype {resolved} is not supported; use float32, float16 or bfloat16.")
    if resolved == torch.bfloat16 and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ModelLoadError("bfloat16 was requested but this GPU does not support it; use dtype='float16'.")
    if resolved != torch.float32 and device.type == "cpu":
        logger.warning("dtype %s on CPU was requested explicitly: half-precision matmuls are slow on CPU.", resolved)
    return resolved


def dtype_name(dtype: torch.dtype) -> str:
    """'float32', 'float16' or 'bfloat16'.

    Args:
        dtype: A torch dtype.
    """
    return str(dtype).removeprefix("torch.")
