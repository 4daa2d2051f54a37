"""Throughput of concurrent ``arerank`` calls (one in-process batcher) against batched and threaded sync calls.

The same MS MARCO rerank requests as ``scripts/bench_serve.py`` (``--docs`` passages a query), reranked in
one process three ways: ``--requests`` concurrent ``await reranker.arerank(...)`` coroutines (merged by the
shared batcher), one ``reranker.rerank_many`` of all of them (the ceiling: one big batched call), and one
thread per request calling the sync ``rerank`` (what an async caller got before: each request its own
small forward pass). During the async run a heartbeat coroutine sleeps 5 ms in a loop and records its
largest gap: how long the event loop was ever kept from running. The modes alternate over ``--rounds``
and the median of each is kept.

    python scripts/bench_async.py --threads 2 --rounds 3 --out bench_async.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serve import DEFAULT_DATA, DEFAULT_MODEL, load_requests

from entailkit import Reranker, configure_batching, load_scorer
from entailkit.batching import shared_batcher
from entailkit.batching.heartbeat import heartbeat


def run_batched(reranker: Reranker, requests: list[tuple[str, list[str]]]) -> float:
    """Seconds for one ``rerank_many`` of every request."""
    started = time.perf_counter()
    reranker.rerank_many([q for q, _ in requests], [d for _, d in requests])
    return time.perf_counter() - started


def run_threads(reranker: Reranker, requests: list[tuple[str, list[str]]]) -> float:
    """Seconds for one thread per request, each calling the sync ``rerank``."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        list(pool.map(lambda r: reranker.rerank(*r), requests))
    return time.perf_counter() - started


def run_async(reranker: Reranker, requests: list[tuple[str, list[str]]]) -> tuple[float, float]:
    """Seconds for concurrent ``arerank`` coroutines, and the heartbeat's largest gap in seconds."""

    async def main() -> tuple[float, float]:
        async with heartbeat() as beat:
            await asyncio.sleep(0.02)
            started = time.perf_counter()
            await asyncio.gather(*(reranker.arerank(q, d) for q, d in requests))
            seconds = time.perf_counter() - started
        return seconds, beat.max_gap

    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--requests", type=int, default=32, help="concurrent rerank requests")
    parser.add_argument("--docs", type=int, default=20, help="passages per request")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--wait-ms", type=float, default=2.0, help="the batch window (max_batch_wait_ms)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    configure_batching(max_batch_wait_ms=args.wait_ms)
    reranker = Reranker(load_scorer(args.model))
    requests = load_requests(args.data, args.requests, args.docs)
    run_batched(reranker, requests[:4])  # warm up the model and the allocator
    run_async(reranker, requests)  # and start the waiting threads

    batched, threads, concurrent, gaps = [], [], [], []
    stats = shared_batcher(reranker.scorer).metrics
    calls_before = stats.calls  # type: ignore[union-attr]
    for _ in range(args.rounds):
        batched.append(run_batched(reranker, requests))
        seconds, gap = run_async(reranker, requests)
        concurrent.append(seconds)
        gaps.append(gap)
        threads.append(run_threads(reranker, requests))
    calls = (stats.calls - calls_before) / args.rounds  # type: ignore[union-attr]

    def rate(samples: list[float]) -> float:
        return args.requests / statistics.median(samples)

    result: dict[str, Any] = {
        "model": args.model.name,
        "requests": args.requests,
        "docs_per_request": args.docs,
        "torch_threads": torch.get_num_threads(),
        "rounds": args.rounds,
        "max_batch_wait_ms": args.wait_ms,
        "requests_per_s": {
            "async_arerank": round(rate(concurrent), 2),
            "rerank_many": round(rate(batched), 2),
            "thread_per_call": round(rate(threads), 2),
        },
        "async_vs_rerank_many": round(statistics.median(batched) / statistics.median(concurrent), 3),
        "async_vs_thread_per_call": round(statistics.median(threads) / statistics.median(concurrent), 3),
        "async_model_calls_per_round": calls,
        "heartbeat_max_gap_ms": round(1000 * max(gaps), 2),
        "heartbeat_max_gap_ms_median_round": round(1000 * statistics.median(gaps), 2),
        "load_average_1m_after": round(os.getloadavg()[0], 2),
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
