"""Tasks read what a scorer can judge from ``ScorerInfo.roles`` / ``query_input``, never from head names."""

from __future__ import annotations

import pytest

from entailkit import GroundednessChecker, Reranker, ScorerInfo
from entailkit.errors import InvalidInputError
from entailkit.tasks import DEFAULT_QUERY_TEMPLATE
from entailkit.types import HEAD_QUERY_INPUT, HEAD_ROLES
from fakes import FakeScorer


@pytest.mark.parametrize("head", sorted(HEAD_ROLES))
def test_roles_default_to_those_of_the_head(head: str) -> None:
    info = ScorerInfo(
        model="m", kind="cross-encoder", head=head, native="pairs", max_length=8, device="cpu", dtype="float32"
    )
    assert info.roles == HEAD_ROLES[head]
    assert info.query_input == HEAD_QUERY_INPUT[head]
    assert info.can(HEAD_ROLES[head][0])


def test_a_backend_may_state_its_own_roles() -> None:
    fake = FakeScorer({}, head="nli2")
    fake._info = fake.info.model_copy(update={"roles": ("relevance",), "query_input": "query"})
    reranker = Reranker(fake, query_template="About {}.")
    assert reranker.hypothesis_for("cats") == "cats"  # a relevance scorer reads the raw query
    with pytest.raises(InvalidInputError, match="GroundednessChecker needs"):
        GroundednessChecker(fake)


def test_query_input_decides_whether_the_builtin_template_applies() -> None:
    nli = FakeScorer({}, head="nli3")
    assert Reranker(nli).hypothesis_for("cats") == DEFAULT_QUERY_TEMPLATE.format("cats") == "cats"
    assert Reranker(nli, query_template="About {}.").hypothesis_for("cats") == "About cats."
    nli._info = nli.info.model_copy(update={"query_input": "query"})
    assert Reranker(nli).hypothesis_for("cats") == "cats"
