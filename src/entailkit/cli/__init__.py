"""The ``entailkit`` command line: ``app`` (typer) with every command registered, and ``main``.

``app.py`` holds the app; each command module registers its commands onto it when imported and
imports only ``app.py`` and ``_common.py`` of this package, so nothing here imports back.
"""

from __future__ import annotations

from entailkit.cli.app import app

# The order of these imports is the order of ``entailkit --help``.
from entailkit.cli import score, tasks, train, classify, route, batch, serve, bench  # noqa: F401  # isort: skip


def main() -> None:
    """Console-script entry point (``entailkit = "entailkit.cli:main"``): run the app."""
    app()


__all__ = ["app", "main"]
