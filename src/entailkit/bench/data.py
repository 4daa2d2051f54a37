"""Benchmark inputs read from the shared data folder: MS MARCO pairs, SICK, RTE, AG News.

The data sets are research-licensed and never shipped: every loader takes the folder as an argument
(default ``$ENTAILKIT_SHARED`` or ``../shared`` next to the working directory) and raises a clear
error when a file is missing.
"""

from __future__ import annotations

import csv
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

from entailkit.errors import InvalidInputError
from entailkit.train.relevance import load_beir

__all__ = ["AG_NEWS_LABELS", "TOPICS", "RerankSet", "ag_news", "msmarco_pairs", "rte_dev", "shared_root", "sick_test"]

AG_NEWS_LABELS = ("World", "Sports", "Business", "Sci/Tech")
TOPICS = (
    "sports", "business", "world", "politics", "science", "technology", "health", "music", "film", "travel",
    "food", "weather", "economy", "finance", "markets", "education", "law", "crime", "war", "elections",
    "space", "climate", "energy", "cars", "fashion", "art", "books", "games", "religion", "history",
    "medicine", "biology", "physics", "chemistry", "computers", "internet", "software", "hardware", "phones",
    "football", "tennis", "golf", "baseball", "basketball", "hockey", "olympics", "banking", "insurance",
    "real estate", "jobs", "trade", "oil", "gold", "stocks", "startups", "media", "television", "radio",
    "celebrities", "children", "family", "pets", "transport", "aviation",
)  # fmt: skip
"""64 candidate topics for the zero-shot label sweep (K = 1 .. 64 takes the first K)."""


def shared_root(root: str | os.PathLike[str] | None = None) -> Path:
    """``root``, else ``$ENTAILKIT_SHARED``, else ``./../shared`` (the layout of the project checkout).

    Args:
        root: An explicit shared folder (``~`` is expanded).
    """
    if root is not None:
        return Path(root).expanduser()
    return Path(os.environ.get("ENTAILKIT_SHARED", str(Path.cwd().parent / "shared"))).expanduser()


def _need(path: Path) -> Path:
    if not path.exists():
        raise InvalidInputError(
            f"benchmark data missing: {path}. Point --shared (or ENTAILKIT_SHARED) at the folder holding data/."
        )
    return path


@dataclass
class RerankSet:
    """Query-passage pairs grouped by query, with graded judgments for nDCG@10."""

    queries: list[str] = field(default_factory=list)
    passages: list[str] = field(default_factory=list)
    query_ids: list[str] = field(default_factory=list)
    passage_ids: list[str] = field(default_factory=list)
    qrels: dict[str, dict[str, float]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.queries)


def msmarco_pairs(root: Path, n_pairs: int = 2000, per_query: int | None = None, seed: int = 0) -> RerankSet:
    """``per_query`` candidates a query (up to half judged, the rest unjudged passages), ``n_pairs`` in all.

    ``per_query`` defaults to ``n_pairs`` spread over the judged queries (43 queries: 47 a query for 2,000),
    at least 10.

    Candidates are shuffled with a fixed seed so the pairs keep the real passage-length distribution and
    every peer sees exactly the same pairs in the same order.

    Args:
        root: The shared folder (holding ``data/msmarco_trecdl_subset``).
        n_pairs: Pairs in all (the last query's pool may be cut).
        per_query: Candidates per query (None: see above).
        seed: Seeds the sampling and the shuffles.

    Raises:
        InvalidInputError: The data folder or one of its BEIR files is missing.
    """
    folder = _need(root / "data" / "msmarco_trecdl_subset")
    beir = load_beir(folder)
    corpus, queries, qrels = beir.corpus, beir.queries, beir.qrels
    rng = random.Random(seed)
    all_ids = sorted(corpus)
    out = RerankSet()
    qids = sorted(q for q in qrels if q in queries)
    per_query = per_query or max(10, -(-n_pairs // max(1, len(qids))))  # >= 10: nDCG@10 needs a pool
    for qid in qids:
        judged = sorted(c for c in qrels[qid] if c in corpus)
        picked = rng.sample(judged, min(len(judged), per_query // 2))
        taken = set(picked)
        while len(picked) < per_query:
            candidate = rng.choice(all_ids)
            if candidate not in taken:
                picked.append(candidate)
                taken.add(candidate)
        rng.shuffle(picked)
        room = n_pairs - len(out)
        if room <= 0:
            break
        for cid in picked[:room]:
            out.queries.append(queries[qid])
            out.passages.append(corpus[cid])
            out.query_ids.append(qid)
            out.passage_ids.append(cid)
        out.qrels[qid] = qrels[qid]
    return out


def sick_test(root: Path, limit: int | None = None) -> tuple[list[str], list[str], list[str]]:
    """(premises, hypotheses, labels in entailment / neutral / contradiction) of SICK TEST.

    Args:
        root: The shared folder (holding ``data/sick/SICK.txt``).
        limit: The first rows to keep (None: all).

    Raises:
        InvalidInputError: The file is missing.
    """
    path = _need(root / "data" / "sick" / "SICK.txt")
    with path.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["SemEval_set"] == "TEST"][:limit]
    return (
        [r["sentence_A"] for r in rows],
        [r["sentence_B"] for r in rows],
        [r["entailment_label"].lower() for r in rows],
    )


def rte_dev(root: Path, limit: int | None = None) -> tuple[list[str], list[str], list[str]]:
    """(premises, hypotheses, labels in entailment / not_entailment) of GLUE RTE dev.

    Args:
        root: The shared folder (holding ``data/glue_rte/dev.tsv``).
        limit: The first rows to keep (None: all).

    Raises:
        InvalidInputError: The file is missing.
    """
    path = _need(root / "data" / "glue_rte" / "dev.tsv")
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))[:limit]
    labels = ["entailment" if str(r["label"]).strip() in ("0", "entailment") else "not_entailment" for r in rows]
    return [r["sentence1"] for r in rows], [r["sentence2"] for r in rows], labels


def ag_news(root: Path, limit: int | None = None, *, balanced: bool = False) -> tuple[list[str], list[str]]:
    """(texts "title. description", gold topic names); ``balanced`` interleaves the four classes.

    Args:
        root: The shared folder (holding ``data/ag_news/test.csv``).
        limit: The first rows to keep, after interleaving (None: all).
        balanced: Take one text of each class in turn (as many rounds as the smallest class has texts).

    Raises:
        InvalidInputError: The file is missing.
    """
    path = _need(root / "data" / "ag_news" / "test.csv")
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if balanced:
        by_class = [[r for r in rows if r["label"] == str(c)] for c in range(1, 5)]
        rows = [r for group in zip(*by_class, strict=False) for r in group]
    rows = rows[:limit]
    return [f"{r['title']}. {r['description']}" for r in rows], [AG_NEWS_LABELS[int(r["label"]) - 1] for r in rows]
