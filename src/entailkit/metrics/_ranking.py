"""Ranking metrics in trec_eval's conventions: nDCG@k (``ndcg_cut``), MRR@k (``recip_rank``), recall@k."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np

from entailkit.errors import InvalidInputError
from entailkit.metrics._checks import check_cutoff, check_grade

__all__ = ["Gains", "Ideal", "Queries", "mean_mrr", "mean_ndcg", "mean_recall", "mrr_at_k", "ndcg_at_k", "recall_at_k"]

Gains = Literal["linear", "exponential"]
Ideal = Literal["qrels", "pool"]
Queries = Literal["judged", "all"]
Ranking = Sequence[str] | Mapping[str, float]


def _order(ranked: Ranking) -> list[str]:
    """Document ids best first: a sequence as given; a ``{doc: score}`` mapping as trec_eval sorts a run
    (score descending, ties by document id descending)."""
    if isinstance(ranked, Mapping):
        items = [(check_grade(score, f"the score of {doc!r}"), str(doc)) for doc, score in ranked.items()]
        return [doc for _, doc in sorted(items, reverse=True)]
    if isinstance(ranked, str) or not isinstance(ranked, Sequence):
        raise InvalidInputError(
            f"ranked must be a list of ids or an {{id: score}} mapping, got {type(ranked).__name__}."
        )
    out = list(ranked)
    if len(set(out)) != len(out):
        dup = next(doc for i, doc in enumerate(out) if doc in out[:i])
        raise InvalidInputError(f"ranked lists {dup!r} twice; a ranking holds each id once (trec_eval refuses it too).")
    return out


def _grades(qrels: Mapping[str, float], where: str = "qrels") -> dict[str, float]:
    if not isinstance(qrels, Mapping):
        raise InvalidInputError(f"{where} must be a {{doc id: grade}} mapping, got {type(qrels).__name__}.")
    return {str(doc): check_grade(g, f"{where}[{doc!r}]") for doc, g in qrels.items()}


def _gain_fn(gains: str) -> Callable[[float], float]:
    if gains == "linear":
        return lambda g: g if g > 0 else 0.0
    if gains == "exponential":
        return lambda g: 2.0**g - 1.0 if g > 0 else 0.0
    raise InvalidInputError(f"gains must be 'linear' or 'exponential', got {gains!r}.")


def _dcg(gains: Sequence[float]) -> float:
    values = np.asarray(gains, dtype=np.float64)
    return float(np.sum(values / np.log2(np.arange(2, values.size + 2)))) if values.size else 0.0


def ndcg_at_k(
    ranked: Ranking,
    qrels: Mapping[str, float],
    k: int = 10,
    *,
    gains: Gains = "linear",
    ideal: Ideal = "qrels",
    pool: Sequence[str] | None = None,
) -> float:
    """nDCG@k of one query, by default exactly trec_eval's ``ndcg_cut.k``.

    Gain is the judged grade (unjudged, zero and negative grades give 0), discounted by log2(rank + 1);
    the ideal DCG ranks all of the query's judged grades. 0.0 when the ideal DCG is 0.

    Args:
        ranked: Document ids best first, or ``{id: score}`` (sorted as trec_eval does: score descending,
            ties broken by id descending).
        qrels: Document id -> grade for this query.
        k: The cut-off (>= 1).
        gains: ``"linear"`` (trec_eval) or ``"exponential"`` (2**grade - 1, Burges et al.).
        ideal: ``"qrels"`` (trec_eval: every judged document) or ``"pool"`` (only the documents of
            ``pool``: the best reordering of a fixed candidate pool scores 1.0).
        pool: The candidate pool; required by ``ideal="pool"`` and refused otherwise.

    Raises:
        InvalidInputError: ``k`` < 1, an id ranked twice, a grade or score that is not a finite number,
            an unknown ``gains`` or ``ideal``, or ``pool`` given or missing against ``ideal``.
    """
    k = check_cutoff(k)
    gain = _gain_fn(gains)
    grades = _grades(qrels)
    order = _order(ranked)
    if ideal == "qrels":
        if pool is not None:
            raise InvalidInputError("pool is only read with ideal='pool'; pass ideal='pool' or drop pool.")
        judged = list(grades.values())
    elif ideal == "pool":
        if pool is None:
            raise InvalidInputError("ideal='pool' needs pool=, the candidate ids the ideal ranking reorders.")
        judged = [grades.get(str(doc), 0.0) for doc in dict.fromkeys(pool)]
    else:
        raise InvalidInputError(f"ideal must be 'qrels' or 'pool', got {ideal!r}.")
    best = _dcg(sorted((gain(g) for g in judged), reverse=True)[:k])
    if best <= 0.0:
        return 0.0
    return _dcg([gain(grades.get(doc, 0.0)) for doc in order[:k]]) / best


def _relevant(grades: Mapping[str, float], min_grade: float) -> set[str]:
    return {doc for doc, g in grades.items() if g >= min_grade}


def mrr_at_k(ranked: Ranking, qrels: Mapping[str, float], k: int = 10, *, min_grade: float = 1) -> float:
    """Reciprocal rank of the first relevant document in the top ``k`` (trec_eval ``recip_rank`` on the run
    cut at ``k``); relevant means grade >= ``min_grade`` (trec_eval's ``-l``, default 1). 0.0 if none.

    Args:
        ranked: Document ids best first, or ``{id: score}`` (sorted as trec_eval does).
        qrels: Document id -> grade for this query.
        k: The cut-off (>= 1).
        min_grade: The lowest grade that counts as relevant.

    Raises:
        InvalidInputError: As ``ndcg_at_k``.
    """
    k = check_cutoff(k)
    relevant = _relevant(_grades(qrels), check_grade(min_grade, "min_grade"))
    for rank, doc in enumerate(_order(ranked)[:k], start=1):
        if doc in relevant:
            return 1.0 / rank
    return 0.0


def recall_at_k(ranked: Ranking, qrels: Mapping[str, float], k: int = 10, *, min_grade: float = 1) -> float:
    """Share of the query's relevant documents (grade >= ``min_grade``, default 1) found in the top ``k``
    (trec_eval ``recall.k``); 0.0 when the query has none.

    Args:
        ranked: Document ids best first, or ``{id: score}`` (sorted as trec_eval does).
        qrels: Document id -> grade for this query.
        k: The cut-off (>= 1).
        min_grade: The lowest grade that counts as relevant.

    Raises:
        InvalidInputError: As ``ndcg_at_k``.
    """
    k = check_cutoff(k)
    relevant = _relevant(_grades(qrels), check_grade(min_grade, "min_grade"))
    if not relevant:
        return 0.0
    return len(relevant.intersection(_order(ranked)[:k])) / len(relevant)


def _mean(
    per_query: Callable[[str, Ranking, Mapping[str, float]], float],
    run: Mapping[str, Ranking],
    qrels: Mapping[str, Mapping[str, float]],
    queries: str,
) -> float:
    if not isinstance(run, Mapping) or not isinstance(qrels, Mapping):
        raise InvalidInputError("run and qrels must be {query id: ...} mappings.")
    if queries not in ("judged", "all"):
        raise InvalidInputError(f"queries must be 'judged' or 'all', got {queries!r}.")
    values = [
        per_query(qid, ranked, qrels[qid]) if qrels.get(qid) else 0.0
        for qid, ranked in run.items()
        if queries == "all" or qrels.get(qid)
    ]
    return float(np.mean(values)) if values else 0.0


def mean_ndcg(
    run: Mapping[str, Ranking],
    qrels: Mapping[str, Mapping[str, float]],
    k: int = 10,
    *,
    gains: Gains = "linear",
    ideal: Ideal = "qrels",
    pool: Mapping[str, Sequence[str]] | None = None,
    queries: Queries = "judged",
) -> float:
    """Mean nDCG@k over queries, by default trec_eval's summary ``ndcg_cut.k``.

    ``queries="judged"`` (trec_eval) averages over the run's queries that have at least one judgment in
    ``qrels`` (a query judged all non-relevant counts 0); ``"all"`` averages over every query of the run,
    an unjudged one counting 0. 0.0 when no query is averaged.

    Args:
        run: Query id -> ranking (ids best first, or ``{id: score}``).
        qrels: Query id -> document id -> grade.
        k: The cut-off (>= 1).
        gains: As ``ndcg_at_k``.
        ideal: As ``ndcg_at_k``.
        pool: Query id -> candidate pool, with ``ideal="pool"`` (a query missing from it has an empty pool).
        queries: ``"judged"`` or ``"all"``.

    Raises:
        InvalidInputError: As ``ndcg_at_k``, or an unknown ``queries``.
    """
    if ideal == "pool" and pool is None:
        raise InvalidInputError("ideal='pool' needs pool=, query id -> the candidate ids.")
    if ideal != "pool" and pool is not None:
        raise InvalidInputError("pool is only read with ideal='pool'; pass ideal='pool' or drop pool.")
    return _mean(
        lambda qid, ranked, judged: ndcg_at_k(
            ranked, judged, k, gains=gains, ideal=ideal, pool=None if pool is None else pool.get(qid, [])
        ),
        run,
        qrels,
        queries,
    )


def mean_mrr(
    run: Mapping[str, Ranking],
    qrels: Mapping[str, Mapping[str, float]],
    k: int = 10,
    *,
    min_grade: float = 1,
    queries: Queries = "judged",
) -> float:
    """Mean MRR@k over queries (``queries`` as ``mean_ndcg``; relevant: grade >= ``min_grade``).

    Args:
        run: Query id -> ranking (ids best first, or ``{id: score}``).
        qrels: Query id -> document id -> grade.
        k: The cut-off (>= 1).
        min_grade: The lowest grade that counts as relevant.
        queries: ``"judged"`` (trec_eval) or ``"all"``.

    Raises:
        InvalidInputError: As ``mrr_at_k``, or an unknown ``queries``.
    """
    return _mean(lambda _, ranked, judged: mrr_at_k(ranked, judged, k, min_grade=min_grade), run, qrels, queries)


def mean_recall(
    run: Mapping[str, Ranking],
    qrels: Mapping[str, Mapping[str, float]],
    k: int = 10,
    *,
    min_grade: float = 1,
    queries: Queries = "judged",
) -> float:
    """Mean recall@k over queries (``queries`` as ``mean_ndcg``; relevant: grade >= ``min_grade``).

    Args:
        run: Query id -> ranking (ids best first, or ``{id: score}``).
        qrels: Query id -> document id -> grade.
        k: The cut-off (>= 1).
        min_grade: The lowest grade that counts as relevant.
        queries: ``"judged"`` (trec_eval) or ``"all"``.

    Raises:
        InvalidInputError: As ``recall_at_k``, or an unknown ``queries``.
    """
    return _mean(lambda _, ranked, judged: recall_at_k(ranked, judged, k, min_grade=min_grade), run, qrels, queries)
