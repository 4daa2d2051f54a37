"""The fuzz suite imports its helpers from this folder and reports the cases it ran per target."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from fuzzing import CASES

    if CASES:
        terminalreporter.write_line("fuzz cases per target: " + ", ".join(f"{k} {v}" for k, v in sorted(CASES.items())))
