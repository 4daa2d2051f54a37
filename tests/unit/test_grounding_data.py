"""Document-level grounding pairs (issue 22): the claim rules on hand-written passages, the builders'
determinism and input checks, and evaluate_groundedness on a FakeScorer. Pure python, no torch."""

from __future__ import annotations

import copy
import random

import pytest

from entailkit.errors import InvalidInputError
from entailkit.tasks import GroundednessChecker
from entailkit.tasks.question_claims import negate, question_to_claim
from entailkit.train import GroundingData, QAExample, boolq_claims, evaluate_groundedness, passage_claims
from entailkit.train.data import NLI3, NLIExample
from entailkit.train.grounding import (
    CONTRADICTION_KINDS,
    PASSAGE_KINDS,
    SUPPORTED_KINDS,
    UNSUPPORTED_KINDS,
    claim_sentences,
    kind_label,
)
from entailkit.train.grounding_claims import (
    MentionPool,
    clauses,
    mentions,
    strip_lead,
    swap_mention,
)
from entailkit.train.grounding_qa import boolq_qa_pairs, passage_qa_pairs
from fakes import FakeScorer

P1 = (
    "Daniel Gabriel Fahrenheit was a German physicist who lived in Amsterdam. However, he is best known for "
    "the mercury thermometer he built there. In 1724, he introduced the temperature scale that bears his name. "
    "The scale sets the freezing point of water at 32 degrees; it places the boiling point at 212 degrees. "
    "The first thermometers were sold in March to scientists in Holland."
)
P2 = (
    "Isaac Newton was an English physicist and mathematician. He published the Principia in 1687 with help "
    "from Edmond Halley. The book is about motion and gravity and ran to 510 pages in 45 chapters. "
    "Newton cannot be credited with every idea in it, and many of them came from Robert Hooke."
)
PASSAGES = {"p1": P1, "p2": P2}
GROUPS = {"q1": ["p1", "p2"]}
BOOLQ = [
    {"question": "is the tortoise and the hare a fairy tale", "passage": "The Tortoise and the Hare is a fable.",
     "title": "The Tortoise and the Hare", "label": False},
    {"question": "can you pick up the first card in rummy", "passage": "In rummy a player may take the top card.",
     "title": "Rummy", "label": True},
    {"question": "what is the capital of peru", "passage": "Lima is the capital of Peru.", "title": "Lima",
     "label": "yes"},
]  # fmt: skip
PERTURBED = {"negation", "swap_number", "swap_year", "swap_date", "swap_name", "other_passage", "swap_inside"}


def kinds_of(data: GroundingData) -> set[str]:
    return {ex.source.split(":", 1)[1] for ex in data.examples}


# -- the builders ------------------------------------------------------------------------------------


def test_every_passage_kind_is_made_on_the_hand_written_passages() -> None:
    data = passage_claims(PASSAGES, GROUPS, source="hand")
    assert kinds_of(data) == set(PASSAGE_KINDS)
    assert data.counts == {f"hand:{k}": sum(ex.source == f"hand:{k}" for ex in data.examples) for k in kinds_of(data)}
    assert sum(data.counts.values()) == len(data.examples)
    for ex in data.examples:
        kind = ex.source.split(":", 1)[1]
        assert ex.premise in (P1, P2)
        assert ex.label == kind_label(kind)
        assert ex.label in ("entailment", "not_entailment")
        if kind in PERTURBED:
            assert ex.hypothesis not in ex.premise, ex  # the claim really is not the passage's text
        if kind == "sentence":
            assert ex.hypothesis in ex.premise


def test_at_most_one_claim_per_kind_and_passage() -> None:
    data = passage_claims(PASSAGES, GROUPS)
    keys = [(ex.premise, ex.source) for ex in data.examples]
    assert len(keys) == len(set(keys))


def test_three_way_labels() -> None:
    data = passage_claims(PASSAGES, GROUPS, three_way=True)
    assert {ex.label for ex in data.examples} <= set(NLI3)
    for ex in data.examples:
        kind = ex.source.split(":", 1)[1]
        expected = (
            "entailment" if kind in SUPPORTED_KINDS else "neutral" if kind in UNSUPPORTED_KINDS else "contradiction"
        )
        assert ex.label == expected
    assert kind_label("negation") == "not_entailment" and kind_label("qa_no", True) == "neutral"
    assert set(CONTRADICTION_KINDS) == {"negation", "swap_number", "swap_year", "swap_date", "swap_inside"}


def test_deterministic_by_seed() -> None:
    first = passage_claims(PASSAGES, GROUPS, seed=3)
    assert passage_claims(dict(reversed(list(PASSAGES.items()))), GROUPS, seed=3) == first
    others = [passage_claims(PASSAGES, GROUPS, seed=s).examples for s in range(10)]
    assert any(o != first.examples for o in others)


def test_a_kind_does_not_depend_on_the_others_asked_for() -> None:
    alone = passage_claims(PASSAGES, GROUPS, kinds=["swap_year"])
    everything = passage_claims(PASSAGES, GROUPS)
    assert kinds_of(alone) == {"swap_year"}
    assert alone.examples == [ex for ex in everything.examples if ex.source.endswith(":swap_year")]


def test_inputs_are_not_mutated() -> None:
    passages, groups, rows = copy.deepcopy(PASSAGES), copy.deepcopy(GROUPS), copy.deepcopy(BOOLQ)
    passage_claims(passages, groups)
    boolq_claims(rows)
    assert (passages, groups, rows) == (PASSAGES, GROUPS, BOOLQ)


def test_empty_input_gives_empty_output() -> None:
    assert passage_claims({}) == GroundingData([], {})
    assert passage_claims({"p": ""}, {"q": ["p", "unknown"]}) == GroundingData([], {})
    assert boolq_claims([]) == GroundingData([], {})
    assert not passage_claims({"p1": P1}, {"q": ["p1"]}, kinds=["other_passage"]).examples  # no other passage


def test_boolq_claims() -> None:
    data = boolq_claims(BOOLQ)
    assert [(ex.hypothesis, ex.label, ex.source) for ex in data.examples] == [
        ("The tortoise and the hare is a fairy tale.", "not_entailment", "boolq:qa_no"),
        ("You can pick up the first card in rummy.", "entailment", "boolq:qa_yes"),
    ]  # the "what" question is skipped
    assert data.examples[0].premise == "The Tortoise and the Hare. The Tortoise and the Hare is a fable."
    assert data.counts == {"boolq:qa_no": 1, "boolq:qa_yes": 1}


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: passage_claims(["p"]), "mapping of passage id"),  # type: ignore[arg-type]
        (lambda: passage_claims({"p": 3}), "mapping of passage id"),  # type: ignore[dict-item]
        (lambda: passage_claims(PASSAGES, kinds=["nonsense"]), "kinds must be"),
        (lambda: passage_claims(PASSAGES, kinds="sentence"), "kinds must be"),
        (lambda: passage_claims(PASSAGES, seed="0"), "seed must be an int"),  # type: ignore[arg-type]
        (lambda: passage_claims(PASSAGES, seed=True), "seed must be an int"),
        (lambda: passage_claims(PASSAGES, three_way=1), "three_way must be a bool"),  # type: ignore[arg-type]
        (lambda: passage_claims(PASSAGES, {"q": "p1"}), "groups must map"),  # type: ignore[dict-item]
        (lambda: boolq_claims([{"question": "is it"}]), "'question' and 'passage'"),
        (lambda: boolq_claims([{"question": "is x a y", "passage": "p", "label": "maybe"}]), "yes/no"),
        (lambda: kind_label("made_up"), "unknown claim kind"),
    ],
)
def test_bad_arguments_raise_typed_errors(call: object, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        call()  # type: ignore[operator]


# -- the rules -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "claim"),
    [
        ("is an oz and a fl oz the same", "An oz and a fl oz is the same."),
        ("is there a train station at oslo airport", "There is a train station at oslo airport."),
        ("was the power of one a true story", "The power of one was a true story."),
        ("is the home insurance building still standing in chicago", "The home insurance building is still standing in chicago."),
        ("is a 17 hmr bigger than a 22lr", "A 17 hmr is bigger than a 22lr."),
        ("is for a few dollars more a sequel", "For a few dollars more is a sequel."),
        ("are all the royal families of europe related", "All the royal families of europe are related."),
        ("were the lakers in the nba finals?", "The lakers were in the nba finals."),
        ("can one travel faster than the speed of light", "One can travel faster than the speed of light."),
        ("can a dog be allergic to grass", "A dog can be allergic to grass."),
        ("does the girl die in a walk to remember", "The girl does die in a walk to remember."),
        ("do uk citizens need a tourist visa for turkey", "Uk citizens do need a tourist visa for turkey."),
        ("did eric clapton play while my guitar gently weeps", "Eric clapton did play while my guitar gently weeps."),
        ("has anyone ever won the american ninja warrior", "Someone has won the american ninja warrior."),
        ("have any supreme court justices ever been removed", "Some supreme court justices have been removed."),
        ("is the lake in the forest", "The lake is in the forest."),
        ("are there any tolls on i-75", "There are some tolls on i-75."),
        ("what is the capital of peru", None),
        ("didn't he go home", None),
        ("is it", None),
        ("does bfd 3 ship", None),
    ],
)  # fmt: skip
def test_question_to_claim(question: str, claim: str | None) -> None:
    assert question_to_claim(question) == claim


def test_strip_lead() -> None:
    assert strip_lead("However, the cat is on the mat today.") == "The cat is on the mat today."
    assert strip_lead("In 2010, he introduced the standard scale.") == "He introduced the standard scale."
    assert strip_lead("On 4 July 1776, the declaration was signed by delegates.") == (
        "The declaration was signed by delegates."
    )
    assert (
        strip_lead("In the 1990s, the company grew quickly across Europe.") == "The company grew quickly across Europe."
    )
    for unsafe in ("Generally, it is fine to do so here.", "If untreated, the disease is fatal in weeks.",
                   "According to the CDC, flu kills thousands.", "However, it is.", "The cat is on the mat."):  # fmt: skip
        assert strip_lead(unsafe) is None, unsafe


def test_clauses() -> None:
    assert clauses("The drug lowers blood pressure; it also reduces the risk of stroke in adults.") == [
        "The drug lowers blood pressure.",
        "It also reduces the risk of stroke in adults.",
    ]
    assert clauses("The drug lowers blood pressure in adults, but it raises the heart rate in children.") == [
        "The drug lowers blood pressure in adults.",
        "It raises the heart rate in children.",
    ]
    assert clauses("Cats, dogs and birds are common pets in most homes.") == []
    assert clauses("It is the seventh game of the series; the sequel to 2010's God of War III.") == [
        "It is the seventh game of the series."
    ]  # a clause needs a verb-like word


@pytest.mark.parametrize(
    ("sentence", "flipped"),
    [
        ("The cat is on the mat.", "The cat is not on the mat."),
        ("The cat isn't on the mat.", "The cat is on the mat."),
        ("You cannot park here at night.", "You can park here at night."),
        ("Ethanol can be made from corn.", "Ethanol cannot be made from corn."),
        ("It does not work well in winter.", "It does work well in winter."),
        ("The levels were high in 2010.", "The levels were not high in 2010."),
        ("There is no cure for it.", None),
        ("The test that is used is cheap.", None),
        ("It is not only cheap but fast.", None),
        ("They do the work on Sundays.", None),
        ("Cats sleep a lot.", None),
    ],
)
def test_negate(sentence: str, flipped: str | None) -> None:
    out = negate(sentence)
    assert out == flipped
    assert out != sentence


def test_mentions_kinds_and_shapes() -> None:
    found = {
        (m.kind, m.text, m.shape)
        for m in mentions("In March 1709 Daniel Fahrenheit paid 1,200 or 3.5 for 22lr and 5-0.")
    }
    assert found == {
        ("date", "March", ""),
        ("year", "1709", ""),
        ("name", "Daniel Fahrenheit", "2"),
        ("number", "1,200", "4,.0"),
        ("number", "3.5", "1.1"),
    }


def test_swaps_change_the_claim_and_use_values_absent_from_the_passage() -> None:
    pool = MentionPool.from_texts([P1, P2])
    sentences = ["In 1724, he introduced the temperature scale that bears his name.",
                 "The scale sets the freezing point of water at 32 degrees; it places the boiling point at 212 degrees.",
                 "The first thermometers were sold in March to scientists in Holland.",
                 "Daniel Gabriel Fahrenheit was a German physicist who lived in Amsterdam."]  # fmt: skip
    made = 0
    for seed in range(20):
        rng = random.Random(seed)
        for kind, sentence in zip(("year", "number", "date", "name"), sentences, strict=True):
            out = swap_mention(sentence, P1, kind, pool, rng)
            assert out is not None, (kind, seed)
            claim, old, new = out
            made += 1
            assert claim != sentence and old in sentence and new in claim and old != new
            assert new.lower() not in P1.lower() or kind == "number"
            assert new not in {m.text for m in mentions(P1)}
    assert made == 80
    assert swap_mention("It is 1 cup of flour.", P1, "number", pool, random.Random(0)) is None  # 0 and 1 are kept
    assert swap_mention("Nothing to swap here at all.", P1, "year", pool, random.Random(0)) is None


def test_swap_inside_uses_a_value_the_passage_mentions() -> None:
    made = 0
    for seed in range(20):
        data = passage_claims(PASSAGES, kinds=["swap_inside"], seed=seed)
        for ex in data.examples:
            made += 1
            assert ex.hypothesis not in ex.premise and ex.label == "not_entailment"
            # every value the claim mentions is one the passage mentions, yet the claim is not the passage's
            assert all(m.text in ex.premise for m in mentions(ex.hypothesis))
    assert made >= 20


def test_qa_pairs_balance_each_question() -> None:
    qa = boolq_qa_pairs(BOOLQ)
    assert len(qa) == 2 * len(BOOLQ)
    for row, (yes, no) in zip(BOOLQ, zip(qa[::2], qa[1::2], strict=True), strict=True):
        assert (yes.answer, no.answer) == ("Yes.", "No.") and yes.question.endswith("?")
        assert {yes.label, no.label} == {"entailment", "not_entailment"}
        assert (yes.label == "entailment") == (row["label"] in (True, "yes"))
    sentences = {pid: claim_sentences(text) for pid, text in PASSAGES.items()}
    wh = passage_qa_pairs(PASSAGES, sentences, seed=1, source="hand")
    assert wh and len(wh) % 2 == 0 and wh == passage_qa_pairs(PASSAGES, sentences, seed=1, source="hand")
    for right, wrong in zip(wh[::2], wh[1::2], strict=True):
        assert right.question == wrong.question and right.question.endswith("?")
        assert (right.label, wrong.label) == ("entailment", "not_entailment") and right.answer != wrong.answer
        assert right.answer[:-1] in right.passage and wrong.answer[:-1] in wrong.passage  # both in the passage
    with pytest.raises(InvalidInputError, match="BoolQ"):
        boolq_qa_pairs([{"question": "q"}])


def test_evaluate_groundedness_reads_qa_examples_with_their_question() -> None:
    passage = "The tower was built in 1889 and repainted in 1907."
    table = {("1889", "The tower was built in 1889."): (0.9, 0.0), ("1889", "The tower was built in 1907."): (0.2, 0.7)}
    scorer = FakeScorer(table, default=(0.1, 0.1))
    qa = [QAExample(passage, "When was the tower built?", "1889.", "entailment", "t:wh_right"),
          QAExample(passage, "When was the tower built?", "1907.", "not_entailment", "t:wh_wrong")]  # fmt: skip
    assert evaluate_groundedness(scorer, qa)["balanced_accuracy"] == 1.0
    plain = GroundednessChecker(scorer, question_mode="none")
    assert evaluate_groundedness(plain, qa)["balanced_accuracy"] == 0.5


# -- evaluate_groundedness ---------------------------------------------------------------------------------

EVAL = [
    NLIExample("The sky is blue and the grass is green.", "The sky is blue.", "entailment", "t:sentence"),
    NLIExample("The sky is blue and the grass is green.", "The sky is not blue.", "not_entailment", "t:negation"),
    NLIExample("Water boils at 100 degrees.", "Water boils at 100 degrees.", "entailment", "t:sentence"),
    NLIExample("Water boils at 100 degrees.", "Water boils at 90 degrees.", "contradiction", "t:swap_number"),
]


def test_evaluate_groundedness_on_a_fake_scorer() -> None:
    table = {("sky is blue", "The sky is blue."): (0.9, 0.0), ("boils", "Water boils at 100 degrees."): (0.8, 0.0),
             ("boils", "Water boils at 90 degrees."): (0.6, 0.3)}  # fmt: skip
    scorer = FakeScorer(table, default=(0.1, 0.1))
    out = evaluate_groundedness(scorer, EVAL)
    assert out["n"] == 4.0 and out["supported"] == 2.0
    assert out["auroc"] == 1.0  # every supported claim scores above every unsupported one
    assert out["balanced_accuracy"] == 0.75  # the 0.6 swap passes the 0.5 threshold
    assert out["accuracy:t:swap_number"] == 0.0 and out["accuracy:t:sentence"] == 1.0
    assert evaluate_groundedness(scorer, EVAL, threshold=0.7)["balanced_accuracy"] == 1.0
    assert 0.0 <= out["ece"] <= 1.0
    assert evaluate_groundedness(GroundednessChecker(scorer), EVAL) == out
    assert evaluate_groundedness(scorer, []) == {}


def test_evaluate_groundedness_errors() -> None:
    scorer = FakeScorer()
    with pytest.raises(InvalidInputError, match="both supported and unsupported"):
        evaluate_groundedness(scorer, EVAL[:1])
    with pytest.raises(InvalidInputError, match="threshold"):
        evaluate_groundedness(scorer, EVAL, threshold=1.5)
    with pytest.raises(InvalidInputError, match="unknown NLI label"):
        evaluate_groundedness(scorer, [*EVAL, NLIExample("a", "b", "maybe")])
