"""The one JSON-lines reader: a file or stdin (``-``), UTF-8, blank lines skipped, errors with file:line.

The CLI, the training data loaders and the scripts read JSON lines through it, so every one of them
skips the same lines and names a bad line the same way (``InvalidInputError`` with the source and the
1-based line number); the CLI turns that error into exit code 2.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from entailkit.errors import InvalidInputError

__all__ = ["json_or_none", "read_jsonl", "read_lines"]

Source = str | os.PathLike[str]
"""A file path, or ``"-"`` for stdin."""


def _open(source: Source) -> TextIO:
    if str(source) == "-":
        return sys.stdin
    try:
        return Path(source).open(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"cannot read {source}: {exc.strerror}") from exc


def read_lines(source: Source) -> Iterator[tuple[int, str]]:
    """The non-blank lines of a file, or of stdin for ``-``, with their line numbers.

    The file is opened on the first ``next`` and closed when the iteration ends (stdin stays open).

    Args:
        source: A file path, or ``-`` for stdin.

    Yields:
        (1-based line number, the line with its newline).

    Raises:
        InvalidInputError: The file cannot be opened (``cannot read <source>: <reason>``).
    """
    stream = _open(source)
    try:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                yield number, line
    finally:
        if stream is not sys.stdin:
            stream.close()


def read_jsonl(source: Source) -> Iterator[dict[str, Any]]:
    """The JSON object of each non-blank line of a file, or of stdin for ``-``.

    Args:
        source: A file path, or ``-`` for stdin.

    Yields:
        One dict per non-blank line, in order.

    Raises:
        InvalidInputError: The file cannot be opened, or a line is not valid JSON
            (``<source>:<line>: not valid JSON (<reason>)``) or not a JSON object
            (``<source>:<line>: each line must be a JSON object``).
    """
    for number, line in read_lines(source):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{source}:{number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise InvalidInputError(f"{source}:{number}: each line must be a JSON object")
        yield record


def json_or_none(line: str) -> Any:
    """The JSON value of one line, or None when it is not JSON (for inputs that mix JSON and plain text).

    Args:
        line: One line of input.
    """
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None
