"""The groundedness dev benchmark: grounding pairs (train/grounding.py) on held-out passages, and the
training pairs from the other passages.

Why: a benchmark of document-level grounding (passage -> short claim) whose passages no training pair
uses. MS MARCO (the TREC-DL subset) is split by query as the relevance models are (``split_queries``
over the judged queries; seed 0: 21 train, 22 held out); its held-out passages are those judged for a
held-out query. BoolQ ``dev_official`` is held out, ``train_heldout`` may feed training. A passage
judged for queries of both halves is held out; the training pairs drop any premise of the dev set.
"""

from __future__ import annotations

import os
import random
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from entailkit._jsonl import read_jsonl
from entailkit._validation import check_bool, check_positive_int
from entailkit.train.data import NLIExample
from entailkit.train.datasets import shared_dir
from entailkit.train.grounding import (
    GroundingData,
    boolq_claims,
    boolq_premise,
    check_seed,
    claim_sentences,
    passage_claims,
)
from entailkit.train.grounding_qa import QAExample, boolq_qa_pairs, passage_qa_pairs
from entailkit.train.relevance import BeirData, load_beir, split_queries

__all__ = ["groundedness_dev_set", "groundedness_qa_dev_set", "groundedness_train_pairs"]

_MSMARCO = "msmarco_trecdl_subset"


def _boolq(
    rows: list[dict[str, object]], seed: int, three_way: bool, exclude: Collection[str] = ()
) -> list[NLIExample]:
    """BoolQ QA claims plus passage claims over its distinct premises (grouped by title)."""
    rows = [r for r in rows if boolq_premise(r) not in exclude]
    ids: dict[str, str] = {}
    groups: dict[str, list[str]] = {}
    for row in rows:
        premise = boolq_premise(row)
        if premise not in ids:
            ids[premise] = f"{len(ids):05d}"
            groups.setdefault(str(row.get("title") or ""), []).append(ids[premise])
    passages = {pid: premise for premise, pid in ids.items()}
    passage_groups = {title: members for title, members in groups.items() if title}
    qa = boolq_claims(rows, three_way=three_way).examples
    return qa + passage_claims(passages, passage_groups, seed=seed, three_way=three_way, source="boolq").examples


def _msmarco_split(data: BeirData, seed: int) -> tuple[list[str], list[str]]:
    """(train, held-out) query ids: the relevance models' split of the judged queries."""
    return split_queries(sorted(q for q in data.qrels if q in data.queries), seed=seed)


def _groups(data: BeirData, queries: Sequence[str], exclude: Collection[str] = ()) -> dict[str, list[str]]:
    return {q: sorted(p for p in data.qrels[q] if p in data.corpus and p not in exclude) for q in queries}


def _msmarco(data: BeirData, groups: Mapping[str, Sequence[str]], seed: int, three_way: bool) -> list[NLIExample]:
    passages = {pid: data.corpus[pid] for members in groups.values() for pid in members}
    return passage_claims(passages, groups, seed=seed, three_way=three_way, source="msmarco").examples


def _finish(examples: list[NLIExample], per_kind: int | None, seed: int) -> GroundingData:
    """At most ``per_kind`` pairs of each source (a seeded draw), shuffled with ``seed``."""
    rng = random.Random(seed)
    by_source: dict[str, list[NLIExample]] = {}
    for ex in examples:
        by_source.setdefault(ex.source, []).append(ex)
    kept: list[NLIExample] = []
    for name in sorted(by_source):
        rows = by_source[name]
        kept.extend(rows if per_kind is None or len(rows) <= per_kind else rng.sample(rows, per_kind))
    rng.shuffle(kept)
    return GroundingData.of(kept)


def _data(shared: str | os.PathLike[str] | None) -> Path:
    return shared_dir(shared) / "data"


def groundedness_dev_set(
    shared: str | os.PathLike[str] | None = None, seed: int = 0, *, per_kind: int | None = 300
) -> GroundingData:
    """The held-out groundedness benchmark: claims on passages no training pair uses (2-way labels).

    MS MARCO passages judged for the held-out half of the queries (``passage_claims`` grouped by query)
    and BoolQ ``dev_official`` (its QA claims and the passage claims of its passages, grouped by title).
    Label ``entailment`` means supported, ``not_entailment`` unsupported.

    Args:
        shared: The shared folder (None: $ENTAILKIT_SHARED or ../shared).
        seed: Seeds the query split, the claims, the per-kind draw and the order.
        per_kind: At most this many pairs of each source (``"msmarco:negation"``, ...); None: all.

    Returns:
        The pairs in a seeded random order (any prefix is a random sample), with counts by source.

    Raises:
        InvalidInputError: A data file is missing, or a bad ``seed`` / ``per_kind``.
    """
    seed, per_kind = check_seed(seed), check_positive_int(per_kind, "per_kind")
    data = load_beir(_data(shared) / _MSMARCO)
    _, held = _msmarco_split(data, seed)
    boolq = [dict(r) for r in read_jsonl(_data(shared) / "nli" / "boolq" / "dev_official.jsonl")]
    examples = _msmarco(data, _groups(data, held), seed, False) + _boolq(boolq, seed, False)
    return _finish(examples, per_kind, seed)


def groundedness_train_pairs(
    shared: str | os.PathLike[str] | None = None,
    seed: int = 0,
    *,
    three_way: bool = False,
    per_kind: int | None = None,
) -> GroundingData:
    """Grounding training pairs from the training half: no premise of ``groundedness_dev_set(seed=)``.

    MS MARCO passages judged for the training half of the queries, less any passage also judged for
    a held-out query; BoolQ ``train_heldout``, less any row whose passage is a dev premise.

    Args:
        shared: The shared folder (None: $ENTAILKIT_SHARED or ../shared).
        seed: Seeds the query split (use the dev set's seed), the claims and the order.
        three_way: 3-way labels (neutral / contradiction) for a 3-way NLI pool.
        per_kind: At most this many pairs of each source; None: all.

    Raises:
        InvalidInputError: A data file is missing, or a bad argument.
    """
    seed, per_kind = check_seed(seed), check_positive_int(per_kind, "per_kind")
    three_way = check_bool(three_way, "three_way")
    data = load_beir(_data(shared) / _MSMARCO)
    train, held = _msmarco_split(data, seed)
    held_ids = {pid for members in _groups(data, held).values() for pid in members}
    dev_rows = read_jsonl(_data(shared) / "nli" / "boolq" / "dev_official.jsonl")
    dev_premises = {data.corpus[pid] for pid in held_ids} | {boolq_premise(r) for r in dev_rows}
    boolq = [dict(r) for r in read_jsonl(_data(shared) / "nli" / "boolq" / "train_heldout.jsonl")]
    examples = _msmarco(data, _groups(data, train, held_ids), seed, three_way) + _boolq(
        boolq, seed, three_way, dev_premises
    )
    return _finish([ex for ex in examples if ex.premise not in dev_premises], per_kind, seed)


def groundedness_qa_dev_set(
    shared: str | os.PathLike[str] | None = None, seed: int = 0, *, per_kind: int | None = 150
) -> list[QAExample]:
    """Short answers to questions on the dev benchmark's passages (``train/grounding_qa.py``).

    BoolQ ``dev_official`` questions answered "Yes." / "No.", and wh-questions made from the sentences
    of the held-out MS MARCO passages answered with the right or a swapped value. Only the dev
    benchmark's passages are used, so no training pair shares one.

    Args:
        shared: The shared folder (None: $ENTAILKIT_SHARED or ../shared).
        seed: Seeds the query split (the dev set's), the questions, the per-kind draw and the order.
        per_kind: At most this many questions of each kind (``"boolq:yesno"``, ``"msmarco:wh_year"``, ...),
            each with both its answers (so every question is balanced); None: all.

    Raises:
        InvalidInputError: A data file is missing, or a bad ``seed`` / ``per_kind``.
    """
    seed, per_kind = check_seed(seed), check_positive_int(per_kind, "per_kind")
    data = load_beir(_data(shared) / _MSMARCO)
    _, held = _msmarco_split(data, seed)
    passages = {pid: data.corpus[pid] for members in _groups(data, held).values() for pid in members}
    sentences = {pid: claim_sentences(text) for pid, text in passages.items()}
    rows = [dict(r) for r in read_jsonl(_data(shared) / "nli" / "boolq" / "dev_official.jsonl")]
    examples = boolq_qa_pairs(rows) + passage_qa_pairs(passages, sentences, seed=seed, source="msmarco")
    rng = random.Random(seed)
    by_kind: dict[str, dict[str, list[QAExample]]] = {}  # kind -> question -> its right and wrong answer
    for ex in examples:
        kind = ex.source.rsplit("_", 1)[0]
        by_kind.setdefault(kind, {}).setdefault(f"{ex.passage}\n{ex.question}", []).append(ex)
    kept: list[QAExample] = []
    for kind in sorted(by_kind):
        questions = sorted(by_kind[kind])
        chosen = questions if per_kind is None or len(questions) <= per_kind else rng.sample(questions, per_kind)
        kept.extend(ex for q in chosen for ex in by_kind[kind][q])
    rng.shuffle(kept)
    return kept
