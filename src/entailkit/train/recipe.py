"""The default fine-tuning recipe as one validated, JSON-serialisable config."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Precision", "TrainConfig"]

Precision = Literal["auto", "fp32", "bf16"]


class TrainConfig(BaseModel):
    """Hyper-parameters of a fine-tuning run (AdamW, linear warm-up and decay, early stopping on dev).

    ``precision="auto"`` trains in fp32 on CPU and with bf16 autocast on CUDA. ``eval_every`` counts
    optimizer steps (0: evaluate at the end of each epoch only). ``patience`` counts evaluations without
    improvement before stopping (0: never stop early).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    learning_rate: float = Field(default=5e-5, gt=0)
    """AdamW's peak learning rate, reached after the warm-up."""
    weight_decay: float = Field(default=0.01, ge=0)
    """AdamW weight decay (biases and norm weights get none)."""
    epochs: float = Field(default=2.0, gt=0)
    """Passes over the training data (fractions allowed); ignored when ``max_steps`` is set."""
    max_steps: int | None = Field(default=None, ge=1)
    """Total optimizer steps; None: ``epochs`` decides."""
    batch_size: int = Field(default=32, ge=1)
    """Examples per forward pass."""
    grad_accum: int = Field(default=1, ge=1)
    """Batches whose gradients add up to one optimizer step."""
    warmup_ratio: float = Field(default=0.1, ge=0, lt=1)
    """Fraction of the steps over which the learning rate rises linearly from 0 (then decays linearly)."""
    max_length: int = Field(default=128, ge=8)
    """Tokens per training input; longer inputs are truncated."""
    max_grad_norm: float = Field(default=1.0, gt=0)
    """Gradients are clipped to this norm before each optimizer step."""
    seed: int = 42
    """Seeds python, numpy and torch, the batch order and the dev split taken when no dev set is given."""
    eval_every: int = Field(default=0, ge=0)
    """Evaluate on dev every N optimizer steps (0: at the end of each epoch only)."""
    patience: int = Field(default=3, ge=0)
    """Evaluations without a better dev score before training stops (0: never stop early)."""
    bucket_size: int = Field(default=50, ge=1)
    """Length bucketing: batches are cut from length-sorted chunks of ``bucket_size`` batches."""
    precision: Precision = "auto"
    """``"auto"`` (fp32 on CPU, bf16 autocast on CUDA), ``"fp32"`` or ``"bf16"``."""
    device: str | None = None
    """``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...; None: CUDA when available, else the CPU."""
    save_every: int = Field(default=0, ge=0)
    """Write ``checkpoint-last`` every N optimizer steps (0: at each evaluation)."""
    num_threads: int | None = Field(default=None, ge=1)
    """Torch CPU threads for the run (None: torch's default)."""
    eval_batch_size: int = Field(default=64, ge=1)
    """Examples per forward pass when scoring dev."""

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        if self.max_steps is None and self.epochs <= 0:
            raise ValueError("epochs must be > 0 when max_steps is not set")
        return self

    @property
    def effective_batch_size(self) -> int:
        """Examples per optimizer step."""
        return self.batch_size * self.grad_accum
