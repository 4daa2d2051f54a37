"""``entailkit classify``: zero-shot labels for texts from a JSON-lines file or stdin, any model kind.

Works with NLI cross-encoders (one pass per text and label) and GLiClass models (one pass per text).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from entailkit.errors import EntailkitError

ModelOption = Annotated[str, typer.Option("--model", "-m", help="Local model directory or hub id.")]
DeviceOption = Annotated[Optional[str], typer.Option(help="cpu, cuda or mps (default: best available).")]  # noqa: UP045
DtypeOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(help="float32, float16 or bfloat16 (default: float32 on CPU)."),
]


def classify(
    model: ModelOption,
    labels: Annotated[str, typer.Option("--labels", "-l", help="Candidate labels, comma-separated: a,b,c.")],
    source: Annotated[
        str,
        typer.Argument(
            help="Texts, one per line: a JSON object with 'text' (other fields come back untouched), "
            "a JSON string, or plain text; - for stdin."
        ),
    ] = "-",
    multi_label: Annotated[bool, typer.Option("--multi-label", help="Score each label on its own.")] = False,
    threshold: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(help="Score needed for 'predicted' (default: 0.5 with --multi-label, none otherwise)."),
    ] = None,
    template: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="NLI hypothesis template with one {} (cross-encoders; default 'This example is {}.')."),
    ] = None,
    text_key: Annotated[str, typer.Option(help="Field holding the text in JSON objects.")] = "text",
    batch_size: Annotated[int, typer.Option(help="Inputs per forward pass (also capped by a token budget).")] = 32,
    device: DeviceOption = None,
    dtype: DtypeOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Classify texts into candidate labels; prints one JSON object per text (labels sorted by score)."""
    from entailkit.cli import emit, fail, load
    from entailkit.tasks.classify import ZeroShotClassifier

    names = [name.strip() for name in labels.split(",") if name.strip()]
    if not names:
        raise fail("--labels is empty; pass candidate labels separated by commas, e.g. --labels sports,business")
    records = _read_texts(source, text_key, fail)
    scorer = load(model, device, dtype, batch_size=batch_size)
    try:
        classifier = ZeroShotClassifier(scorer, show_progress=not quiet)
        results = classifier.classify(
            [text for text, _ in records],
            names,
            multi_label=multi_label,
            threshold=threshold,
            hypothesis_template=template,
        )
    except EntailkitError as exc:
        raise fail(str(exc)) from exc
    for (_, extra), result in zip(records, results, strict=True):
        record = result.model_dump(mode="json", exclude={"examples"})
        emit({**extra, **record})


def _read_texts(source: str, text_key: str, fail: Any) -> list[tuple[str, dict[str, Any]]]:
    """(text, other fields) per non-blank line: JSON objects, JSON strings or plain text."""
    try:
        stream = sys.stdin if source == "-" else Path(source).open(encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise fail(f"cannot read {source}: {exc.strerror}") from exc
    out: list[tuple[str, dict[str, Any]]] = []
    try:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
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
    finally:
        if stream is not sys.stdin:
            stream.close()
    return out
