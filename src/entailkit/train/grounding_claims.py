"""The text rules behind the document-level grounding pairs (train/grounding.py): claims made from a
passage's own sentences, and perturbations of them that the passage no longer supports.

Why rules: RAG evidence is a 100-300 token passage and the claim a short answer, while our NLI pool
pairs one sentence with one sentence; with no LLM to write claims, these rules make passage -> claim
pairs from any passage collection. Every rule is a pure function of its text; a rule that cannot
apply returns None (or nothing) rather than a half-changed claim.

Supported (the passage entails the claim):

- ``clauses``: a sentence split at ``;`` or at ``, and`` / ``, but`` before a pronoun or determiner;
  a clause needs 5 words and a verb-like word (the clause gets a capital and a full stop).
- ``strip_lead``: the sentence without a leading discourse adverb (``However,``, ``In fact,``,
  ``Moreover,`` ...) or time phrase (``In 2010,``, ``On 4 July 1776,``). Hedges (``Generally,``,
  ``Usually,``), conditions (``If``, ``Unless``, ``Without``) and attributions (``According to``)
  are never stripped: dropping them can change what is claimed.
- ``question_to_claim`` (``tasks/question_claims.py``, shared with the checker): a yes/no question as a claim.

Contradicted (the claim says the opposite, or another value):

- ``negate`` (``tasks/question_claims.py``, shared with the checker): the first auxiliary of the sentence negated (is/are/was/were/will/could/should/must ->
  ``X not``, can -> cannot) or its negation removed (``is not`` -> ``is``, ``doesn't`` -> ``does``),
  only when no subordinator (that, which, who, if, when ...) comes before it (the negation must hit
  the main clause), no determiner just before it (``a can of``) and no negation next to it (``is
  no``, ``not only``).
- ``swap_mention`` on numbers, years and months: a number becomes another number of the same shape
  (digits, thousands separators, decimals) seen in the corpus; a year (1000-2100) another year of the
  corpus; a month another month. 0 and 1 are never swapped (``1 cup`` -> ``3 cup``).

Unsupported (on topic, not said): ``swap_mention`` on names, a capitalised multi-word name (``Daniel
Gabriel Fahrenheit``) becomes another multi-word name of the corpus that shares no word with it.

Every swap checks that the new value is not mentioned anywhere in the passage and that the claim
differs from the sentence.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "MONTHS",
    "Mention",
    "MentionPool",
    "clauses",
    "mentions",
    "strip_lead",
    "swap_mention",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


MONTHS: tuple[str, ...] = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_NUMBER = re.compile(r"(?<![\w.,\-/])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w\-/]|[.,]\d)")
_MONTH = re.compile(r"\b(?:" + "|".join(MONTHS) + r")\b")
_NAME = re.compile(r"(?<![\w\-])[A-Z][a-z]+(?: (?:(?:of|de|del|la|von|van|the) )?[A-Z][a-z]+)+(?![\w\-])")
_NAME_STOP = _words(
    "The A An In On At This That These Those It He She They We You I For If When And But Or As To By From With "
    "Of After Before During Since Many Most Some Its His Her Their Our Your My What How Why Where Who Which Also "
    "However There Here Each Every All Both Other Such Then Than So Not No Yes"
)
_TRIES = 64
"""How many corpus values a swap tries for one mention."""
_NAME_LINKS = frozenset(["of", "de", "del", "la", "von", "van", "the"])

# -- clauses and stripped leads ----------------------------------------------------------------------

_CLAUSE_CUT = re.compile(
    r";\s+|,\s+(?:and|but)\s+(?=(?:the|it|he|she|they|this|these|there|its|his|her|their|we|you)\b)"
)
_VERB_LIKE = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|can|will|would|could|should|may|might|must|does|do|did)\b"
    r"|\b[a-z]{2,}(?:ed|es|s)\b"
)
"""A word a clause with a verb has (an auxiliary, or a lower-case word ending in -s / -ed): drops the
noun phrases a ``;`` sets apart (``...; the sequel to 2010's God of War III``)."""
_ADVERBS = (
    "However|Moreover|Furthermore|Additionally|Also|In addition|In fact|Indeed|Therefore|Thus|Hence|"
    "Consequently|As a result|Meanwhile|Today|Currently|Nowadays|Overall|Finally|Notably|Importantly|"
    "Similarly|Likewise|Nevertheless|Nonetheless|Of course|Basically|Essentially|Originally|Later"
)
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"
_MONTH_NAMES = "|".join(MONTHS)
_DATE = rf"(?:(?:early|late|mid|the)[ -])?(?:(?:{_ORDINAL}\s+)?(?:{_MONTH_NAMES})\s+(?:{_ORDINAL},?\s+)?)?"
_LEAD = re.compile(rf"^(?:(?:{_ADVERBS})|(?:In|On|During|Since|As of|By)\s+{_DATE}\d{{4}}s?),\s+")


def _sentence_form(text: str) -> str:
    """``text`` with a capital first letter and a final full stop (a claim, as an answer would be)."""
    text = text.strip().rstrip(",;:")
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def clauses(sentence: str, *, min_words: int = 5) -> list[str]:
    """The clauses of ``sentence`` as claims, when it has two or more of at least ``min_words`` words.

    Args:
        sentence: One sentence of a passage.
        min_words: The fewest words a clause needs to be kept.

    Returns:
        The kept clauses (capitalised, with a full stop); empty when the sentence does not split.
    """
    parts = [p for p in _CLAUSE_CUT.split(sentence) if p.strip()]
    if len(parts) < 2:
        return []
    out = [_sentence_form(p) for p in parts if len(p.split()) >= min_words and _VERB_LIKE.search(p)]
    return [c for c in out if c != sentence.strip()]


def strip_lead(sentence: str, *, min_words: int = 4) -> str | None:
    """``sentence`` without its leading discourse adverb or time phrase, or None when it has none.

    Args:
        sentence: One sentence of a passage.
        min_words: The fewest words the rest needs (a shorter rest gives None).
    """
    match = _LEAD.match(sentence.strip())
    if match is None:
        return None
    rest = sentence.strip()[match.end() :]
    if len(rest.split()) < min_words or not rest[:1].isalnum():
        return None
    return _sentence_form(rest)


# -- mentions and swaps ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mention:
    """One swappable value of a text: its kind (number, year, date, name), span, text and shape."""

    kind: str
    start: int
    end: int
    text: str
    shape: str = ""


def mentions(text: str) -> list[Mention]:
    """The numbers, years, months and capitalised multi-word names of ``text``, in order.

    Args:
        text: A sentence or a passage.
    """
    out: list[Mention] = []
    for m in _NUMBER.finditer(text):
        whole, decimals = m.group(1), m.group(2) or ""
        if "," not in whole and not decimals and len(whole) == 4 and 1000 <= int(whole) <= 2100:
            out.append(Mention("year", m.start(), m.end(), m.group()))
        else:
            places = len(decimals) - 1 if decimals else 0
            shape = f"{len(whole.replace(',', ''))}{',' if ',' in whole else ''}.{places}"
            out.append(Mention("number", m.start(), m.end(), m.group(), shape))
    out.extend(Mention("date", m.start(), m.end(), m.group()) for m in _MONTH.finditer(text))
    for m in _NAME.finditer(text):
        words = m.group().split(" ")
        offset = m.start()
        while words and (words[0] in _NAME_STOP or words[0] in _NAME_LINKS):
            offset += len(words.pop(0)) + 1
        while words and words[-1] in _NAME_LINKS:
            words.pop()
        if sum(w[:1].isupper() for w in words) >= 2 and not any(w in MONTHS for w in words):
            name = " ".join(words)
            out.append(Mention("name", offset, offset + len(name), name, str(len(words))))
    return sorted(out, key=lambda x: (x.start, x.kind))


def _mentioned(kind: str, passage: str) -> Callable[[str], bool]:
    """Whether a value occurs in ``passage``: numbers as whole numbers, other kinds as text in any case."""
    if kind in ("number", "year"):
        numbers = {m.text for m in mentions(passage) if m.kind in ("number", "year")}
        return numbers.__contains__
    lower = passage.lower()
    return lambda value: value.lower() in lower


@dataclass
class MentionPool:
    """The values seen in a corpus, by kind (and shape for numbers), for swaps drawn from the corpus."""

    values: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> MentionPool:
        """Collect the mentions of every text (each value once, sorted, so the pool is deterministic).

        Args:
            texts: The corpus.
        """
        seen: dict[str, set[str]] = {}
        for text in texts:
            for m in mentions(text):
                seen.setdefault(_pool_key(m), set()).add(m.text)
        seen[_pool_key(Mention("date", 0, 0, ""))] = set(MONTHS)
        return cls({key: sorted(values) for key, values in seen.items()})

    def candidates(self, mention: Mention) -> Sequence[str]:
        """The corpus values that may replace ``mention`` (same kind; for numbers the same shape, i.e. a
        similar magnitude: as many digits, the same separators and decimals)."""
        return self.values.get(_pool_key(mention), ())


def _pool_key(m: Mention) -> str:
    return f"{m.kind}:{m.shape}" if m.kind == "number" else m.kind


def swap_mention(
    sentence: str, passage: str, kind: str, pool: MentionPool, rng: random.Random
) -> tuple[str, str, str] | None:
    """``sentence`` with one mention of ``kind`` replaced by a corpus value the passage never mentions.

    Args:
        sentence: A sentence of ``passage``.
        passage: The passage (the new value must not occur in it).
        kind: ``"number"``, ``"year"``, ``"date"`` (a month) or ``"name"``.
        pool: The corpus values to draw from.
        rng: Picks the mention and the value.

    Returns:
        ``(claim, old value, new value)``, or None when the sentence has no such mention or the pool no
        value that is new to the passage.
    """
    found = [m for m in mentions(sentence) if m.kind == kind and not (kind == "number" and m.text in ("0", "1"))]
    rng.shuffle(found)
    mentioned = _mentioned(kind, passage)
    for m in found:
        old_words = set(m.text.lower().split())
        values = pool.candidates(m)
        # a seeded draw of at most _TRIES values, the first one that fits wins (a whole-pool scan per
        # sentence made building the dev set take minutes)
        for new in rng.sample(values, min(_TRIES, len(values))):
            if (
                new == m.text
                or new in ("0", "1")
                or (kind == "name" and old_words & set(new.lower().split()))
                or mentioned(new)
            ):
                continue
            claim = sentence[: m.start] + new + sentence[m.end :]
            if claim != sentence:
                return claim, m.text, new
    return None
