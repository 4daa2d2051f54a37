"""The claim a short answer makes for its question: what the groundedness checker scores for
"Yes." or "Jesse Eisenberg." (``answer_claim``), and the rules behind it.

Why: an elliptical answer asserts nothing on its own, and "question + answer" glued together is not a
claim an NLI model was trained on. A yes/no reply to a yes/no question becomes the statement the
question asks about (``question_to_claim``), negated for "no" (``negate``); any other short answer
is put in ``QA_TEMPLATE`` with its question. The same rules make the QA kinds of the grounding pairs
(``train/grounding.py``: a BoolQ question answered yes is a supported claim, answered no an
unsupported one).

``question_to_claim``'s rules, for the auxiliaries is/are/was/were, can/will/could/would/should,
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

import re
from collections.abc import Sequence
from typing import Literal

from entailkit.errors import InvalidInputError

__all__ = [
    "QA_TEMPLATE",
    "QUESTION_MODES",
    "SHORT_ANSWER_WORDS",
    "QuestionMode",
    "answer_claim",
    "check_answer_template",
    "is_elliptical",
    "is_question",
    "negate",
    "question_to_claim",
    "wh_claim",
]

QuestionMode = Literal["claim", "prefix", "none"]
QUESTION_MODES: tuple[QuestionMode, ...] = ("claim", "prefix", "none")
"""How a question shapes the hypotheses: ``claim`` (a short answer becomes the claim it makes; a full
sentence is scored as it is), ``prefix`` (``"<question> <sentence>"`` for every sentence), ``none``."""

QA_TEMPLATE = "{question} {answer}"
"""The hypothesis of a short answer that is not a yes/no reply (``"Who directed Jaws? Steven
Spielberg."``); chosen on the QA part of the groundedness dev benchmark (docs/groundedness.md)."""

SHORT_ANSWER_WORDS = 6
"""A fragment of at most this many words (``is_elliptical``) is scored as the claim it makes."""

_REPLY = re.compile(r"^\s*(?P<word>yes|yeah|yep|correct|no|nope)\b[\s,.;:!-]*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_NEGATIVE = frozenset(["no", "nope"])


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


# -- negation ------------------------------------------------------------------------------------------

_AUX = re.compile(
    r"\b(?:(?P<contracted>isn't|aren't|wasn't|weren't|can't|won't|doesn't|don't|didn't|couldn't|shouldn't)|"
    r"(?P<cannot>cannot)|(?P<aux>is|are|was|were|will|could|should|must|does|do|did|can)(?P<neg> not)?)\b"
)
_SUBORDINATORS = _words(
    "that which who whom whose if when where while because although though unless whether since what how "
    "why whatever whenever"
)
_DETERMINERS = _words("a an the this that his her its their my your our")
_NO_NEGATE_NEXT = _words("no not never none nothing only just necessarily always all exactly quite even")
_CONTRACTED = {
    "isn't": "is", "aren't": "are", "wasn't": "was", "weren't": "were", "can't": "can", "won't": "will",
    "doesn't": "does", "don't": "do", "didn't": "did", "couldn't": "could", "shouldn't": "should",
}  # fmt: skip


def negate(sentence: str) -> str | None:
    """``sentence`` with its first auxiliary negated, or its negation removed; None when unsafe.

    Args:
        sentence: One sentence of a passage.

    Returns:
        The flipped sentence, or None: no auxiliary, a subordinator before it (the first auxiliary may
        not be the main clause's), a determiner just before it (``a can of``: a noun), a negation next
        to it, or a do-verb without negation (``do`` is often the main verb).
    """
    match = _AUX.search(sentence)
    if match is None:
        return None
    words_before = [w.lower().strip(",;:()\"'") for w in sentence[: match.start()].split()]
    if set(words_before) & _SUBORDINATORS or (words_before and words_before[-1] in _DETERMINERS):
        return None  # not the main clause's auxiliary, or a noun ("a can of", "the will of")
    after = sentence[match.end() :].split()
    following = after[0].lower().strip(",;:.") if after else ""
    aux, has_not, cannot, contracted = match.group("aux", "neg", "cannot", "contracted")
    if cannot or contracted or has_not:
        if following in _NO_NEGATE_NEXT:
            return None
        new = "can" if cannot else _CONTRACTED[contracted] if contracted else aux
    else:
        if aux in ("do", "does", "did") or following in _NO_NEGATE_NEXT or following.endswith("n't"):
            return None
        new = "cannot" if aux == "can" else f"{aux} not"
    claim = sentence[: match.start()] + new + sentence[match.end() :]
    return claim if claim != sentence else None


def is_question(sentence: str) -> bool:
    """Whether an answer sentence is a question (it ends with ``?``): it asserts nothing to check."""
    return sentence.rstrip().rstrip("\"')»”’").endswith(("?", "？", "؟"))


def answer_claim(sentence: str, question: str | None, mode: QuestionMode = "claim", *, template: str = QA_TEMPLATE) -> str:
    """The hypothesis to score for one answer sentence given its question.

    ``claim``: a yes/no reply to a yes/no question is the question's statement (negated for no), with
    the rest of the reply after it ("Yes, in 1998." -> "X was released. In 1998."); any other
    fragment (``is_elliptical``) replaces its question's wh-phrase (``wh_claim``), or, when no rule fits,
    goes into ``template``; a full sentence is a claim of its own and is
    kept. ``prefix``: ``"<question> <sentence>"``. ``none`` (or no question): the sentence.

    Args:
        sentence: One sentence of the answer.
        question: The question it replies to (None or blank: no question).
        mode: One of ``QUESTION_MODES``.
        template: The fragment template, with ``{question}`` and ``{answer}`` (for comparing templates).
    """
    q = (question or "").strip()
    if not q or mode == "none":
        return sentence
    if mode == "prefix":
        return f"{q} {sentence}"
    reply = _REPLY.match(sentence)
    statement = question_to_claim(q) if reply else None
    if reply and statement is not None:
        if reply.group("word").lower() in _NEGATIVE:
            statement = negate(statement) or f"It is not true that {statement[0].lower()}{statement[1:]}"
        rest = reply.group("rest").strip()
        return f"{statement} {rest[0].upper()}{rest[1:]}" if rest else statement
    if is_elliptical(sentence):
        return wh_claim(q, sentence) or template.format(question=q, answer=sentence.strip())
    return sentence


_WH_INSIDE = re.compile(
    r"\b(?:who or what|what number|what year|what month|which year|which month|who|whom|what|which|when|where|"
    r"how many|how much)\b",
    re.IGNORECASE,
)
_SUBJECT_WH = frozenset(["who", "whom", "what", "which"])
_DO_AUX = frozenset(["do", "does", "did"])
_TIME_PLACE = ("when", "where", "what year", "which year", "what month")
_PREPOSITION_START = _words("in on at by from during since before after around about near inside under over")


def _phrase(words: list[str], n: int) -> str:
    return " ".join(words[:n]).lower()


def _statement(words: Sequence[str]) -> str | None:
    """``aux subject... verb`` as a statement: ``question_to_claim``, else, when the last word is a
    lower-case verb-like word, ``subject aux verb`` ("was the treaty signed" -> "The treaty was signed.")."""
    statement = question_to_claim(" ".join(words))
    if statement is not None or len(words) < 3:
        return statement
    aux, last = words[0].lower(), words[-1]
    if aux in _BE | _MODAL | _DO | _HAVE and last.isalpha() and last.islower():
        return _sentence_form(" ".join([*words[1:-1], aux, last]))
    return None


def wh_claim(question: str, answer: str) -> str | None:
    """A wh-question and a fragment answer as one statement, or None when no rule fits.

    The answer takes the wh-phrase's place: ``Who played Zuckerberg?`` + ``Jesse Eisenberg.`` ->
    ``Jesse Eisenberg played Zuckerberg.``; ``How many people live there?`` + ``About 2 million.`` ->
    ``About 2 million people live there.``; a wh-phrase inside the question (``He was born in what
    year?``) is replaced where it stands. After do/does/did, and after when / where / what year, the
    rest is turned by ``question_to_claim`` and the answer added (``When did X die?`` + ``1917.`` ->
    ``X did die in 1917.``; ``What did X discover?`` + ``Radium.`` -> ``X did discover Radium.``).

    Args:
        question: The question (a question mark is optional).
        answer: The fragment answer.
    """
    q = question.strip().rstrip("?？").strip()
    a = answer.strip().rstrip(".!。").strip()
    words = q.split()
    if not a or len(words) < 2:
        return None
    lower = [w.lower() for w in words]
    if lower[0] not in _SUBJECT_WH | {"when", "where", "how"}:
        inside = list(_WH_INSIDE.finditer(q))
        if not inside:
            return None
        m = inside[-1]
        return _sentence_form(q[: m.start()] + a + q[m.end() :])
    for phrase in _TIME_PLACE:
        n = len(phrase.split())
        if _phrase(words, n) == phrase and len(words) > n + 1:
            statement = _statement(words[n:])
            if statement is None:
                return None
            if a.split()[0].lower() in _PREPOSITION_START:
                return f"{statement[:-1]} {a[0].lower()}{a[1:]}."
            return f"{statement[:-1]} in {a}."
    if lower[0] == "how":
        if len(words) < 3 or lower[1] not in ("many", "much"):
            return None
        noun = words[2] if lower[2] not in _DO_AUX else ""
        rest = words[3:] if noun else words[2:]
        if rest and rest[0].lower() in _DO_AUX:  # "How many moons does Mars have?" -> "Mars does have 2 moons."
            statement = _statement(rest)
            return None if statement is None else f"{statement[:-1]} {a}{' ' + noun if noun and noun.lower() not in a.lower() else ''}."
        has_noun = noun and noun.lower() in a.lower()
        return _sentence_form(" ".join([a, *([] if has_noun or not noun else [noun]), *rest]))
    rest = words[1:]
    if rest[0].lower() in _DO_AUX:  # an object question: "What did X discover?"
        statement = _statement(rest)
        return None if statement is None else f"{statement[:-1]} {a}."
    return _sentence_form(" ".join([a, *rest]))


_FINITE = _words(
    "is are was were am be been has have had do does did can could will would shall should may might must "
    "isn't aren't wasn't weren't hasn't haven't doesn't don't didn't can't won't it he she they we i you there "
    "this these those"
)


def is_elliptical(sentence: str) -> bool:
    """Whether an answer sentence is a fragment ("Jesse Eisenberg.", "In 1998."): at most
    ``SHORT_ANSWER_WORDS`` words, none of them an English auxiliary, a subject pronoun or a past form."""
    words = [w.strip(".,;:!?\"'()").lower() for w in sentence.split()]
    if not words or len(words) > SHORT_ANSWER_WORDS:
        return False
    return not any(w in _FINITE or (len(w) > 4 and w.endswith("ed")) for w in words)


def check_answer_template(template: object) -> str:
    """``template`` if it is a str with exactly one ``{question}`` and one ``{answer}`` (and no other field).

    Raises:
        InvalidInputError: Anything else.
    """
    import string

    if isinstance(template, str):
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
        except ValueError:
            fields = []
        if sorted(fields) == ["answer", "question"]:
            return template
    raise InvalidInputError(
        f"answer_template must be a str with one {{question}} and one {{answer}} field, got {template!r:.80}."
    )
