"""Short-answer grounding pairs: (passage, question, short answer, label), for choosing how the checker
turns a question and an elliptical answer into a claim (``tasks/question_claims.py``).

Two kinds, each with a right and a wrong answer to the same question (so every question is balanced):

- ``yesno_*``: a BoolQ question answered "Yes." or "No."; right when it matches the gold label.
- ``wh_<kind>_*``: a passage sentence with one mention (a name, number, year or month; see
  ``train/grounding_claims.py: mentions``) replaced by a wh-phrase ("Fahrenheit was born in what
  year?"); the right answer is the mention ("1686."), the wrong one another mention of the same kind
  in the same passage ("1736."). Both answers occur in the passage, so only a checker that reads the
  question can tell them apart (a value that is nowhere in the passage would be caught by string
  matching alone).

Deterministic: every draw is seeded with the seed, the source, the passage id and the kind.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from entailkit.errors import InvalidInputError
from entailkit.train.grounding import boolq_premise, boolq_says_yes, check_seed
from entailkit.train.grounding_claims import mentions

__all__ = ["WH_PHRASES", "QAExample", "boolq_qa_pairs", "passage_qa_pairs"]

WH_PHRASES: dict[str, str] = {"name": "who or what", "number": "what number", "year": "what year", "date": "what month"}
"""The wh-phrase that stands for a mention of each kind in a question made from a sentence."""


@dataclass(frozen=True)
class QAExample:
    """A short answer to a question about a passage; label ``entailment`` when the passage supports it."""

    passage: str
    question: str
    answer: str
    label: str
    source: str


def boolq_qa_pairs(rows: Iterable[Mapping[str, object]], *, source: str = "boolq") -> list[QAExample]:
    """Each BoolQ question twice: answered "Yes." and "No.", the one that matches its label supported.

    Args:
        rows: BoolQ rows (``question``, ``passage``, ``title``, ``label`` true/false or yes/no).
        source: The pairs' source prefix (``"<source>:yesno_right"`` / ``"<source>:yesno_wrong"``).

    Raises:
        InvalidInputError: A row without ``question`` / ``passage``, or a label that is not yes/no.
    """
    out: list[QAExample] = []
    for row in rows:
        if not isinstance(row, Mapping) or "question" not in row or "passage" not in row:
            raise InvalidInputError("each BoolQ row must be a mapping with 'question' and 'passage'.")
        gold = boolq_says_yes(row.get("label"))
        question = str(row["question"]).strip()
        question = question if question.endswith("?") else f"{question}?"
        for answer, says_yes in (("Yes.", True), ("No.", False)):
            right = says_yes == gold
            label = "entailment" if right else "not_entailment"
            out.append(QAExample(boolq_premise(row), question, answer, label, f"{source}:yesno_{'right' if right else 'wrong'}"))
    return out


def _wh_question(sentence: str, start: int, end: int, kind: str) -> str:
    question = sentence[:start] + WH_PHRASES[kind] + sentence[end:]
    question = question.rstrip().rstrip(".!;:,")
    return question[0].upper() + question[1:] + "?"


def passage_qa_pairs(
    passages: Mapping[str, str], sentences: Mapping[str, list[str]], *, seed: int = 0, source: str = "passages"
) -> list[QAExample]:
    """Per passage and mention kind at most one wh-question, with its right and its wrong answer.

    Args:
        passages: Passage id -> text (ids visited in sorted order).
        sentences: Passage id -> its sentences that may become questions.
        seed: Seeds every draw.
        source: The pairs' source prefix (``"<source>:wh_year_right"`` ...).
    """
    seed = check_seed(seed)
    out: list[QAExample] = []
    for pid in sorted(passages):
        text = passages[pid]
        found = mentions(text)
        for kind in WH_PHRASES:
            values = sorted({m.text for m in found if m.kind == kind})
            rng = random.Random(f"{seed}:{source}:{pid}:wh_{kind}")
            order = list(sentences.get(pid, ()))
            rng.shuffle(order)
            for sentence in order:
                own = [m for m in mentions(sentence) if m.kind == kind]
                rng.shuffle(own)
                pick = next(((m, [v for v in values if v != m.text]) for m in own), None)
                if pick is None or not pick[1]:
                    continue
                mention, others = pick
                question = _wh_question(sentence, mention.start, mention.end, kind)
                out.append(QAExample(text, question, f"{mention.text}.", "entailment", f"{source}:wh_{kind}_right"))
                wrong = f"{rng.choice(others)}."
                out.append(QAExample(text, question, wrong, "not_entailment", f"{source}:wh_{kind}_wrong"))
                break
    return out

