"""``python -m entailkit.cli``: the same as the ``entailkit`` command."""

from entailkit.cli import main

main()
