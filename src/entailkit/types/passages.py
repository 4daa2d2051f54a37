"""Passage filter results: keep, drop or flag each passage as a duplicate or a contradiction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from entailkit.types._base import _Frozen
from entailkit.types.scores import HeadKind

__all__ = ["PassageAction", "PassageDecision", "PassageFilterResult", "PassageReason"]

PassageAction = Literal["keep", "drop", "flag"]
"""What the filter does with a passage (a flagged passage stays, marked)."""
PassageReason = Literal["duplicate", "contradiction"]
"""Why a passage was dropped or flagged."""


class PassageDecision(_Frozen):
    """What the passage filter does with one passage, and which higher-ranked passage caused it."""

    index: int
    """Position of the passage in the input (rank order)."""
    action: PassageAction
    reason: PassageReason | None = None
    """None for a plain keep; ``duplicate`` (entailed by ``of``) or ``contradiction`` (contradicts ``of``)."""
    of: int | None = None
    """Input position of the higher-ranked passage that entails or contradicts this one."""
    score: float | None = None
    """The entailment (duplicate) or contradiction probability behind the decision."""


class PassageFilterResult(_Frozen):
    """Decisions for every passage in input order; ``kept`` lists the positions that stay (flagged ones too)."""

    decisions: tuple[PassageDecision, ...] = ()
    head: HeadKind
    num_pairs: int = 0
    """How many (higher-ranked, lower-ranked) pairs the scorer saw."""

    def __len__(self) -> int:
        return len(self.decisions)

    def __iter__(self) -> Iterator[PassageDecision]:  # type: ignore[override]
        return iter(self.decisions)

    def __getitem__(self, index: int) -> PassageDecision:
        return self.decisions[index]

    @property
    def kept(self) -> list[int]:
        """Input positions that stay (kept or flagged)."""
        return [d.index for d in self.decisions if d.action != "drop"]

    @property
    def dropped(self) -> list[int]:
        """Input positions that were dropped."""
        return [d.index for d in self.decisions if d.action == "drop"]

    @property
    def flagged(self) -> list[int]:
        """Input positions that stay, marked as duplicate or contradiction."""
        return [d.index for d in self.decisions if d.action == "flag"]
