"""Where the examples find the project's shared models and data. Not an example itself.

Each example imports what it needs from here (``from _shared import SICK_NLI, require``) so that the
example shows only the library's use. The shared folder is ``$ENTAILKIT_SHARED`` when set, else
``../shared`` beside the checkout. An example whose model, data or optional package is absent exits 2
with a ``cannot run: ...`` line on stderr (tests/test_examples.py counts that as a failure).

``python examples/<name>.py`` puts examples/ first on ``sys.path``, which is how ``import _shared``
resolves; this module is not part of the installed package.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import NoReturn

SHARED = Path(os.environ.get("ENTAILKIT_SHARED") or Path(__file__).resolve().parents[2] / "shared")
"""The shared models/data folder: ``$ENTAILKIT_SHARED``, else ``../shared`` beside the checkout."""

SICK_NLI = SHARED / "models" / "minilm-l6-sick-nli"
"""A 3-way NLI cross-encoder (all-MiniLM-L6 fine-tuned on SICK), the model most examples use."""

GENERAL_NLI = SHARED / "models" / "minilm-l6-general-nli"
"""A 3-way NLI cross-encoder for everyday text (all-MiniLM-L6 fine-tuned on pooled NLI sets)."""

SICK_DATA = SHARED / "data" / "sick" / "SICK.txt"
"""The SICK pairs (tab-separated, with the SemEval train/trial/test split)."""

MSMARCO = SHARED / "data" / "msmarco_trecdl_subset"
"""An MS MARCO passage subset in BEIR layout: corpus.jsonl, queries.jsonl, qrels/test.tsv."""


def cannot_run(reason: str) -> NoReturn:
    """Print ``cannot run: <reason>`` to stderr and exit with status 2."""
    print(f"cannot run: {reason}", file=sys.stderr)
    raise SystemExit(2)


def require(*paths: Path) -> None:
    """Exit 2 unless every path is present: a file must exist, a folder (a model) must hold config.json."""
    for path in paths:
        hint = " (set ENTAILKIT_SHARED to the shared folder)" if path.is_relative_to(SHARED) else ""
        if path.is_dir() and not (path / "config.json").is_file():
            cannot_run(f"{path} holds no config.json, so it is not a model folder{hint}")
        if not path.exists():
            cannot_run(f"{path} is absent{hint}")


def require_module(name: str, install_hint: str) -> None:
    """Exit 2 unless the module ``name`` can be imported; ``install_hint`` says how to install it."""
    try:
        found = importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package of a dotted name is missing
        found = False
    if not found:
        cannot_run(f"{name} is not installed ({install_hint})")
