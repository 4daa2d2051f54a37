"""``scorer_for``: the one place a surface turns "a Scorer or a model id" into a scorer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from entailkit.errors import InvalidInputError
from entailkit.scorers import clear_shared_scorers, scorer_for, shared_scorer


def test_a_scorer_is_returned_as_is_and_a_model_id_is_shared(load_tiny: Any, tiny_models: dict[str, Path]) -> None:
    given = load_tiny("bert-nli3-cen")
    assert scorer_for(given) is given
    clear_shared_scorers()
    path = tiny_models["bert-nli3-cen"]
    assert scorer_for(str(path)) is shared_scorer(path) is scorer_for(path)
    clear_shared_scorers()


@pytest.mark.parametrize("bad", [None, 3, ["m"], "", "   "])
def test_anything_else_is_a_typed_error(bad: Any) -> None:
    with pytest.raises(InvalidInputError):
        scorer_for(bad)
