"""``entailkit classify``: zero-shot labels for texts from a JSON-lines file or stdin, any model kind.

Works with NLI cross-encoders (one pass per text and label) and GLiClass models (one pass per text).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from entailkit._jsonl import json_or_none
from entailkit.cli._common import (
    DeviceOption,
    DtypeOption,
    LabelsOption,
    LanguageOption,
    ModelOption,
    MultiLabelOption,
    QuietOption,
    SpecOption,
    emit,
    exit_on_error,
    fail,
    load,
    read_lines,
    split_labels,
    task_spec,
)
from entailkit.cli.app import app

__all__ = ["classify"]


@app.command("classify")
def classify(
    ctx: typer.Context,
    model: ModelOption,
    labels: LabelsOption,
    source: Annotated[
        str,
        typer.Argument(
            help="Texts, one per line: a JSON object with 'text' (other fields come back untouched), "
            "a JSON string, or plain text; - for stdin."
        ),
    ] = "-",
    multi_label: MultiLabelOption = False,
    threshold: Annotated[
        float | None,
        typer.Option(help="Score needed for 'predicted' (default: 0.5 with --multi-label, none otherwise)."),
    ] = None,
    hypothesis_template: Annotated[
        str | None,
        typer.Option(
            "--hypothesis-template",
            "--template",
            help="NLI hypothesis template with one {} (cross-encoders; default 'This example is {}.', or the "
            "--language one).",
        ),
    ] = None,
    language: LanguageOption = None,
    text_key: Annotated[str, typer.Option(help="Field holding the text in JSON objects.")] = "text",
    spec: SpecOption = None,
    batch_size: Annotated[int, typer.Option(help="Inputs per forward pass (also capped by a token budget).")] = 32,
    device: DeviceOption = None,
    dtype: DtypeOption = None,
    quiet: QuietOption = False,
) -> None:
    """Classify texts into candidate labels; prints one JSON object per text (labels sorted by score)."""
    from entailkit.tasks.specs import ClassifySpec  # tasks import numpy: loaded only when the command runs

    names = split_labels(labels)
    if not names:
        raise fail("--labels is empty; pass candidate labels separated by commas, e.g. --labels sports,business")
    options = task_spec(ctx, ClassifySpec, spec)  # --hypothesis-template, --language over the --spec file
    records = _read_texts(source, text_key)
    scorer = load(model, device, dtype, batch_size=batch_size)
    with exit_on_error():
        classifier = options.build(scorer, show_progress=not quiet)
        results = classifier.classify(
            [text for text, _ in records], names, multi_label=multi_label, threshold=threshold
        )
    for (_, extra), result in zip(records, results, strict=True):
        record = result.model_dump(mode="json", exclude={"examples"})
        emit({**extra, **record})


def _read_texts(source: str, text_key: str) -> list[tuple[str, dict[str, Any]]]:
    """(text, other fields) per non-blank line: JSON objects, JSON strings or plain text.

    Args:
        source: A file path, or ``-`` for stdin.
        text_key: The field holding the text in JSON objects.

    Returns:
        One (text, the object's other fields) per non-blank line; ``{}`` for strings and plain text.

    Raises:
        typer.Exit: With code 2 when the file cannot be opened or an object lacks ``text_key``.
    """
    out: list[tuple[str, dict[str, Any]]] = []
    for number, line in read_lines(source):
        value = json_or_none(line)
        if value is None:
            value = line.rstrip("\r\n")
        if isinstance(value, dict):
            text = value.get(text_key)
            if not isinstance(text, str):
                raise fail(f"{source}:{number}: the object has no string field {text_key!r} (--text-key)")
            out.append((text, {k: v for k, v in value.items() if k != text_key}))
        elif isinstance(value, str):
            out.append((value, {}))
        else:
            out.append((line.rstrip("\r\n"), {}))
    return out
