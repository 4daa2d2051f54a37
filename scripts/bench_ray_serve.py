"""Throughput and latency of the HTTP app on Ray Serve replicas vs the single-process ``entailkit serve``.

The same rerank requests as ``scripts/bench_serve.py`` (real MS MARCO passages, Cohere v2 shape, sent by
concurrent asyncio + httpx clients of this process, its helpers reused) go to, in turn:

1. ``entailkit serve`` (a subprocess) with 1 torch thread, then with 2;
2. a local Ray runtime: the app on Ray Serve with 1 replica of 1 thread, then with 2 replicas of 1 thread.

Reports requests/s, pairs/s, p50 / p99 latency, the 2-vs-1 replica ratio, and the start-up cost (Ray, then
Serve and the replicas, until the first answer). ``--rolling`` adds a rolling restart (a redeploy with a
changed option) under load and counts the statuses it causes.

    python scripts/bench_ray_serve.py --requests 160 --concurrency 16 --out bench_ray_serve.json

Run it on an idle machine: every figure is a rate of the CPUs it shares.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serve import DEFAULT_DATA, DEFAULT_MODEL, ServerProcess, drive, free_port, load_requests, pct


def figures(run: dict[str, Any], docs: int) -> dict[str, Any]:
    """Rates and latency of one ``drive`` run."""
    latencies = run["latencies"]
    rate = len(latencies) / run["wall_s"]
    return {
        "requests_ok": len(latencies),
        "statuses": run["statuses"],
        "wall_s": round(run["wall_s"], 2),
        "req_per_s": round(rate, 3),
        "pairs_per_s": round(rate * docs, 1),
        "latency_p50_ms": round(1000 * statistics.median(latencies)) if latencies else None,
        "latency_p99_ms": round(1000 * pct(latencies, 0.99)) if latencies else None,
    }


def merged(texts: list[str]) -> float | None:
    """Mean requests per model call over the ``/metrics`` texts of the servers (replicas) of one run."""
    count = total = 0.0
    for text in texts:
        for line in text.splitlines():
            name, _, value = line.partition(" ")
            if name == "entailkit_batch_requests_count":
                count += float(value)
            elif name == "entailkit_batch_requests_sum":
                total += float(value)
    return round(total / count, 2) if count else None


def replica_texts(server: Any) -> list[str]:
    """The ``/metrics`` text of each replica of a running Ray Serve app."""
    return list(server.replica_metrics().values())


def load(
    url: str, requests: list[tuple[str, list[str]]], args: argparse.Namespace, metrics: Any = None
) -> dict[str, Any]:
    """Warm up with 4 requests, then send all of them with ``--concurrency`` clients.

    ``metrics``: a callable returning the ``/metrics`` texts (one per replica); default ``GET url/metrics``.
    """
    asyncio.run(drive(url, requests[:4], 4, 300, args.top_n, os.getpid()))
    run = asyncio.run(drive(url, requests, args.concurrency, args.max_seconds, args.top_n, os.getpid()))
    texts = metrics() if metrics is not None else [httpx.get(f"{url}/metrics", timeout=60).text]
    return {**figures(run, args.docs), "mean_requests_per_model_call": merged(texts), "servers": len(texts)}


def first_answer(url: str, request: tuple[str, list[str]], timeout: float = 600) -> float:
    """Seconds until ``url`` answers one rerank request with 200."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            body = {"query": request[0], "documents": request[1]}
            if httpx.post(f"{url}/v2/rerank", json=body, timeout=120).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout:g} s")


def rolling_restart(server: Any, model: Path, config: Any, requests: list[Any], args: argparse.Namespace) -> dict:
    """Redeploy (a changed ``model_name``) while clients send requests: statuses and time to new replicas."""
    from entailkit.serve.ray import run_ray_serve

    before = set(server.replicas())
    result: dict[str, Any] = {}

    def redeploy() -> None:
        time.sleep(5)
        started = time.perf_counter()
        run_ray_serve(model, config.replace(model_name="rolled"), replicas=2, threads_per_replica=1)
        result["redeploy_s"] = round(time.perf_counter() - started, 1)
        result["replicas_replaced"] = not (before & set(server.replicas()))

    thread = threading.Thread(target=redeploy)
    thread.start()
    run = asyncio.run(drive(server.url, requests, args.concurrency, args.max_seconds, args.top_n, os.getpid()))
    thread.join()
    return {**result, **figures(run, args.docs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--requests", type=int, default=160)
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--top-n", type=int, default=5)
    parser.add_argument("--max-batch-pairs", type=int, default=640)
    parser.add_argument("--max-batch-wait-ms", type=float, default=5.0)
    parser.add_argument("--max-seconds", type=float, default=900.0, help="bound on each load run")
    parser.add_argument("--skip-single", action="store_true", help="leave out the single-process servers")
    parser.add_argument("--rolling", action="store_true", help="also measure a rolling restart under load")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args()
    for path in (args.model, args.data):
        if not path.exists():
            raise SystemExit(f"missing {path}: this benchmark needs ../shared (see DATA.md)")
    requests = load_requests(args.data, args.requests, args.docs)
    flags = ["--max-batch-pairs", str(args.max_batch_pairs), "--max-batch-wait-ms", str(args.max_batch_wait_ms)]
    flags += ["--request-timeout", "600"]
    report: dict[str, Any] = {
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "machine": f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, {platform.platform()}",
        "load_average_start": os.getloadavg(),
        "model": args.model.name,
        "requests": len(requests),
        "docs_per_request": args.docs,
        "concurrency": args.concurrency,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "runs": {},
    }
    if not args.skip_single:
        for threads in (1, 2):
            server = ServerProcess(args.model, threads, flags)
            try:
                report["runs"][f"single process, {threads} thread(s)"] = load(server.url, requests, args)
            finally:
                server.stop()
            print(json.dumps(report["runs"], indent=1), flush=True)

    from entailkit.distributed import init_ray
    from entailkit.serve import ServeConfig
    from entailkit.serve.ray import run_ray_serve

    config = ServeConfig(
        port=free_port(), max_batch_pairs=args.max_batch_pairs, max_batch_wait_ms=args.max_batch_wait_ms,
        request_timeout_s=600,
    )  # fmt: skip
    started = time.perf_counter()
    init_ray(num_cpus=os.cpu_count() or 2)
    startup: dict[str, float] = {"ray_init_s": round(time.perf_counter() - started, 1)}
    server = None
    try:
        for replicas in (1, 2):
            started = time.perf_counter()
            server = run_ray_serve(args.model, config, replicas=replicas, threads_per_replica=1)
            ready = time.perf_counter() - started
            answer = first_answer(server.url, requests[0])
            startup[f"{replicas}_replica_deploy_s"] = round(ready, 1)
            startup[f"{replicas}_replica_first_answer_s"] = round(ready + answer, 1)
            per_replica = functools.partial(replica_texts, server)
            report["runs"][f"Ray Serve, {replicas} replica(s) x 1 thread"] = load(
                server.url, requests, args, per_replica
            )
            print(json.dumps(report["runs"], indent=1), flush=True)
            if replicas == 2 and args.rolling:
                report["rolling_restart"] = rolling_restart(server, args.model, config, requests, args)
            if replicas == 1:
                from ray import serve

                serve.delete(server.name)  # a fresh deployment for 2: its start-up is measured too
    finally:
        if server is not None:
            server.shutdown()
        import ray

        ray.shutdown()
    report["startup"] = startup
    runs = report["runs"]
    one, two = runs["Ray Serve, 1 replica(s) x 1 thread"], runs["Ray Serve, 2 replica(s) x 1 thread"]
    report["ratio_2_vs_1_replicas"] = round(two["req_per_s"] / one["req_per_s"], 2)
    if not args.skip_single:
        for threads in (1, 2):
            single = runs[f"single process, {threads} thread(s)"]["req_per_s"]
            report[f"ratio_2_replicas_vs_single_{threads}_thread"] = round(two["req_per_s"] / single, 2)
    report["load_average_end"] = os.getloadavg()
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
