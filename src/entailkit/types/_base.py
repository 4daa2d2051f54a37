"""The shared base of every result and config model: frozen, no extra fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    """A pydantic model that cannot be changed after it is built and refuses unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")
