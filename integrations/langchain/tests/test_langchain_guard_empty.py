"""The guard never hands on a silently empty answer, and an answer with nothing to check is not grounded."""

from __future__ import annotations

import pytest
from _langchain_fakes import CONTEXT, S2, ground_fake
from langchain_core.messages import AIMessage
from langchain_entailkit import GROUNDEDNESS_EVENT, EntailkitGroundednessCheck, UngroundedAnswerError

from entailkit.errors import InvalidInputError


def test_strip_never_returns_a_silently_empty_answer_and_an_empty_answer_is_not_grounded() -> None:
    from langchain_entailkit.groundedness import DEFAULT_EMPTY_ANSWER

    fake = ground_fake()
    all_bad = {"answer": S2, "context": CONTEXT}  # the only sentence fails: strip would leave nothing
    assert EntailkitGroundednessCheck(fake, mode="strip").invoke(all_bad) == DEFAULT_EMPTY_ANSWER
    custom = EntailkitGroundednessCheck(fake, mode="strip", empty_answer="No verified answer.")
    message = custom.invoke({**all_bad, "answer": AIMessage(content=S2)})
    assert message.content == "No verified answer."
    assert message.response_metadata[GROUNDEDNESS_EVENT]["sentences"][0]["verdict"] == "unsupported"
    assert EntailkitGroundednessCheck(fake, mode="strip", empty_answer=None).invoke(all_bad) == ""
    with pytest.raises(InvalidInputError, match="empty_answer"):
        EntailkitGroundednessCheck(fake, mode="strip", empty_answer=3)  # type: ignore[arg-type]
    empty = {"answer": "   ", "context": CONTEXT}
    report = EntailkitGroundednessCheck(fake).invoke(empty)
    assert report.no_sentences and report.grounded is False and report.score == 0.0
    with pytest.raises(UngroundedAnswerError, match="empty answer is not grounded"):
        EntailkitGroundednessCheck(fake, mode="raise").invoke(empty)
