"""What a Ray job's actors build: one task spec and the task's object options, resolved on the driver.

A job takes its task as a configured task (``Reranker``, ``ZeroShotClassifier``, ``GroundednessChecker``),
its spec (``RerankSpec``, ...), a mapping of the spec's options, or the same options flat as keywords;
``job_task`` turns any of them into one :class:`JobTask` and checks it before Ray starts. The options
stay the task's own (``entailkit.tasks.specs``): nothing here declares them again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from entailkit.errors import InvalidInputError
from entailkit.scorers.base import DEFAULT_HYPOTHESIS_TEMPLATE, ExamplesArg, LabelsArg
from entailkit.tasks.sentences import split_sentences
from entailkit.tasks.specs import TaskSpec
from entailkit.types import LabelScores, NativeCall, Normalization, PairScores, ScorerInfo, Span, Truncation

__all__ = ["CARRIED_OBJECTS", "JobTask", "job_task"]

CARRIED_OBJECTS = ("calibrator", "splitter")
"""Object options of a configured task that travel to the actors with its spec (they must be picklable);
its scorer does not: each actor loads its own from the job's ``model``."""


@dataclass(frozen=True)
class JobTask:
    """The task every actor of a job builds on its own scorer: the spec and the object options.

    Attributes:
        spec: The task's serialisable options.
        objects: Object options passed to ``spec.build`` as they are (``calibrator``, ``splitter``).
    """

    spec: TaskSpec
    objects: Mapping[str, Any] = field(default_factory=dict)

    def build(self, scorer: Any) -> Any:
        """The configured task on ``scorer`` (``spec.build(scorer, **objects)``).

        Args:
            scorer: The actor's Scorer.

        Returns:
            The task (a Reranker, ZeroShotClassifier or GroundednessChecker).

        Raises:
            InvalidInputError: An option out of range for the task.
        """
        return self.spec.build(scorer, **dict(self.objects))


def job_task(
    spec_class: type[TaskSpec],
    task: Any,
    task_options: Mapping[str, Any],
    *,
    calibrator: Any,
    model_given: bool,
    job: str,
) -> JobTask:
    """The task of one job, from ``task=`` and the flat task options, checked on the driver.

    Flat options (``query_template="About {}."``) are merged over the spec of ``task``; a None value leaves the
    spec's option as it is, as does ``calibrator=None``. The result is built once on a stand-in scorer so
    that an option out of range fails here, with the task's own error, before any actor starts.

    Args:
        spec_class: The job's spec class (``RerankSpec``, ``ClassifySpec``, ``CheckSpec``).
        task: None (the task's defaults), a configured task of ``spec_class.task_class``, a spec of
            ``spec_class`` or a mapping of its options.
        task_options: The job's remaining keyword arguments: options of ``spec_class``.
        calibrator: A calibrator for the task (None: the configured task's, if any).
        model_given: Whether the job says what its actors load (``model=`` or ``BatchOptions(scorer_factory=)``).
        job: The job's name, for error messages.

    Returns:
        The spec and object options the actors build their task from.

    Raises:
        InvalidInputError: ``task`` of another kind, an unknown or mistyped option, an option out of
            range, or a configured task without ``model=``.
    """
    task_class = spec_class.task_class
    objects: dict[str, Any] = {}
    if isinstance(task, task_class):
        if not model_given:
            raise InvalidInputError(
                f"{job}(task=<a {task_class.__name__}>): the task's scorer does not travel to the Ray actors, "
                f"each loads its own; pass model= (e.g. model={task.scorer.info.model!r}, the model the "
                f"{task_class.__name__}'s scorer was loaded from) or BatchOptions(scorer_factory=...)."
            )
        spec = spec_class.of(task)
        objects = {name: getattr(task, name) for name in CARRIED_OBJECTS if getattr(task, name, None) is not None}
        if objects.get("splitter") is split_sentences:
            del objects["splitter"]  # the default: nothing to send
    elif task is None or isinstance(task, (spec_class, Mapping)):
        spec = spec_class.parse(task)
    else:
        raise InvalidInputError(
            f"{job}(task=...) takes a {task_class.__name__}, a {spec_class.__name__} or a mapping of its "
            f"options, got {type(task).__name__}."
        )
    mine, unknown = spec_class.split(task_options)
    if unknown:
        raise InvalidInputError(
            f"{job}() got unknown options {sorted(unknown)}; the {task_class.__name__} options are "
            f"{sorted(spec_class.model_fields)}."
        )
    if calibrator is not None:
        objects["calibrator"] = calibrator
    resolved = JobTask(spec.updated(**mine), objects)
    resolved.build(_OptionsProbe())  # ranges and object options checked here, not in every actor
    return resolved


class _OptionsProbe:
    """A stand-in Scorer (an NLI model that is never called) on which the driver builds a job's task.

    Building a task checks its options; the real model is only loaded in the actors.
    """

    info = ScorerInfo(
        model="(options check)", kind="cross-encoder", head="nli3", native="pairs", max_length=512,
        device="cpu", dtype="float32",
    )  # fmt: skip
    native: NativeCall = "pairs"

    def score_pairs(
        self,
        premises: Sequence[str],
        hypotheses: Sequence[str],
        *,
        normalization: Normalization = "softmax",
        truncation: Truncation | None = None,
        show_progress: bool = False,
        first_stage_scores: Sequence[float] | None = None,
    ) -> PairScores:
        """Never called: the probe only lets a task check its options."""
        raise RuntimeError("the options probe scores nothing")

    def score_labels(
        self,
        texts: Sequence[str],
        labels: LabelsArg,
        *,
        hypothesis_template: str = DEFAULT_HYPOTHESIS_TEMPLATE,
        multi_label: bool = False,
        examples: ExamplesArg = None,
        show_progress: bool = False,
    ) -> LabelScores:
        """Never called: the probe only lets a task check its options."""
        raise RuntimeError("the options probe scores nothing")

    def window_spans(self, text: str, hypothesis: str = "") -> list[Span]:
        """Never called: the probe only lets a task check its options."""
        raise RuntimeError("the options probe scores nothing")

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Never called: the probe only lets a task check its options."""
        raise RuntimeError("the options probe scores nothing")
