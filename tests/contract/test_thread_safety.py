"""One scorer shared by threads gives exactly the single-thread results (issue 15, item 1).

A fast tokenizer rewrites its truncation/padding settings on every call, so unguarded concurrent calls
with different settings (token counting without truncation, padded batches with truncation) encoded
with each other's settings: wrong scores, silently, or "Unable to create tensor" errors. Short and long
documents are mixed on purpose: the long one takes the window path, whose calls use other settings.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from entailkit import GroundednessChecker, Reranker, ZeroShotClassifier

THREADS = 8
SHORT_DOCS = [
    "The band played loud music all night.",
    "A recipe for bread with flour and water.",
    "Guitar and drums in the garage.",
    "The stock market fell on Monday.",
]
LONG_DOC = " ".join(
    f"Sentence {i} of a long report on concerts, songs, weather and the price of tea." for i in range(120)
)
DOCS = [*SHORT_DOCS[:2], LONG_DOC, *SHORT_DOCS[2:]]


def _hammer(calls: list[Callable[[], list[float]]], seconds: float) -> tuple[int, list[str], list[str]]:
    """Run ``calls`` round-robin from THREADS threads for ``seconds``; count calls, wrong results, errors."""
    references = [call() for call in calls]
    wrong: list[str] = []
    errors: list[str] = []
    done = [0] * THREADS
    stop = time.monotonic() + seconds
    start = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        start.wait()
        i = n
        while time.monotonic() < stop:
            k = i % len(calls)
            try:
                got = calls[k]()
            except Exception as exc:  # any error at all is a failure of this test
                errors.append(f"call {k}: {type(exc).__name__}: {exc}")
            else:
                if not np.allclose(got, references[k], rtol=0, atol=1e-6):
                    wrong.append(f"call {k}: {got} != {references[k]}")
            done[n] += 1
            i += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done), wrong, errors


def _rerank_scores(reranker: Reranker, query: str, docs: list[str]) -> Callable[[], list[float]]:
    def call() -> list[float]:
        result = reranker.rerank(query, docs)
        return [item.score for item in sorted(result.items, key=lambda item: item.index)]

    return call


def test_shared_cross_encoder_under_8_threads_gives_single_thread_scores(load_tiny: Any) -> None:
    scorer = load_tiny("bert-nli3-cen")
    reranker = Reranker(scorer)
    checker = GroundednessChecker(scorer)
    classifier = ZeroShotClassifier(scorer)

    def check() -> list[float]:
        report = checker.check("The band played music. Tea is cheap.", [LONG_DOC, SHORT_DOCS[0]])
        return [s.score for s in report.sentences]

    def classify() -> list[float]:
        result = classifier.classify([SHORT_DOCS[0], LONG_DOC], ["music", "finance", "food"])
        return [s for item in result for s in item.scores]

    calls = [
        _rerank_scores(reranker, "music", DOCS),
        _rerank_scores(reranker, "price of tea", [LONG_DOC, SHORT_DOCS[3]]),
        _rerank_scores(reranker, "bread", SHORT_DOCS),
        check,
        classify,
    ]
    n_calls, wrong, errors = _hammer(calls, seconds=20.0)
    assert n_calls > THREADS * len(calls)
    assert errors == [], f"{len(errors)} errors in {n_calls} calls, first: {errors[:3]}"
    assert wrong == [], f"{len(wrong)} wrong results in {n_calls} calls, first: {wrong[:3]}"


def test_shared_embedding_scorer_under_threads(load_tiny: Any) -> None:
    scorer = load_tiny("bert-embed")

    def pairs() -> list[float]:
        return list(scorer.score_pairs(DOCS, ["music"] * len(DOCS)).scores)

    def counts() -> list[float]:
        return [float(n) for n in scorer.count_tokens(DOCS)]

    n_calls, wrong, errors = _hammer([pairs, counts], seconds=4.0)
    assert errors == [] and wrong == [], (errors[:3], wrong[:3])
    assert n_calls > THREADS


def test_shared_gliclass_scorer_under_threads() -> None:
    from entailkit import load_scorer
    from fixtures.tiny_gliclass import tiny_gliclass_path

    scorer = load_scorer(tiny_gliclass_path())

    def labels() -> list[float]:
        result = scorer.score_labels([SHORT_DOCS[0], LONG_DOC], ["music", "finance", "food"], multi_label=True)
        return [s for item in result.items for s in item.scores]

    def counts() -> list[float]:
        return [float(n) for n in scorer.count_tokens(DOCS)]

    n_calls, wrong, errors = _hammer([labels, counts], seconds=4.0)
    assert errors == [] and wrong == [], (errors[:3], wrong[:3])
    assert n_calls > THREADS
