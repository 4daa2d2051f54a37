"""The claim a short answer makes for its question (tasks/question_claims.py)."""

from __future__ import annotations

import pytest

from entailkit.errors import InvalidInputError
from entailkit.tasks.question_claims import (
    QA_TEMPLATE,
    answer_claim,
    check_answer_template,
    is_elliptical,
    is_question,
    wh_claim,
)

Q = "is the eiffel tower in paris"


@pytest.mark.parametrize(
    ("sentence", "question", "mode", "claim"),
    [
        ("Yes.", Q, "claim", "The eiffel tower is in paris."),
        ("yes", Q, "claim", "The eiffel tower is in paris."),
        ("No.", Q, "claim", "The eiffel tower is not in paris."),
        ("Nope!", Q, "claim", "The eiffel tower is not in paris."),
        ("Yes, since 1889.", Q, "claim", "The eiffel tower is in paris. Since 1889."),
        # a yes/no reply to a question no rule turns: the template, like any fragment
        ("Yes.", "Really?", "claim", "Really? Yes."),
        ("Jesse Eisenberg.", "Who played Zuckerberg?", "claim", "Jesse Eisenberg played Zuckerberg."),
        ("In 1998.", "When was it released?", "claim", "It was released in 1998."),
        ("Scattering.", "Why is the sky blue?", "claim", "Why is the sky blue? Scattering."),
        # full sentences stand on their own
        ("It was released in 1998.", "When?", "claim", "It was released in 1998."),
        ("Paris is the capital of France.", "Capital?", "claim", "Paris is the capital of France."),
        ("Nobody knows the answer to that at all today.", Q, "claim", "Nobody knows the answer to that at all today."),
        ("Yes.", Q, "prefix", f"{Q} Yes."),
        ("Yes.", Q, "none", "Yes."),
        ("Yes.", None, "claim", "Yes."),
        ("Yes.", "   ", "claim", "Yes."),
    ],
)
def test_answer_claim(sentence: str, question: str | None, mode: str, claim: str) -> None:
    assert answer_claim(sentence, question, mode) == claim  # type: ignore[arg-type]


def test_template_and_shapes() -> None:
    assert QA_TEMPLATE.format(question="Q?", answer="A.") == "Q? A."
    assert is_question("Who is it?") and is_question('He asked "why?"') and is_question("这是什么？")
    assert not is_question("It is.") and not is_question("")
    assert is_elliptical("Jesse Eisenberg.") and is_elliptical("About 2 million people.")
    assert not is_elliptical("It has ten million inhabitants.") and not is_elliptical("Prices increased.")
    assert not is_elliptical("one two three four five six seven") and not is_elliptical("")


@pytest.mark.parametrize(
    ("question", "answer", "claim"),
    [
        ("Who played Zuckerberg in The Social Network?", "Jesse Eisenberg.", "Jesse Eisenberg played Zuckerberg in The Social Network."),
        ("What is the capital of France?", "Paris.", "Paris is the capital of France."),
        ("How many people live in Paris?", "About 2 million.", "About 2 million people live in Paris."),
        ("How many people live in Paris?", "2 million people.", "2 million people live in Paris."),
        ("How many moons does Mars have?", "Two.", "Mars does have Two moons."),
        ("When did Einstein die?", "1955.", "Einstein did die in 1955."),
        ("Where was the treaty signed?", "Paris.", "The treaty was signed in Paris."),
        ("Where was the treaty signed?", "In Paris.", "The treaty was signed in Paris."),
        ("What did Curie discover?", "Radium.", "Curie did discover Radium."),
        ("What year was the tower built?", "1889.", "The tower was built in 1889."),
        ("He was born in what year?", "1686.", "He was born in 1686."),
        ("Why is the sky blue?", "Scattering.", None),
        ("How come?", "Luck.", None),
        ("Who?", "Me.", None),
        ("Where is", "", None),
    ],
)
def test_wh_claim(question: str, answer: str, claim: str | None) -> None:
    assert wh_claim(question, answer) == claim


def test_answer_template_check() -> None:
    assert check_answer_template("{question} -> {answer}") == "{question} -> {answer}"
    for bad in ("{question}", "{answer}{answer}{question}", "{0} {question} {answer}", "{question {answer}", None):
        with pytest.raises(InvalidInputError, match="answer_template"):
            check_answer_template(bad)
