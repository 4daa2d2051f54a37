"""Rerank a small corpus of (query, passage) rows on a local Ray runtime with rerank_dataset.

Two queries against a handful of passages, plus one malformed row that comes back with an error
instead of failing the job. The same code scores millions of rows on a Ray cluster: pass a parquet
path and ``BatchOptions(num_actors=...)``, and call ``ray.init(address=...)`` / ``init_ray`` first.

Uses ../shared/models/minilm-l6-sick-nli (or $ENTAILKIT_SHARED) and the 'ray' extra; exits 2 with a
message when either is absent.

    python examples/batch_rerank_ray.py
"""

from __future__ import annotations

from _shared import SICK_NLI, require, require_module

PASSAGES = [
    "A man is playing a guitar on stage.",
    "Two dogs are running through a grassy field.",
    "A woman is slicing an onion in the kitchen.",
    "A boy is riding a bicycle down the street.",
]
QUERIES = ["A person is making music.", "Animals are outside."]


def main() -> int:
    require(SICK_NLI)
    require_module("ray", "pip install 'entailkit[ray]'")
    import ray

    from entailkit.distributed import BatchOptions, init_ray, rerank_dataset, split_errors

    rows: list[dict[str, object]] = [{"query": q, "document": p} for q in QUERIES for p in PASSAGES]
    rows.append({"query": "A malformed row", "document": None})  # reported in the error column

    init_ray(num_cpus=2)  # a local runtime; init_ray("auto") joins a cluster instead
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        # The NLI hypothesis is the query itself (the default query_template "{}"), like Reranker's.
        options = BatchOptions(num_actors=1)
        scored = rerank_dataset(rows, SICK_NLI, options=options).materialize()
        ok, failed = split_errors(scored)
        ok_rows, failed_rows = ok.take_all(), failed.take_all()
        for query in QUERIES:
            best = max((r for r in ok_rows if r["query"] == query), key=lambda r: r["score"])
            print(f"{query!r:32} -> {best['document']!r} ({best['score']:.2f})")
        for row in failed_rows:
            print(f"error row: {row['error']}")
        print(f"rows in: {len(rows)}, scored: {len(ok_rows)}, errors: {len(failed_rows)}")
    finally:
        ray.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
