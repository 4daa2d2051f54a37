"""Yes/no questions as the claims their answers make, for the QA kinds of the grounding pairs
(train/grounding.py: a BoolQ question answered yes is a supported claim, answered no an unsupported one).

Why: BoolQ answers are the closest thing here to a real short answer (a claim about a passage, not a
sentence copied from it). The rules, for the auxiliaries is/are/was/were, can/will/could/would/should,
does/do/did and has/have (``is X a Y`` -> ``X is a Y.``):

- a pronoun subject (``there``, ``it``, ``you``, ``one`` ...) is one word;
- after is/are/was/were the subject ends before the first predicate marker, in this order: ``the
  same`` / ``the`` + a superlative (not after a preposition), a comparative (``bigger than``, ``more
  ... than``), an article ``a``/``an`` not after a preposition, a predicate word (``still``, ``part``,
  ``legal``, ``true`` ...), a preposition of place or topic (``in``, ``about`` ...);
- after a modal it ends before ``be``/``have``/``get``;
- after do/does/did it ends before a common base verb, and the claim keeps the auxiliary (``X did
  play Y``: no inflection to guess);
- after has/have it ends before ``ever`` or a participle;
- question polarity words become a statement's: ``anyone`` -> ``someone``, ``there is any`` ->
  ``there is some``, ``has X ever won`` -> ``X has won``.

Questions no rule fits (wh-questions, negated auxiliaries, no marker) give None, never a guess.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["question_to_claim"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _sentence_form(text: str) -> str:
    """``text`` with a capital first letter and a final full stop."""
    text = text.strip()
    return text[0].upper() + text[1:] + ("" if text[-1] in ".!?" else ".")


_BE = frozenset(["is", "are", "was", "were"])
_MODAL = frozenset(["can", "will", "could", "would", "should"])
_DO = frozenset(["does", "do", "did"])
_HAVE = frozenset(["has", "have"])
_PRONOUNS = _words(
    "there it this that these those he she they you u we i one anyone anybody someone somebody everyone people"
)
_PREPOSITIONS = _words("of for in on at from with to by and or about like than as into over under near")
_PREDICATE_WORDS = _words(
    "still also always ever really actually only part based considered called allowed legal illegal required "
    "true real made used related open available possible necessary safe going known"
)
_PLACE_WORDS = _words("in on at about from near under over inside outside within")
_SUPERLATIVE_AFTER_THE = _words("same first last only main")
_BASE_VERBS = _words(
    "have need get go make take die come play work count mean live exist win pay use show include require cover "
    "apply affect return end happen know run change cause stand contain own belong speak sell see marry become "
    "leave appear fly lose kill look hold cost grow eat drink affect carry mention survive receive give keep "
    "sing stay start stop follow help move tell call break fall feel bring turn write read sleep qualify "
    "matter occur produce protect reduce increase support allow provide exist remain serve share travel"
)
_STATEMENT_FORM = {"any": "some", "anyone": "someone", "anybody": "somebody", "anything": "something"}
_PARTICIPLES = _words("been had got gotten won made done gone seen taken given known become come")


def _subject_end(aux: str, rest: Sequence[str]) -> int | None:
    """Where the subject of ``aux rest...`` ends (an index into ``rest``), or None when no rule fits."""
    if rest[0] in _PRONOUNS:
        return 1
    indices = range(1, len(rest))
    if aux in _BE:
        for j in indices:
            if rest[j] == "the" and j + 1 < len(rest) and rest[j - 1] not in _PREPOSITIONS:
                after = rest[j + 1]
                if after in _SUPERLATIVE_AFTER_THE or after.endswith("est") or after == "most":
                    return j
        for j in indices:
            if (rest[j].endswith("er") and j + 1 < len(rest) and rest[j + 1] == "than") or (
                rest[j] in ("more", "less") and "than" in rest[j + 1 :]
            ):
                return j
        for j in indices:
            if rest[j] in ("a", "an") and rest[j - 1] not in _PREPOSITIONS:
                return j
        for words in (_PREDICATE_WORDS, _PLACE_WORDS):
            for j in indices:
                if rest[j] in words:
                    return j
        return None
    if aux in _MODAL:
        return next((j for j in indices if rest[j] in ("be", "have", "get")), None)
    if aux in _DO:
        return next((j for j in indices if rest[j] in _BASE_VERBS), None)
    return next(  # has / have
        (
            j
            for j in indices
            if rest[j] == "ever" or rest[j] in _PARTICIPLES or (len(rest[j]) > 4 and rest[j].endswith("ed"))
        ),
        None,
    )


def question_to_claim(question: str) -> str | None:
    """A yes/no question as the claim a "yes" answer makes (``is X a Y`` -> ``X is a Y.``), or None.

    Args:
        question: The question (BoolQ writes them lower-case, without a question mark).

    Returns:
        The claim with a capital and a full stop, or None when no rule of the module docstring fits.
    """
    words = question.strip().rstrip("?").strip().split()
    if len(words) < 3:
        return None
    aux, rest = words[0].lower(), words[1:]
    if aux not in _BE | _MODAL | _DO | _HAVE:
        return None
    k = _subject_end(aux, [w.lower() for w in rest])
    if k is None or not 0 < k < len(rest):
        return None
    subject, predicate = list(rest[:k]), list(rest[k:])
    # the question's polarity words as a statement's: "has anyone ever won" -> "someone has won"
    subject[0] = _STATEMENT_FORM.get(subject[0].lower(), subject[0])
    if subject == ["there"] and predicate[0].lower() == "any":
        predicate[0] = "some"
    if predicate[0].lower() == "ever" and len(predicate) > 1:
        predicate = predicate[1:]
    return _sentence_form(" ".join([*subject, aux, *predicate]))
