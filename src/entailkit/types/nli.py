"""The NLI roles and the one table of their spellings (model configs' ``id2label``, data sets' labels)."""

from __future__ import annotations

import re

__all__ = ["NLI_ROLES", "NLI_ROLE_SPELLINGS", "nli_role"]

NLI_ROLE_SPELLINGS: dict[str, tuple[str, ...]] = {
    "entailment": ("entailment", "entail", "entails", "entailed"),
    "not_entailment": ("not_entailment", "non_entailment", "not_entailed", "notentailment", "nonentailment"),
    "neutral": ("neutral",),
    "contradiction": ("contradiction", "contradict", "contradicts", "contradictory", "contradicted"),
}
"""Each NLI role and the spellings read as it, after lower-casing and turning spaces / hyphens into ``_``."""

NLI_ROLES: tuple[str, ...] = tuple(NLI_ROLE_SPELLINGS)

_SPELLING_TO_ROLE = {spelling: role for role, spellings in NLI_ROLE_SPELLINGS.items() for spelling in spellings}


def nli_role(label: object) -> str | None:
    """The NLI role a label spells (``"Not Entailment"`` -> ``"not_entailment"``), or None.

    Args:
        label: A label as a config or data set spells it (any object; its ``str`` is read).
    """
    return _SPELLING_TO_ROLE.get(re.sub(r"[\s\-]+", "_", str(label).strip().lower()))
