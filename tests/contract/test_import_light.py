"""Importing entailkit must stay cheap: no torch, no transformers until a scorer is built."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def _run(code: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_import_does_not_load_torch() -> None:
    result = _run(
        "import entailkit, sys; "
        "assert 'torch' not in sys.modules, 'torch imported'; "
        "assert 'transformers' not in sys.modules, 'transformers imported'; "
        "print(entailkit.__version__)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_public_names_resolve() -> None:
    result = _run(
        "import entailkit, sys; "
        "from entailkit import InvalidInputError, ModelLoadError, PairScores, LabelScores; "
        "assert 'torch' not in sys.modules; "
        "from entailkit import load_scorer, CrossEncoderScorer, EmbeddingScorer; "
        "assert callable(load_scorer); "
        "missing = [n for n in entailkit.__all__ if not hasattr(entailkit, n)]; "
        "assert not missing, missing"
    )
    assert result.returncode == 0, result.stderr


def test_the_server_extra_loads_only_with_the_server() -> None:
    """pydantic-settings and prometheus-client (the serve extra) load with the server, not with entailkit or its CLI."""
    result = _run(
        "import entailkit, entailkit.cli, sys; "
        "heavy = [m for m in ('pydantic_settings', 'prometheus_client', 'fastapi') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    assert result.returncode == 0, result.stderr
