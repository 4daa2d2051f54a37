"""Every script in examples/ runs to completion (exit code 0) from the repository root, offline.

The examples run for real: one whose model, data or package is missing exits 2 with a message, and
that is a failure here, not a skip (CI has ../shared, or $ENTAILKIT_SHARED, and every extra).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# examples/_shared.py (where the shared models and data are) and any other _*.py are helpers, not examples.
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))
TIMEOUT_S = 120
# Starting a local Ray runtime and its actor (a fresh process that imports torch and loads the model)
# takes about a minute on an idle 2-core machine and more than two beside other test workers.
TIMEOUT_S_BY_SCRIPT = {"batch_rerank_ray.py": 360}
# A line of an example's own output (stdout: library logs go to stderr) saying it did not do its work.
SKIPPED = re.compile(r"^.*\b(?:skipp(?:ing|ed)|nothing to do|cannot run)\b.*$", re.IGNORECASE | re.MULTILINE)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1")
    env.setdefault("ENTAILKIT_SHARED", str(ROOT.parent / "shared"))
    return env


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path) -> None:
    timeout_s = TIMEOUT_S_BY_SCRIPT.get(script.name, TIMEOUT_S)
    try:
        done = subprocess.run(
            [sys.executable, str(script.relative_to(ROOT))],
            cwd=ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        pytest.fail(f"{script.name} did not finish within {timeout_s} s; last output:\n{_tail(out)}")
    assert done.returncode == 0, (
        f"{script.name} exited with {done.returncode}\n--- stdout ---\n{_tail(done.stdout)}\n"
        f"--- stderr ---\n{_tail(done.stderr)}"
    )
    skipped = SKIPPED.findall(done.stdout)
    assert not skipped, f"{script.name} exited 0 without running: {skipped}"
