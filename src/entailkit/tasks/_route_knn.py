"""The kNN signal of the Router: a similarity-weighted vote of a query's nearest route utterances.

For a query with top-k hits (route r_i, cosine s_i) at or above ``min_similarity``:

    w_i = exp((s_i - max_j s_j) / temperature)
    knn[r] = sum(w_i for hits of r) / sum(w_i)

so the votes sum to 1 over routes; a query with no hit has no kNN signal.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from entailkit._numeric import softmax
from entailkit.index import ExampleStore
from entailkit.types import LabelledExample

logger = logging.getLogger(__name__)


def knn_votes(
    hits: Sequence[Sequence[tuple[str, float]]],
    route_names: Sequence[str],
    *,
    temperature: float,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """(votes matrix (n, routes), has-hits mask) from each query's (route name, similarity) hits."""
    column = {name: j for j, name in enumerate(route_names)}
    votes = np.zeros((len(hits), len(route_names)), dtype=np.float64)
    has = np.zeros(len(hits), dtype=bool)
    for i, query_hits in enumerate(hits):
        usable = [(column[name], sim) for name, sim in query_hits if name in column]
        if not usable:
            continue
        sims = np.array([s for _, s in usable], dtype=np.float64)
        weights = softmax(sims / temperature)
        for (j, _), w in zip(usable, weights, strict=True):
            votes[i, j] += w
        has[i] = True
    return votes, has


class UtteranceIndex:
    """Route utterances in an ExampleStore (faiss over the embedding scorer's normalised vectors)."""

    def __init__(self, embedding_scorer: Any, utterances: Sequence[tuple[str, str]]) -> None:
        """``utterances``: (route name, text) pairs."""
        self.store = ExampleStore(embedding_scorer)
        self.size = len(utterances)
        if utterances:
            self.store.add([LabelledExample(text=text, true_labels=(name,)) for name, text in utterances])
        logger.info("router: %d route utterance(s) indexed for the kNN signal", self.size)

    def search(
        self, queries: Sequence[str], k: int, min_similarity: float, *, exclude_self: bool = False
    ) -> list[list[tuple[str, float]]]:
        """Each query's top-k (route name, cosine) hits; ``exclude_self`` drops utterances equal to the
        query (leave-one-out when fitting on queries that are also utterances)."""
        extra = 1 if exclude_self else 0
        found = self.store.search_many(list(queries), k + extra, min_similarity=min_similarity)
        out: list[list[tuple[str, float]]] = []
        for query, query_hits in zip(queries, found, strict=True):
            hits = [
                (hit.example.true_labels[0], float(hit.similarity))
                for hit in query_hits
                if hit.example.true_labels and not (exclude_self and hit.example.text == query)
            ]
            out.append(hits[:k])
        return out
