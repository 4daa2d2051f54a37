"""Repository invariants: README and CI run the same commands, install pins torch, imports stay light."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def readme_command(name: str) -> str:
    """The one command line between ``<!-- name -->`` and ``<!-- /name -->`` in README.md."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^<!-- {re.escape(name)} -->\n(.*?)^<!-- /{re.escape(name)} -->", text, re.S | re.M)
    assert match, f"README.md has no <!-- {name} --> ... <!-- /{name} --> block"
    lines = [ln for ln in match.group(1).splitlines() if ln.strip() and not ln.startswith("```")]
    assert len(lines) == 1, f"README.md's {name} block must hold exactly one command line, found {lines}"
    return lines[0]


def ci_commands() -> dict[str, str]:
    done = subprocess.run(
        ["bash", str(ROOT / ".ci" / "run"), "--print-commands"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    pairs = (line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    return {key: value for key, value in pairs}


def test_ci_runs_the_readme_test_and_install_commands() -> None:
    commands = ci_commands()
    assert commands["test"] == readme_command("test-command") == "python -m pytest -q -n auto"
    assert commands["install"] == readme_command("install-command") == "bash scripts/install.sh"


def test_ci_and_install_scripts_are_executable_and_pin_torch() -> None:
    for script in (ROOT / ".ci" / "run", ROOT / "scripts" / "install.sh"):
        assert os.access(script, os.X_OK), f"{script} is not executable (chmod +x)"
        assert "set -euo pipefail" in script.read_text(encoding="utf-8")
    constraints = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    assert "torch==2.13.0" in constraints
    assert "-c constraints.txt" in (ROOT / "scripts" / "install.sh").read_text(encoding="utf-8")


def test_import_entailkit_does_not_import_torch() -> None:
    code = (
        "import sys, entailkit\n"
        "names = ('torch', 'transformers', 'gliclass', 'faiss')\n"
        "heavy = sorted(m for m in names if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = [m for m in done.stdout.strip().split(",") if m]
    assert not loaded, f"import entailkit imported {loaded}; heavy modules must load lazily"


def test_mkdocs_nav_points_at_existing_pages() -> None:
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    pages = [page for entry in config["nav"] for page in entry.values()]
    missing = [page for page in pages if not (ROOT / "docs" / page).is_file()]
    assert not missing, f"mkdocs.yml nav names missing pages: {missing}"


def python_blocks(path: Path) -> str:
    """Every ```python block of a Markdown file, joined into one script."""
    blocks = re.findall(r"^```python\n(.*?)^```", path.read_text(encoding="utf-8"), re.S | re.M)
    return "\n".join(blocks)


@pytest.mark.real
@pytest.mark.slow
@pytest.mark.parametrize("page", ["README.md", "docs/quickstart.md"])
def test_documented_python_snippets_run(page: str) -> None:
    shared = Path(os.environ.get("ENTAILKIT_SHARED", str(ROOT.parent / "shared")))
    model = shared / "models" / "minilm-l6-sick-nli"
    if not (model / "config.json").is_file():
        pytest.skip(f"real NLI model absent: {model}")
    script = python_blocks(ROOT / page)
    assert script.strip(), f"{page} has no python blocks"
    if shared.resolve() != (ROOT.parent / "shared").resolve():
        script = script.replace("../shared/", f"{shared.as_posix()}/")
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"the python blocks of {page} fail:\n{done.stderr[-3000:]}"


def test_test_module_names_are_unique() -> None:
    """pytest's default import mode needs unique basenames for test modules outside packages."""
    seen: dict[str, Path] = {}
    clashes = []
    for path in sorted([*ROOT.glob("tests/**/test_*.py"), *ROOT.glob("integrations/*/tests/**/test_*.py")]):
        if path.name in seen and not (path.parent / "__init__.py").is_file():
            clashes.append(f"{seen[path.name].relative_to(ROOT)} and {path.relative_to(ROOT)}")
        seen.setdefault(path.name, path)
    assert not clashes, f"rename one of each pair (pytest cannot import both): {clashes}"


_DOC_IMPORT = re.compile(r"^\s*from (entailkit(?:\.[a-z_]+)+) import ([A-Za-z_][A-Za-z_0-9, ]*)$", re.M)


def test_docs_and_examples_use_one_import_path_per_name() -> None:
    """A name the public packages export is imported from them (``entailkit``, ``entailkit.train``,
    ``entailkit.scorers``) in README, docs and examples, never from the module that defines it."""
    import entailkit
    import entailkit.scorers
    import entailkit.train

    public = {
        **{name: "entailkit.scorers" for name in entailkit.scorers.__all__},
        **{name: "entailkit.train" for name in entailkit.train.__all__},
        **{name: "entailkit" for name in entailkit.__all__},
    }
    files = [README, *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "examples").glob("*.py"))]
    wrong = []
    for path in files:
        for match in _DOC_IMPORT.finditer(path.read_text(encoding="utf-8")):
            module = match.group(1)
            for name in (n.strip() for n in match.group(2).split(",")):
                if name in public and public[name] != module:
                    wrong.append(f"{path.relative_to(ROOT)}: from {module} import {name} (use {public[name]})")
    assert wrong == []


def test_no_module_in_src_is_over_400_lines() -> None:
    """Small modules (the architecture issue's rule): a module that grows past 400 lines is split on a seam."""
    sizes = {
        p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
        for p in (ROOT / "src").rglob("*.py")
    }
    assert {path: n for path, n in sizes.items() if n > 400} == {}
