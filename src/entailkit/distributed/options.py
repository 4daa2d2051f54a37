"""How a batch job runs on Ray: actors, resources, rows per Ray batch, retries, and how actors load the model.

Nothing here imports Ray or torch; the options are a frozen, picklable pydantic model, checked on the
driver, that the job functions turn into ``map_batches`` arguments.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from entailkit._validation import FieldProblem, invalid_input
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


_Count = Annotated[int, Field(ge=1)]

_WANTED = {
    "num_actors": "an int >= 1 or a (min_size, max_size) tuple with 1 <= min <= max",
    "num_cpus": "a number > 0",
    "num_gpus": "None or a number >= 0",
    "rows_per_batch": "None or an int >= 1",
    "max_retries": "an int >= 0",
    "scorer_kwargs": "a mapping of load_scorer's keyword arguments (names as str)",
    "scorer_factory": "a zero-argument callable returning a Scorer",
    "runtime_env": "None or a mapping of Ray runtime_env fields (names as str)",
}
"""What each option must be, in the message that refuses it."""


class BatchOptions(BaseModel):
    """Execution options shared by ``rerank_dataset``, ``classify_dataset`` and ``check_dataset``.

    A frozen pydantic model: every option is checked when the options are made (types strictly: ``"2"`` is not
    an int, ``True`` is not a number; numbers finite), so a bad one is refused on the driver before Ray starts,
    as an ``InvalidInputError`` naming the option and the value given.

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
            the actors of one worker process share one model per (model, kwargs). Held as a copy.
        scorer_factory: a picklable zero-argument callable returning a Scorer, used instead of
            ``shared_scorer(model, **scorer_kwargs)`` (custom or wrapped backends).
        runtime_env: extra Ray runtime environment for the actors (pip, working_dir, env_vars, ...);
            the Hugging Face / threading variables of the driver are forwarded in any case.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

    num_actors: _Count | tuple[_Count, _Count] = 1
    num_cpus: float = Field(default=1.0, gt=0)
    num_gpus: float | None = Field(default=None, ge=0)
    rows_per_batch: int | None = Field(default=None, ge=1)
    max_retries: int = Field(default=3, ge=0)
    scorer_kwargs: Mapping[str, Any] = Field(default_factory=dict)
    scorer_factory: Callable[[], Scorer] | None = None
    runtime_env: Mapping[str, Any] | None = None

    def __init__(
        self,
        num_actors: int | tuple[int, int] = 1,
        num_cpus: float = 1.0,
        num_gpus: float | None = None,
        rows_per_batch: int | None = None,
        max_retries: int = 3,
        scorer_kwargs: Mapping[str, Any] | None = None,
        scorer_factory: Callable[[], Scorer] | None = None,
        runtime_env: Mapping[str, Any] | None = None,
    ) -> None:
        """Check and hold the options (positional in this order, as the dataclass they replace took them).

        Args:
            num_actors: An int >= 1, or ``(min_size, max_size)`` with ``1 <= min_size <= max_size``.
            num_cpus: A number > 0.
            num_gpus: None, or a number >= 0.
            rows_per_batch: None, or an int >= 1.
            max_retries: An int >= 0.
            scorer_kwargs: A mapping with str keys (None: none).
            scorer_factory: None, or a zero-argument callable returning a Scorer.
            runtime_env: None, or a mapping with str keys.

        Raises:
            InvalidInputError: Each refused option, with what it must be and the value given.
        """
        given = {
            "num_actors": num_actors,
            "num_cpus": num_cpus,
            "num_gpus": num_gpus,
            "rows_per_batch": rows_per_batch,
            "max_retries": max_retries,
            "scorer_kwargs": {} if scorer_kwargs is None else scorer_kwargs,
            "scorer_factory": scorer_factory,
            "runtime_env": runtime_env,
        }
        try:
            super().__init__(**given)
        except ValidationError as exc:
            raise invalid_input(exc, lambda problem: _refusal(problem, given), sep=" ") from None

    def replace(self, **changes: Any) -> BatchOptions:
        """A copy with ``changes``, checked like new options (what ``dataclasses.replace`` did).

        Args:
            **changes: Options by name.

        Raises:
            InvalidInputError: A refused value.
            TypeError: An unknown option name.
        """
        return type(self)(**{**dict(self), **changes})

    @field_validator("num_actors")
    @classmethod
    def _min_under_max(cls, value: int | tuple[int, int]) -> int | tuple[int, int]:
        if isinstance(value, tuple) and value[0] > value[1]:
            raise ValueError("min_size > max_size")
        return value


def _refusal(problem: FieldProblem, given: Mapping[str, Any]) -> str:
    """The sentence refusing one option: what it must be and the whole value given (not pydantic's part of it)."""
    name = str(problem.loc[0]) if problem.loc else "options"
    return f"{name} must be {_WANTED.get(name, problem.message)}, got {given.get(name)!r:.80}."


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
