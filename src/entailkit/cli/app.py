"""The ``entailkit`` typer app and its global options; the command modules register onto it."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer(
    name="entailkit",
    help="Small local NLI and zero-shot models for RAG: rerank, check, route.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _setup(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log at INFO level.")] = False) -> None:
    """Configure logging for every command.

    Args:
        verbose: Log at INFO level instead of WARNING.
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
