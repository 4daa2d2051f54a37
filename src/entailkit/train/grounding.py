"""Document-level grounding pairs: premise = a whole passage, hypothesis = a short claim.

Why: our NLI pool is sentence-level, while RAG evidence is a 100-300 token passage and the claim a
short answer; on such pairs the checkpoints trained on it were at chance. These builders make passage
-> claim pairs from any passage collection with rules only (see ``train/grounding_claims.py`` and ``tasks/question_claims.py``), in
the three groups of issue 22. Kinds, and their label (2-way; 3-way with ``three_way=True``):

- supported, ``entailment``: ``sentence`` (a sentence of the passage, 5-40 words), ``clause`` (a
  clause of one), ``strip_lead`` (a sentence without its leading ``However,`` / ``In 2010,``),
  ``qa_yes`` (a BoolQ question answered yes, as a claim);
- unsupported but on topic, ``not_entailment`` (3-way ``neutral``): ``other_passage`` (a sentence of
  another passage of the same group, e.g. judged for the same MS MARCO query, that shares under 70%
  of its content words with the passage and is not in it), ``swap_name`` (another multi-word name of
  the corpus), ``qa_no`` (a BoolQ question answered no, as a claim);
- contradicted, ``not_entailment`` (3-way ``contradiction``): ``negation``, ``swap_number``,
  ``swap_year``, ``swap_date`` (another number of the same shape, another year, another month, none
  of them in the passage), ``swap_inside`` (a number, year, month or name replaced by another of the
  same kind that the passage itself mentions: the mix-up of a model that read the passage; without it a
  checker can learn "a value the passage never mentions is wrong" and still accept these).

Each passage gives at most one claim of each kind, drawn by a ``random.Random`` seeded with the seed,
the source, the passage id and the kind: the same inputs give the same pairs, and one passage's pairs
do not depend on the others (but for the corpus values swaps draw from). A perturbed claim always
differs from its sentence and does not occur in the passage; a swapped value never occurs in it.

The held-out benchmark built from them is in ``train/grounding_dev.py``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from entailkit._validation import check_bool
from entailkit.errors import InvalidInputError
from entailkit.tasks.question_claims import negate, question_to_claim
from entailkit.tasks.sentences import split_sentences
from entailkit.train.data import NLIExample
from entailkit.train.grounding_claims import MentionPool, clauses, mentions, strip_lead, swap_mention

__all__ = [
    "CONTRADICTION_KINDS",
    "PASSAGE_KINDS",
    "SUPPORTED_KINDS",
    "UNSUPPORTED_KINDS",
    "GroundingData",
    "boolq_claims",
    "boolq_premise",
    "boolq_says_yes",
    "check_seed",
    "claim_sentences",
    "kind_label",
    "passage_claims",
]

SUPPORTED_KINDS: tuple[str, ...] = ("sentence", "clause", "strip_lead", "qa_yes")
UNSUPPORTED_KINDS: tuple[str, ...] = ("other_passage", "swap_name", "qa_no")
CONTRADICTION_KINDS: tuple[str, ...] = ("negation", "swap_number", "swap_year", "swap_date", "swap_inside")
PASSAGE_KINDS: tuple[str, ...] = (
    "sentence", "clause", "strip_lead", "other_passage", "swap_name", "negation", "swap_number", "swap_year",
    "swap_date", "swap_inside",
)  # fmt: skip
"""The kinds ``passage_claims`` makes (the ``qa_*`` kinds come from ``boolq_claims``)."""

MAX_OVERLAP = 0.7
"""An ``other_passage`` claim must share less than this share of its content words with the passage
(a near-copy of the passage's own sentence would be supported, not unsupported)."""
_MIN_WORDS, _MAX_WORDS = 5, 40
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    ["the", "and", "for", "are", "was", "were", "that", "this", "with", "from", "has", "have", "its", "can", "not"]
)


@dataclass(frozen=True)
class GroundingData:
    """Grounding pairs and how many there are of each ``source`` (``"<data set>:<kind>"``)."""

    examples: list[NLIExample]
    counts: dict[str, int]

    @classmethod
    def of(cls, examples: Iterable[NLIExample]) -> GroundingData:
        """Wrap ``examples`` and count them by source (sorted keys).

        Args:
            examples: The pairs.
        """
        rows = list(examples)
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.source] = counts.get(row.source, 0) + 1
        return cls(rows, dict(sorted(counts.items())))


def kind_label(kind: str, three_way: bool = False) -> str:
    """The NLI label of a claim kind (module docstring).

    Args:
        kind: One of the kinds.
        three_way: Use neutral / contradiction instead of not_entailment.

    Raises:
        InvalidInputError: An unknown kind.
    """
    if kind in SUPPORTED_KINDS:
        return "entailment"
    if kind in UNSUPPORTED_KINDS:
        return "neutral" if three_way else "not_entailment"
    if kind in CONTRADICTION_KINDS:
        return "contradiction" if three_way else "not_entailment"
    raise InvalidInputError(
        f"unknown claim kind {kind!r}; known: {[*SUPPORTED_KINDS, *UNSUPPORTED_KINDS, *CONTRADICTION_KINDS]}"
    )


def check_seed(seed: object) -> int:
    """``seed`` as an int (bools refused), or InvalidInputError."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidInputError(f"seed must be an int, got {type(seed).__name__}.")
    return seed


def _content(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in _STOPWORDS}


def _overlap(claim: str, passage: str) -> float:
    words = _content(claim)
    return len(words & _content(passage)) / len(words) if words else 1.0


def claim_sentences(text: str) -> list[str]:
    """The sentences of a passage that can be claims: 5-40 words, with letters."""
    out = []
    for sentence, _ in split_sentences(text, "en"):
        sentence = " ".join(sentence.split())
        if _MIN_WORDS <= len(sentence.split()) <= _MAX_WORDS and any(c.isalpha() for c in sentence):
            out.append(sentence)
    return out


def _claim(
    kind: str, text: str, own: list[str], others: list[str], pool: MentionPool, rng: random.Random
) -> str | None:
    """One claim of ``kind`` for a passage, or None when the passage has none."""
    if kind == "sentence":
        return rng.choice(own) if own else None
    if kind == "swap_inside":
        return _swap_inside(text, own, rng)
    if kind.startswith("swap_"):
        order = list(own)
        rng.shuffle(order)
        for sentence in order:
            swapped = swap_mention(sentence, text, kind.removeprefix("swap_"), pool, rng)
            if swapped is not None and swapped[0] not in text:
                return swapped[0]
        return None
    candidates: list[str]
    if kind == "clause":
        candidates = [c for s in own for c in clauses(s)]
    elif kind == "strip_lead":
        candidates = [c for s in own if (c := strip_lead(s)) is not None]
    elif kind == "negation":
        candidates = [c for s in own if (c := negate(s)) is not None and c not in text]
    else:  # other_passage
        candidates = [s for s in others if s not in text and _overlap(s, text) < MAX_OVERLAP]
    return rng.choice(candidates) if candidates else None


def _swap_inside(text: str, own: list[str], rng: random.Random) -> str | None:
    """A sentence with one mention replaced by another mention of the same kind in the passage."""
    values: dict[str, set[str]] = {}
    for m in mentions(text):
        values.setdefault(m.kind, set()).add(m.text)
    order = list(own)
    rng.shuffle(order)
    for sentence in order:
        found = [m for m in mentions(sentence) if not (m.kind == "number" and m.text in ("0", "1"))]
        rng.shuffle(found)
        for m in found:
            others = sorted(v for v in values.get(m.kind, ()) if v not in sentence and v not in ("0", "1"))
            if others:
                claim = sentence[: m.start] + rng.choice(others) + sentence[m.end :]
                if claim not in text:
                    return claim
    return None


def passage_claims(
    passages: Mapping[str, str],
    groups: Mapping[str, Sequence[str]] | None = None,
    *,
    seed: int = 0,
    three_way: bool = False,
    source: str = "passages",
    kinds: Collection[str] | None = None,
) -> GroundingData:
    """Grounding pairs from a passage collection: per passage at most one claim of each kind.

    Args:
        passages: Passage id -> text (read only; ids are visited in sorted order).
        groups: Group id -> passage ids on one topic (one query's judged passages, one article's
            paragraphs): ``other_passage`` claims come from the other passages of a passage's groups.
            Ids not in ``passages`` are ignored. None: no ``other_passage`` claims.
        seed: Seeds every draw.
        three_way: 3-way labels (neutral / contradiction) instead of entailment / not_entailment.
        source: The data set's name; each pair's ``source`` is ``"<source>:<kind>"``.
        kinds: The kinds to make (a subset of ``PASSAGE_KINDS``); None: all of them.

    Returns:
        The pairs (passage by passage, kinds in ``PASSAGE_KINDS`` order) and their counts by source.

    Raises:
        InvalidInputError: ``passages`` is not a mapping of str to str, ``groups`` not a mapping of id
            lists, an unknown kind, or a seed or flag of the wrong type.
    """
    seed, three_way = check_seed(seed), check_bool(three_way, "three_way")
    if not isinstance(passages, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in passages.items()
    ):
        raise InvalidInputError("passages must be a mapping of passage id (str) to text (str).")
    wanted = set(PASSAGE_KINDS if kinds is None else kinds)
    if isinstance(kinds, str) or wanted - set(PASSAGE_KINDS):
        raise InvalidInputError(f"kinds must be a collection of {list(PASSAGE_KINDS)}, got {kinds!r:.80}.")
    neighbours: dict[str, set[str]] = {}
    for members in (groups or {}).values():
        if isinstance(members, str) or not isinstance(members, Sequence):
            raise InvalidInputError("groups must map a group id to a list of passage ids.")
        known = [m for m in members if m in passages]
        for pid in known:
            neighbours.setdefault(pid, set()).update(m for m in known if passages[m] != passages[pid])
    sentences = {pid: claim_sentences(text) for pid, text in passages.items()}
    pool = MentionPool.from_texts(passages[pid] for pid in sorted(passages))
    out: list[NLIExample] = []
    for pid in sorted(passages):
        text = passages[pid]
        others = [s for n in sorted(neighbours.get(pid, ())) for s in sentences[n]]
        for kind in PASSAGE_KINDS:
            if kind in wanted:
                claim = _claim(kind, text, sentences[pid], others, pool, random.Random(f"{seed}:{source}:{pid}:{kind}"))
                if claim is not None:
                    out.append(NLIExample(text, claim, kind_label(kind, three_way), f"{source}:{kind}"))
    return GroundingData.of(out)


def boolq_premise(row: Mapping[str, object]) -> str:
    """A BoolQ row's evidence: ``"<title>. <passage>"`` (the questions often name only the title's subject).

    Args:
        row: A BoolQ row with ``passage`` and optionally ``title``.
    """
    title, passage = str(row.get("title") or "").strip(), str(row["passage"]).strip()
    return f"{title}. {passage}" if title else passage


def boolq_says_yes(label: object) -> bool:
    """Whether a BoolQ label means yes (true / yes / 1), or InvalidInputError for anything but yes/no."""
    text = str(label).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise InvalidInputError(f"a BoolQ label must be yes/no or true/false, got {label!r:.40}.")


def boolq_claims(
    rows: Iterable[Mapping[str, object]], *, three_way: bool = False, source: str = "boolq"
) -> GroundingData:
    """BoolQ questions as claims (``question_to_claim``): yes -> ``qa_yes``, no -> ``qa_no``; questions
    no rule turns are skipped.

    Args:
        rows: BoolQ rows (``question``, ``passage``, ``title``, ``label`` true/false or yes/no).
        three_way: 3-way labels (``qa_no`` becomes neutral, as every unsupported kind).
        source: The pairs' source prefix.

    Raises:
        InvalidInputError: A row without ``question`` / ``passage``, or a label that is not yes/no.
    """
    three_way = check_bool(three_way, "three_way")
    out: list[NLIExample] = []
    for row in rows:
        if not isinstance(row, Mapping) or "question" not in row or "passage" not in row:
            raise InvalidInputError("each BoolQ row must be a mapping with 'question' and 'passage'.")
        kind = "qa_yes" if boolq_says_yes(row.get("label")) else "qa_no"
        claim = question_to_claim(str(row["question"]))
        if claim is not None:
            out.append(NLIExample(boolq_premise(row), claim, kind_label(kind, three_way), f"{source}:{kind}"))
    return GroundingData.of(out)
