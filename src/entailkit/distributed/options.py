"""How a batch job runs on Ray: actors, resources, rows per Ray batch, retries, and how actors load the model.

Nothing here imports Ray or torch; the options are plain, picklable values the job functions turn
into ``map_batches`` arguments.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from entailkit.errors import InvalidInputError
from entailkit.scorers.base import Scorer
from entailkit.scorers.batching import DEFAULT_TOKEN_BUDGET, plan_batches
from entailkit.scorers.shared import shared_scorer

__all__ = [
    "FORWARD_PASSES_PER_BATCH",
    "TYPICAL_PAIR_TOKENS",
    "BatchOptions",
    "ScorerSpec",
    "rows_per_batch",
    "scorer_spec",
]

TYPICAL_PAIR_TOKENS = 128
"""Padded tokens of a typical (premise, hypothesis) pair, used to size Ray batches before any text is seen."""
FORWARD_PASSES_PER_BATCH = 4
"""Forward passes of the token-budget batcher that one Ray batch should fill: enough rows for length
sorting inside the actor to pay off, few enough that a retried batch or a progress step stays small."""


@dataclass(frozen=True)
class BatchOptions:
    """Execution options shared by ``rerank_dataset``, ``classify_dataset`` and ``check_dataset``.

    Attributes:
        num_actors: a fixed actor pool size, or ``(min_size, max_size)`` for an autoscaling pool.
            Each actor loads the model once and scores many batches.
        num_cpus: CPUs reserved per actor (Ray also sets ``OMP_NUM_THREADS`` from it for torch).
        num_gpus: GPUs per actor; ``None`` = 1 when the cluster has GPUs, else 0. With a GPU the
            scorer is placed on ``cuda`` unless ``scorer_kwargs`` names a device.
        rows_per_batch: rows handed to one actor call; ``None`` = derived from the token-budget batcher
            (see ``rows_per_batch``).
        max_retries: how often Ray re-runs a batch whose scoring raised (not bad rows: those go to
            the ``error`` column). Actors that die are restarted by Ray and their batches resubmitted.
        scorer_kwargs: keyword arguments for ``load_scorer`` in each actor (device, dtype,
            batch_size, max_length, token_budget, kind, ...); actors load through ``shared_scorer``, so
            the actors of one worker process share one model per (model, kwargs).
        scorer_factory: a picklable zero-argument callable returning a Scorer, used instead of
            ``shared_scorer(model, **scorer_kwargs)`` (custom or wrapped backends).
        runtime_env: extra Ray runtime environment for the actors (pip, working_dir, env_vars, ...);
            the Hugging Face / threading variables of the driver are forwarded in any case.
    """

    num_actors: int | tuple[int, int] = 1
    num_cpus: float = 1.0
    num_gpus: float | None = None
    rows_per_batch: int | None = None
    max_retries: int = 3
    scorer_kwargs: Mapping[str, Any] = field(default_factory=dict)
    scorer_factory: Callable[[], Scorer] | None = None
    runtime_env: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        sizes = self.num_actors if isinstance(self.num_actors, tuple) else (self.num_actors, self.num_actors)
        if (
            len(sizes) != 2
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes)
            or sizes[0] > sizes[1]
        ):
            raise InvalidInputError(
                f"num_actors must be an int >= 1 or a (min_size, max_size) tuple with 1 <= min <= max, "
                f"got {self.num_actors!r}."
            )
        if not isinstance(self.num_cpus, (int, float)) or self.num_cpus <= 0:
            raise InvalidInputError(f"num_cpus must be a number > 0, got {self.num_cpus!r}.")
        if self.num_gpus is not None and (not isinstance(self.num_gpus, (int, float)) or self.num_gpus < 0):
            raise InvalidInputError(f"num_gpus must be None or a number >= 0, got {self.num_gpus!r}.")
        if self.rows_per_batch is not None and (
            not isinstance(self.rows_per_batch, int) or isinstance(self.rows_per_batch, bool) or self.rows_per_batch < 1
        ):
            raise InvalidInputError(f"rows_per_batch must be None or an int >= 1, got {self.rows_per_batch!r}.")
        if not isinstance(self.max_retries, int) or isinstance(self.max_retries, bool) or self.max_retries < 0:
            raise InvalidInputError(f"max_retries must be an int >= 0, got {self.max_retries!r}.")
        if self.scorer_factory is not None and not callable(self.scorer_factory):
            raise InvalidInputError(
                f"scorer_factory must be a zero-argument callable returning a Scorer, got {self.scorer_factory!r}."
            )


def rows_per_batch(pairs_per_row: float, *, batch_size: int = 32, token_budget: int | None = None) -> int:
    """Rows per Ray batch: ``FORWARD_PASSES_PER_BATCH`` full passes of the token-budget batcher.

    One pass holds what ``plan_batches`` packs from pairs of ``TYPICAL_PAIR_TOKENS`` tokens under the
    scorer's ``batch_size`` and ``token_budget`` caps; a row costs ``pairs_per_row`` pairs (1 for a
    rerank pair, one per label for an NLI classifier, sentences x windows for a groundedness check).
    Inside the actor the scorer re-plans the real pairs by their real token lengths.

    Args:
        pairs_per_row: Model pairs one row costs (values under 1 count as 1).
        batch_size: The scorer's ``batch_size``: most pairs per forward pass.
        token_budget: The scorer's ``token_budget``: most padded tokens per forward pass; None: the
            default budget.

    Returns:
        The rows per Ray batch, at least 1.
    """
    budget = token_budget or max(DEFAULT_TOKEN_BUDGET, TYPICAL_PAIR_TOKENS)
    first_pass = plan_batches([TYPICAL_PAIR_TOKENS] * batch_size, batch_size, budget)[0]
    return max(1, int(FORWARD_PASSES_PER_BATCH * len(first_pass) / max(pairs_per_row, 1.0)))


@dataclass(frozen=True)
class ScorerSpec:
    """What each actor loads: ``factory()`` if given, else ``shared_scorer(model, **kwargs)``."""

    model: str | None
    kwargs: Mapping[str, Any]
    factory: Callable[[], Scorer] | None = None

    def load(self) -> Scorer:
        """The actor's scorer: the factory's, or the process's shared scorer of ``model`` and ``kwargs``.

        Through :func:`entailkit.shared_scorer`, actors (and jobs) that run in one worker process and name
        the same model and options hold one model in memory, not one each.

        Returns:
            The scorer the actor's task calls.

        Raises:
            InvalidInputError: The factory returned something that is not a Scorer.
        """
        if self.factory is not None:
            scorer = self.factory()
            if not isinstance(scorer, Scorer):
                raise InvalidInputError(
                    f"scorer_factory returned {type(scorer).__name__}, which does not implement the Scorer protocol."
                )
            return scorer
        assert self.model is not None
        return shared_scorer(self.model, **dict(self.kwargs))


def scorer_spec(model: str | os.PathLike[str] | None, options: BatchOptions, gpus: float) -> ScorerSpec:
    """The spec the actors load; the device follows the GPUs reserved for them unless set explicitly.

    Args:
        model: A local model directory (made absolute, for actors in another working directory) or a hub
            id; None only with ``options.scorer_factory``.
        options: The job's options (``scorer_kwargs``, ``scorer_factory``).
        gpus: GPUs reserved per actor: ``device`` defaults to ``"cuda"`` when > 0, else ``"cpu"``.

    Raises:
        InvalidInputError: Neither a model nor a ``scorer_factory`` is given.
    """
    if options.scorer_factory is None and model is None:
        raise InvalidInputError("pass a model (local directory or hub id) or BatchOptions(scorer_factory=...).")
    kwargs = dict(options.scorer_kwargs)
    kwargs.setdefault("device", "cuda" if gpus > 0 else "cpu")
    path = os.fspath(model) if model is not None else None
    if path is not None and os.path.exists(path):
        path = os.path.abspath(path)  # actors may run in another working directory
    return ScorerSpec(path, kwargs, options.scorer_factory)
