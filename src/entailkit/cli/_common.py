"""What the CLI commands share: option aliases, JSON-lines input and output, model loading, errors to exit 2."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from entailkit import _jsonl
from entailkit.errors import EntailkitError, InvalidInputError
from entailkit.scorers.loading import load_scorer

if TYPE_CHECKING:
    from entailkit.tasks.specs import TaskSpec

SpecT = TypeVar("SpecT", bound="TaskSpec")

# Options several commands declare the same way (same flags, help and type).
ModelOption = Annotated[str, typer.Option("--model", "-m", help="Local model directory or hub id.")]
DeviceOption = Annotated[str | None, typer.Option(help="cpu, cuda or mps (default: best available).")]
DtypeOption = Annotated[str | None, typer.Option(help="float32, float16 or bfloat16 (default: float32 on CPU).")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
BatchOption = Annotated[int, typer.Option(help="Pairs per forward pass (also capped by a token budget).")]
LabelsOption = Annotated[str, typer.Option("--labels", "-l", help="Candidate labels, comma-separated: a,b,c.")]
MultiLabelOption = Annotated[bool, typer.Option("--multi-label", help="Score each label on its own.")]
LanguageOption = Annotated[
    str | None,
    typer.Option(
        help="Language of the texts (ISO 639-1: de, fr, zh, ...): its built-in NLI template; a template given wins."
    ),
]
SupportThresholdOption = Annotated[float, typer.Option(help="Entailment needed for 'supported'.")]
AggregateOption = Annotated[str, typer.Option(help="min or mean of sentence scores decides 'grounded'.")]
SpecOption = Annotated[
    Path | None,
    typer.Option(
        "--spec",
        help='JSON or YAML file of the task\'s options (its spec, e.g. {"top_n": 3}); a flag given overrides '
        "the field of the same name.",
    ),
]

EXIT_USAGE = 2
"""The exit code of every refused input or failed command."""


def fail(message: str) -> typer.Exit:
    """Print ``error: <message>`` to stderr and return the exit (code 2) to raise.

    Args:
        message: What went wrong and, where possible, the fix.

    Returns:
        The ``typer.Exit`` the caller raises (``raise fail(...)``).
    """
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=EXIT_USAGE)


@contextmanager
def exit_on_error(*errors: type[Exception]) -> Iterator[None]:
    """Turn the listed errors raised in the block into :func:`fail` (their message, exit 2).

    Args:
        errors: The exception classes to catch; default :class:`~entailkit.errors.EntailkitError`.

    Raises:
        typer.Exit: With code 2, from one of ``errors``.
    """
    caught = errors or (EntailkitError,)
    try:
        yield
    except caught as exc:
        raise fail(str(exc)) from exc


def given_flags(ctx: typer.Context, spec_class: type[TaskSpec]) -> dict[str, Any]:
    """The command's parameters named like a field of ``spec_class`` and given on the command line.

    A flag left at its default is not given: the spec (its file, else its default) decides that field.

    Args:
        ctx: The running command's context (``ctx: typer.Context`` in the command's signature).
        spec_class: The task's spec class; its field names are the flags' parameter names.

    Returns:
        ``{field: value}`` for each such flag given explicitly.
    """
    out = {}
    for name, value in ctx.params.items():
        source = ctx.get_parameter_source(name) if name in spec_class.model_fields else None
        # By name: typer may bring its own copy of click's ParameterSource enum.
        if source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP"):
            out[name] = value
    return out


def task_spec(
    ctx: typer.Context,
    spec_class: type[SpecT],
    path: Path | None,
    *,
    base: Mapping[str, Any] | None = None,
    over: Mapping[str, Any] | None = None,
) -> SpecT:
    """The command's task spec: ``base``, then the ``--spec`` file, then ``over``, then the flags given.

    Each later layer replaces the fields it names, so a new option of the task's ``__init__`` is reachable
    through ``--spec`` with no CLI code, and a flag named like the field overrides the file.

    Args:
        ctx: The running command's context.
        spec_class: The task's spec class (``RerankSpec``, ``CheckSpec``, ...).
        path: The ``--spec`` file (JSON or YAML), or None.
        base: Options under the file's (e.g. a saved router's).
        over: Options over the file's (e.g. those of a ``--routes`` file).

    Returns:
        The checked spec.

    Raises:
        typer.Exit: With code 2 when the file cannot be read or an option is unknown or mistyped.
    """
    from entailkit.tasks.specs import read_spec_file  # tasks import numpy: loaded only when a command runs

    with exit_on_error():
        from_file = read_spec_file(path) if path is not None else {}
        options = {**(base or {}), **from_file, **(over or {}), **given_flags(ctx, spec_class)}
        return spec_class(**options)


def split_labels(labels: str) -> list[str]:
    """The names of a comma-separated ``--labels`` value, stripped, blanks dropped.

    Args:
        labels: The option's value, e.g. ``"sports, business"``.

    Returns:
        The label names in the order given.
    """
    return [name.strip() for name in labels.split(",") if name.strip()]


def read_lines(source: str) -> Iterator[tuple[int, str]]:
    """The non-blank lines of a file, or of stdin for ``-``, with their line numbers (``_jsonl.read_lines``).

    Args:
        source: A file path, or ``-`` for stdin.

    Yields:
        (1-based line number, the line with its newline).

    Raises:
        typer.Exit: With code 2 when the file cannot be opened.
    """
    try:
        yield from _jsonl.read_lines(source)
    except InvalidInputError as exc:
        raise fail(str(exc)) from exc


def read_jsonl(source: str) -> Iterator[dict[str, Any]]:
    """Records from a JSON-lines file, or stdin for ``-``; blank lines are skipped (``_jsonl.read_jsonl``).

    Args:
        source: A file path, or ``-`` for stdin.

    Yields:
        The JSON object of each non-blank line.

    Raises:
        typer.Exit: With code 2 when the file cannot be opened or a line is not valid JSON or not a
            JSON object (the message names the file and the line).
    """
    try:
        yield from _jsonl.read_jsonl(source)
    except InvalidInputError as exc:
        raise fail(str(exc)) from exc


def emit(record: Any, indent: int | None = None) -> None:
    """Print one JSON document on stdout (non-ASCII kept as is).

    Args:
        record: Anything ``json.dumps`` takes.
        indent: Pretty-print with this indent; None for one line.
    """
    typer.echo(json.dumps(record, ensure_ascii=False, indent=indent))


def load(model: str, device: str | None, dtype: str | None, **kwargs: Any) -> Any:
    """``load_scorer`` with CLI-friendly errors.

    Args:
        model: A local model directory or hub id.
        device: ``cpu``, ``cuda``, ``mps`` or None for the best available.
        dtype: ``float32``, ``float16``, ``bfloat16`` or None for the default.
        **kwargs: Further ``load_scorer`` options (``kind``, ``batch_size``, ...).

    Returns:
        The loaded scorer.

    Raises:
        typer.Exit: With code 2 when the model cannot be loaded.
    """

    with exit_on_error():
        scorer = load_scorer(model, device=device, dtype=dtype, **kwargs)
    return scorer
