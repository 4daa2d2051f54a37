"""The optimisation loop both trainers share: steps, dev evaluation with early stopping, resumable state.

A trainer supplies what is model-specific (how a batch becomes a loss, how dev is scored, how the best
weights are written); the loop owns the order of batches, the optimizer and scheduler steps, the
throughput log, patience and ``checkpoint-last``, so a run interrupted at any step resumes exactly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from entailkit.train import _common as common
from entailkit.train.recipe import TrainConfig

__all__ = ["LoopHooks", "Start", "new_state", "run_loop", "start"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoopHooks:
    """The model-specific parts of a run.

    ``batch_loss(idx)`` returns the mean loss tensor of one batch (the loop scales and back-propagates it);
    ``dev_score()`` returns (metric name, value), higher is better, or None when there is no dev set;
    ``save_best()`` writes the current weights as the run's result.
    """

    batch_loss: Callable[[Sequence[int]], Any]
    dev_score: Callable[[], tuple[str, float] | None]
    save_best: Callable[[], None]


@dataclass
class Start:
    """What a run needs before its first step: optimizer, scheduler, step counts and the loop state."""

    optimizer: Any
    scheduler: Any
    steps_per_epoch: int
    n_steps: int
    state: dict[str, Any]
    resumed_from: int


def start(
    model: Any,
    config: TrainConfig,
    lengths: Sequence[int],
    out_dir: Path,
    saved: dict[str, Any] | None,
    fingerprint: str,
) -> Start:
    """AdamW with linear warm-up and decay over the run's steps; restored from ``checkpoint-last`` when
    ``saved`` (its loop state) is given, else a fresh state.

    Args:
        model: The model to train.
        config: The recipe.
        lengths: Each training row's length (for the batch count).
        out_dir: The run's output folder (its ``checkpoint-last``).
        saved: The loop state of ``checkpoint-last`` to resume, or None.
        fingerprint: The run's data-and-recipe hash, kept in a fresh state.
    """
    from transformers import get_linear_schedule_with_warmup

    n_batches = len(common.bucket_batches(lengths, config.batch_size, config.bucket_size, config.seed))
    steps_per_epoch, n_steps = common.total_steps(n_batches, config)
    optimizer = common.make_optimizer(model, config)
    scheduler = get_linear_schedule_with_warmup(  # type: ignore[no-untyped-call]
        optimizer, round(config.warmup_ratio * n_steps), n_steps
    )
    state = saved or new_state(fingerprint)
    if saved:
        common.restore_optimizer(out_dir, optimizer, scheduler)
        logger.info("resuming %s from step %d", out_dir, saved["step"])
    return Start(optimizer, scheduler, steps_per_epoch, n_steps, state, int(state["step"]))


def new_state(fingerprint: str) -> dict[str, Any]:
    """The JSON loop state of a run that starts from step 0.

    Args:
        fingerprint: The run's data-and-recipe hash (a checkpoint resumes only into the same run).
    """
    return {
        "fingerprint": fingerprint,
        "step": 0,
        "epoch": 0,
        "batch": 0,
        "best": None,
        "best_step": 0,
        "bad_evals": 0,
        "metric": None,
        "history": [],
        "stopped_early": False,
    }


def run_loop(
    *,
    model: Any,
    optimizer: Any,
    scheduler: Any,
    config: TrainConfig,
    lengths: Sequence[int],
    n_steps: int,
    state: dict[str, Any],
    hooks: LoopHooks,
    out_dir: Path,
    description: str,
    show_progress: bool,
) -> list[float]:
    """Train until ``n_steps`` or early stopping, updating ``state`` in place; returns the batch losses seen.

    Dev is scored every ``config.eval_every`` steps (or at each epoch's end) and once more at the end; a run
    without dev rows keeps its last weights.

    Args:
        model: The model (in train mode).
        optimizer: Its optimizer (``start``).
        scheduler: Its learning-rate scheduler (``start``).
        config: The recipe.
        lengths: Each training row's length (for length-bucketed batches).
        n_steps: The optimizer steps to reach.
        state: The loop state (fresh or resumed), updated in place.
        hooks: The model-specific batch loss, dev score and save.
        out_dir: The run's output folder (``checkpoint-last`` is written there).
        description: The progress bar's label.
        show_progress: Show a progress bar.
    """
    import torch

    cfg = config
    losses: list[float] = []
    loss_mark = 0

    def evaluate() -> bool:
        """Score dev, keep the best weights; True when patience is exhausted."""
        nonlocal loss_mark
        scored = hooks.dev_score()
        if scored is None:
            return False
        name, value = scored
        recent = losses[loss_mark:] or losses[-1:]
        loss_mark = len(losses)
        entry = {"step": float(state["step"]), name: value}
        if recent:
            entry["train_loss"] = float(np.mean(recent))
        state["history"].append(entry)
        state["metric"] = name
        logger.info("step %d: dev %s = %.4f", state["step"], name, value)
        if state["best"] is None or value > state["best"]:
            state.update(best=value, best_step=state["step"], bad_evals=0)
            hooks.save_best()
        else:
            state["bad_evals"] += 1
        common.save_checkpoint(out_dir, model, optimizer, scheduler, state)
        return cfg.patience > 0 and state["bad_evals"] >= cfg.patience

    model.train()
    tick, seen = time.perf_counter(), 0  # throughput (examples/s, evaluations included) for the log
    with common.make_progress(show_progress) as progress:
        bar = progress.add_task(description, total=n_steps, completed=state["step"], info="")
        while state["step"] < n_steps and not state["stopped_early"]:
            batches = common.bucket_batches(lengths, cfg.batch_size, cfg.bucket_size, cfg.seed + state["epoch"])
            while state["batch"] < len(batches) and state["step"] < n_steps:
                group = batches[state["batch"] : state["batch"] + cfg.grad_accum]
                n_group = sum(len(b) for b in group)
                for idx in group:
                    loss = hooks.batch_loss(idx)
                    (loss * (len(idx) / n_group)).backward()
                    losses.append(float(loss.detach()))
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                state["batch"] += len(group)
                state["step"] += 1
                progress.update(bar, advance=1, info=f"loss {np.mean(losses[-50:]):.4f}")
                seen += n_group
                if state["step"] % 50 == 0:
                    rate = seen / max(time.perf_counter() - tick, 1e-9)
                    logger.info(
                        "step %d/%d, loss %.4f, %.1f examples/s", state["step"], n_steps, np.mean(losses[-50:]), rate
                    )
                if cfg.eval_every and state["step"] % cfg.eval_every == 0 and evaluate():
                    state["stopped_early"] = True
                    break
                if cfg.save_every and state["step"] % cfg.save_every == 0:
                    common.save_checkpoint(out_dir, model, optimizer, scheduler, state)
            if state["batch"] >= len(batches):
                state.update(epoch=state["epoch"] + 1, batch=0)
                if not cfg.eval_every and evaluate():
                    state["stopped_early"] = True
        if not state["stopped_early"] and (not state["history"] or state["history"][-1]["step"] != state["step"]):
            evaluate()
    if state["best"] is None:  # no dev rows: the last weights are the result
        hooks.save_best()
        if losses:
            state["history"].append({"step": float(state["step"]), "train_loss": float(np.mean(losses[-20:]))})
    return losses
