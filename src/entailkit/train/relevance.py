"""Relevance training data: BEIR folders, query splits, dense retrieval and hard negatives over faiss."""

from __future__ import annotations

import csv
import logging
import os
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from entailkit._jsonl import read_jsonl
from entailkit.errors import InvalidInputError
from entailkit.train.data import NLIExample, RelevanceExample

__all__ = [
    "BeirData",
    "dense_retrieve",
    "dense_scores",
    "dense_search",
    "load_beir",
    "nli_as_relevance",
    "relevance_examples",
    "split_queries",
    "with_judged",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BeirData:
    """A BEIR-layout data set: corpus id -> text, query id -> text, qrels query -> {doc: grade}."""

    corpus: dict[str, str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, float]]


def load_beir(path: str | os.PathLike[str], split: str = "test") -> BeirData:
    """Read ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv`` (header optional).

    A document's text is its title and text joined by a space.

    Args:
        path: The BEIR data set folder.
        split: The qrels file to read (``qrels/<split>.tsv``).

    Raises:
        InvalidInputError: One of the three files does not exist.
    """
    root = Path(path)
    for name in ("corpus.jsonl", "queries.jsonl", f"qrels/{split}.tsv"):
        if not (root / name).is_file():
            raise InvalidInputError(f"{root / name} does not exist; is {root} a BEIR folder?")

    def read(name: str) -> dict[str, str]:
        rows = list(read_jsonl(root / name))
        return {str(r["_id"]): " ".join(filter(None, [str(r.get("title") or ""), str(r["text"])])) for r in rows}

    qrels: dict[str, dict[str, float]] = {}
    with (root / f"qrels/{split}.tsv").open(encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if len(row) < 3 or not row[2].strip().lstrip("-").isdigit():
                continue  # header or malformed line
            qrels.setdefault(row[0], {})[row[1]] = float(row[2])
    return BeirData(corpus=read("corpus.jsonl"), queries=read("queries.jsonl"), qrels=qrels)


def split_queries(query_ids: Sequence[str], *, seed: int = 0) -> tuple[list[str], list[str]]:
    """Two seeded halves of the query ids (train, held out).

    Args:
        query_ids: The query ids to split.
        seed: Seeds the shuffle (the result does not depend on the input order).

    Returns:
        ``(train, held_out)``, each sorted; the held-out half gets the odd one.
    """
    ids = sorted(query_ids)
    random.Random(seed).shuffle(ids)
    half = len(ids) // 2
    return sorted(ids[:half]), sorted(ids[half:])


def dense_search(query_vectors: np.ndarray, doc_vectors: np.ndarray, k: int) -> np.ndarray:
    """Indices of the top-k documents by inner product for each query (faiss when installed, else numpy).

    Args:
        query_vectors: ``(n_queries, d)`` vectors.
        doc_vectors: ``(n_docs, d)`` vectors.
        k: How many documents per query (at most ``n_docs``).

    Returns:
        An ``(n_queries, k)`` array of document rows, best first.
    """
    k = min(k, doc_vectors.shape[0])
    try:
        import faiss
    except ImportError:
        logger.info("faiss is not installed; exact search with numpy")
        sims = query_vectors @ doc_vectors.T
        return np.argsort(-sims, axis=1, kind="stable")[:, :k]
    index = faiss.IndexFlatIP(doc_vectors.shape[1])
    index.add(np.ascontiguousarray(doc_vectors, dtype=np.float32))
    _, idx = index.search(np.ascontiguousarray(query_vectors, dtype=np.float32), k)
    return np.asarray(idx)


def dense_retrieve(
    embedder: Any,
    data: BeirData,
    query_ids: Sequence[str],
    k: int = 100,
    doc_vectors: np.ndarray | None = None,
    show_progress: bool = False,
) -> tuple[dict[str, list[str]], np.ndarray]:
    """Top-k corpus ids per query with an EmbeddingScorer (``embed``), and the corpus vectors for reuse.

    Args:
        embedder: An ``EmbeddingScorer`` (anything with ``embed(texts, show_progress=)``).
        data: The data set.
        query_ids: The queries to retrieve for.
        k: How many passages per query.
        doc_vectors: The corpus vectors of an earlier call (rows in corpus order); None: embed the corpus.
        show_progress: Show a progress bar while embedding the corpus.

    Returns:
        ``(query id -> passage ids best first, corpus vectors)``.
    """
    doc_ids = list(data.corpus)
    if doc_vectors is None:
        doc_vectors = embedder.embed([data.corpus[d] for d in doc_ids], show_progress=show_progress)
    query_vectors = embedder.embed([data.queries[q] for q in query_ids])
    top = dense_search(query_vectors, doc_vectors, k)
    return {q: [doc_ids[i] for i in row] for q, row in zip(query_ids, top, strict=True)}, doc_vectors


def with_judged(data: BeirData, retrieved: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Each query's retrieved passages followed by its judged ones that were not retrieved (for ``dense_scores``:
    training pairs include judged passages the retriever missed).

    Args:
        data: The data set (its qrels).
        retrieved: Query id -> retrieved passage ids.
    """
    return {q: list(dict.fromkeys([*pids, *data.qrels.get(q, {})])) for q, pids in retrieved.items()}


def dense_scores(
    embedder: Any,
    data: BeirData,
    candidates: Mapping[str, Sequence[str]],
    doc_vectors: np.ndarray,
) -> dict[str, dict[str, float]]:
    """The embedder's cosine of each query with each of its candidate passages (the first-stage scores).

    Args:
        embedder: The embedder that made ``doc_vectors`` (it embeds the queries).
        data: The data set.
        candidates: Query id -> the passage ids to score (ids not in the corpus are skipped).
        doc_vectors: The corpus vectors ``dense_retrieve`` returned (rows in corpus order).

    Returns:
        Query id -> passage id -> cosine.
    """
    row = {pid: i for i, pid in enumerate(data.corpus)}
    query_ids = list(candidates)
    if not query_ids:
        return {}
    query_vectors = embedder.embed([data.queries[q] for q in query_ids])
    out: dict[str, dict[str, float]] = {}
    for qid, vector in zip(query_ids, query_vectors, strict=True):
        pids = [pid for pid in candidates[qid] if pid in row]
        sims = doc_vectors[[row[pid] for pid in pids]] @ vector if pids else np.zeros(0)
        out[qid] = {pid: float(sim) for pid, sim in zip(pids, sims, strict=True)}
    return out


def relevance_examples(
    data: BeirData,
    query_ids: Sequence[str],
    retrieved: Mapping[str, Sequence[str]],
    *,
    negatives_per_query: int = 30,
    max_grade: float | None = None,
    seed: int = 0,
    first_stage: Mapping[str, Mapping[str, float]] | None = None,
    candidates_only: bool = False,
) -> list[RelevanceExample]:
    """Judged passages as positives (label = grade / max grade) plus unjudged dense hits as hard negatives.

    Args:
        data: The data set.
        query_ids: The queries to make examples for (e.g. the train half of ``split_queries``).
        retrieved: Query id -> retrieved passage ids, best first (``dense_retrieve``).
        negatives_per_query: The top unjudged retrieved passages kept per query as label-0 negatives.
        max_grade: The grade that means label 1 (None: the highest grade in the qrels).
        seed: Seeds the shuffle of the examples.
        first_stage: Query -> passage -> retriever score (from ``dense_scores``): attaches the score each
            pair had in the first stage; with it, pairs it does not score are left out.
        candidates_only: Keep only the retrieved passages (judged or not), the distribution a reranker
            sees at inference.

    Returns:
        The examples, shuffled.
    """
    rng = random.Random(seed)
    top_grade = max_grade or max((g for q in data.qrels.values() for g in q.values()), default=1.0)
    out: list[RelevanceExample] = []
    for qid in query_ids:
        judged = data.qrels.get(qid, {})
        query = data.queries[qid]
        shown = set(retrieved.get(qid, [])) if candidates_only else None
        scores = first_stage.get(qid, {}) if first_stage is not None else None
        positives = [
            (pid, max(0.0, grade) / top_grade, "qrels")
            for pid, grade in sorted(judged.items())
            if pid in data.corpus and (shown is None or pid in shown)
        ]
        hard = [pid for pid in retrieved.get(qid, []) if pid not in judged][:negatives_per_query]
        for pid, label, source in [*positives, *((pid, 0.0, "mined") for pid in hard)]:
            if scores is not None and pid not in scores:
                continue
            prior = scores[pid] if scores is not None else None
            out.append(RelevanceExample(query, data.corpus[pid], label, source, prior))
    rng.shuffle(out)
    return out


def nli_as_relevance(rows: Sequence[NLIExample]) -> list[RelevanceExample]:
    """QNLI-style (sentence, question) pairs as relevance examples: entailment -> 1, else 0.

    Args:
        rows: NLI rows whose premise is a passage and hypothesis a question (QNLI).

    Returns:
        One ``RelevanceExample`` per row (query = hypothesis, passage = premise).
    """
    return [
        RelevanceExample(row.hypothesis, row.premise, 1.0 if row.label == "entailment" else 0.0, row.source or "nli")
        for row in rows
    ]
