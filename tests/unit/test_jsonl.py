"""The one JSON-lines reader: files and stdin, blank lines skipped, typed errors naming file and line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from entailkit._jsonl import json_or_none, read_jsonl, read_lines
from entailkit.errors import InvalidInputError


def test_reads_objects_skipping_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n\n   \n{"b": "é"}\r\n', encoding="utf-8")
    assert list(read_jsonl(path)) == [{"a": 1}, {"b": "é"}]
    assert list(read_jsonl(str(path))) == [{"a": 1}, {"b": "é"}]
    assert [n for n, _ in read_lines(path)] == [1, 4]


def test_reads_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('{"x": 1}\n\n{"x": 2}\n'))
    assert list(read_jsonl("-")) == [{"x": 1}, {"x": 2}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1}\n\n{"a": \n', "rows.jsonl:3: not valid JSON"),
        ('{"a": 1}\n[1, 2]\n', "rows.jsonl:2: each line must be a JSON object"),
    ],
)
def test_bad_line_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=message):
        list(read_jsonl(path))


def test_missing_file_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"cannot read .*missing\.jsonl"):
        list(read_jsonl(tmp_path / "missing.jsonl"))


def test_json_or_none() -> None:
    assert json_or_none('{"a": 1}') == {"a": 1}
    assert json_or_none('"text"') == "text"
    assert json_or_none("plain text") is None
