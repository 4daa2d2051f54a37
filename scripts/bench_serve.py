"""Load benchmark of ``entailkit serve`` on loopback: concurrent rerank clients vs the in-process Reranker.

The server runs as a real ``entailkit serve`` subprocess; asyncio + httpx clients in this process send
rerank requests of real MS MARCO passages (Cohere v2 shape). The same requests are reranked in-process
with ``Reranker.rerank_many`` (batched) on the same machine, in interleaved rounds so that background
load hits both alike. Reports failed requests, throughput of each and their ratio, p50 / p99 latency,
then an overload run (small queue, more clients) that counts 503s and samples the server's RSS.

    python scripts/bench_serve.py --requests 2000 --concurrency 32 --docs 20

Bounded: every run stops issuing requests after ``--max-seconds``. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from entailkit._jsonl import read_jsonl

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = ROOT.parent / "shared" / "models" / "minilm-l6-sick-nli"
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "msmarco_trecdl_subset"


def load_requests(data: Path, n: int, docs: int, seed: int = 0) -> list[tuple[str, list[str]]]:
    """``n`` (query, passages) requests: each query's judged passages first, then random ones."""
    corpus = {row["_id"]: row["text"] for row in read_jsonl(data / "corpus.jsonl")}
    queries = {row["_id"]: row["text"] for row in read_jsonl(data / "queries.jsonl")}
    judged: dict[str, list[str]] = {}
    with (data / "qrels" / "test.tsv").open(encoding="utf-8") as f:
        for line in f:
            qid, pid, _ = line.rstrip("\n").split("\t")
            if pid in corpus:
                judged.setdefault(qid, []).append(pid)
    qids = sorted(q for q in queries if q in judged)
    all_ids = sorted(corpus)
    rng = random.Random(seed)
    out = []
    for i in range(n):
        qid = qids[i % len(qids)]
        pool = rng.sample(judged[qid], min(len(judged[qid]), docs // 2))
        while len(pool) < docs:
            pid = rng.choice(all_ids)
            if pid not in pool:
                pool.append(pid)
        rng.shuffle(pool)
        out.append((queries[qid], [corpus[p] for p in pool]))
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class ServerProcess:
    """``entailkit serve`` in a subprocess on a free loopback port.

    ``log``: write the server's output there (default: this process's); ``nofile``: the server's
    RLIMIT_NOFILE (soft and hard); ``nice``: its niceness increment.
    """

    def __init__(
        self,
        model: Path,
        threads: int,
        extra: list[str],
        *,
        log: Path | None = None,
        nofile: int | None = None,
        nice: int = 0,
        log_level: str = "warning",
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
        env.pop("ENTAILKIT_API_KEY", None)
        command = [sys.executable, "-m", "entailkit.cli", "serve", "--model", str(model), "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--log-level", log_level, *extra]

        def limit() -> None:  # in the child, before exec
            if nofile is not None:
                import resource

                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
            if nice:
                os.nice(nice)

        self.log = log
        output = log.open("wb") if log is not None else None
        self.process = subprocess.Popen(
            command,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT if output is not None else None,
            preexec_fn=limit if (nofile is not None or nice) else None,
        )
        deadline = time.monotonic() + 300
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not start in 300 s")
            time.sleep(0.2)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(120)


async def drive(
    url: str, requests: list[tuple[str, list[str]]], concurrency: int, max_seconds: float, top_n: int, rss_pid: int
) -> dict[str, Any]:
    """Send the requests with ``concurrency`` clients; latency of each 200, count of each status."""
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    rss: list[float] = []
    next_index = 0
    started = time.perf_counter()
    stop_at = started + max_seconds

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal next_index
        while next_index < len(requests) and time.perf_counter() < stop_at:
            query, docs = requests[next_index]
            next_index += 1
            body = {"model": "entailkit", "query": query, "documents": docs, "top_n": top_n}
            t0 = time.perf_counter()
            try:
                response = await http.post("/v2/rerank", json=body)
                key = str(response.status_code)
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - t0)
                    assert len(response.json()["results"]) == min(top_n, len(docs))
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            statuses[key] = statuses.get(key, 0) + 1

    async def sample_rss() -> None:
        while True:
            rss.append(rss_mib(rss_pid))
            await asyncio.sleep(0.5)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        sampler = asyncio.create_task(sample_rss())
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        sampler.cancel()
    wall = time.perf_counter() - started
    return {"wall_s": wall, "statuses": statuses, "latencies": latencies, "rss_mib": rss}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved in-process / server rounds")
    parser.add_argument("--threads", type=int, default=1, help="torch threads, server and in-process alike")
    parser.add_argument("--request-timeout", type=float, default=600.0, help="the server's --request-timeout")
    parser.add_argument("--max-batch-pairs", type=int, default=640)
    parser.add_argument("--max-batch-wait-ms", type=float, default=5.0)
    parser.add_argument("--max-queue", type=int, default=64)
    parser.add_argument("--max-seconds", type=float, default=900.0, help="bound on each server run")
    parser.add_argument("--overload-requests", type=int, default=400)
    parser.add_argument("--overload-concurrency", type=int, default=64)
    parser.add_argument("--overload-queue", type=int, default=8)
    parser.add_argument("--top-n", type=int, default=5)
    parser.add_argument(
        "--in-process-requests",
        type=int,
        default=None,
        help="rerank only this many of the requests in-process (spread over the rounds) to measure its rate; "
        "default all",
    )
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args()
    for path in (args.model, args.data):
        if not path.exists():
            raise SystemExit(f"missing {path}: this benchmark needs ../shared (see DATA.md)")

    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    from entailkit import Reranker, load_scorer

    torch.set_num_threads(args.threads)
    requests = load_requests(args.data, args.requests, args.docs)
    reranker = Reranker(load_scorer(args.model))
    chunk = max(1, args.max_batch_pairs // args.docs)
    reranker.rerank_many([q for q, _ in requests[:2]], [d for _, d in requests[:2]])  # warm-up

    server = ServerProcess(
        args.model,
        args.threads,
        [
            *("--max-queue", str(args.max_queue), "--max-batch-pairs", str(args.max_batch_pairs)),
            *("--max-batch-wait-ms", str(args.max_batch_wait_ms), "--request-timeout", str(args.request_timeout)),
        ],
    )
    try:
        asyncio.run(drive(server.url, requests[:4], 4, 300, args.top_n, server.process.pid))  # warm-up
        bounds = [round(i * len(requests) / args.rounds) for i in range(args.rounds + 1)]
        local_s = server_s = 0.0
        server_done = local_done = 0
        local_total = (
            len(requests) if args.in_process_requests is None else min(args.in_process_requests, len(requests))
        )
        statuses: dict[str, int] = {}
        latencies: list[float] = []
        for r in range(args.rounds):
            part = requests[bounds[r] : bounds[r + 1]]
            local_part = part[: round(local_total * len(part) / len(requests))]
            t0 = time.perf_counter()
            for i in range(0, len(local_part), chunk):
                batch = local_part[i : i + chunk]
                reranker.rerank_many([q for q, _ in batch], [d for _, d in batch], top_n=args.top_n)
            local_s += time.perf_counter() - t0
            local_done += len(local_part)
            print(f"round {r + 1}/{args.rounds}: in-process done ({local_s:.1f} s so far); server run next", flush=True)
            run = asyncio.run(
                drive(server.url, part, args.concurrency, args.max_seconds, args.top_n, server.process.pid)
            )
            server_s += run["wall_s"]
            server_done += len(run["latencies"])
            latencies += run["latencies"]
            for key, value in run["statuses"].items():
                statuses[key] = statuses.get(key, 0) + value
            print(
                f"round {r + 1}/{args.rounds}: {len(part)} requests, in-process {local_s:.1f} s, server {server_s:.1f} s"
            )
        metrics = httpx.get(f"{server.url}/metrics").text
        steady_rss = rss_mib(server.process.pid)
    finally:
        server.stop()

    overload = ServerProcess(
        args.model,
        args.threads,
        [
            *("--max-queue", str(args.overload_queue), "--max-batch-pairs", str(args.max_batch_pairs)),
            *("--request-timeout", str(args.request_timeout)),
        ],
    )
    idle_rss = rss_mib(overload.process.pid)
    try:
        over = asyncio.run(
            drive(
                overload.url,
                load_requests(args.data, args.overload_requests, args.docs, seed=1),
                args.overload_concurrency,
                args.max_seconds,
                args.top_n,
                overload.process.pid,
            )
        )
    finally:
        overload_code = overload.stop()

    local_rate = local_done / local_s
    server_rate = server_done / server_s
    batch_line = [line for line in metrics.splitlines() if line.startswith("entailkit_batch_requests_")]
    report = {
        "model": str(args.model),
        "requests": len(requests),
        "in_process_requests": local_done,
        "docs_per_request": args.docs,
        "concurrency": args.concurrency,
        "threads": args.threads,
        "max_batch_pairs": args.max_batch_pairs,
        "max_batch_wait_ms": args.max_batch_wait_ms,
        "rounds": args.rounds,
        "server_statuses": statuses,
        "failed": sum(v for k, v in statuses.items() if k != "200"),
        "in_process_req_per_s": local_rate,
        "server_req_per_s": server_rate,
        "server_pairs_per_s": server_rate * args.docs,
        "ratio_server_vs_in_process": server_rate / local_rate,
        "latency_p50_ms": 1000 * statistics.median(latencies) if latencies else None,
        "latency_p99_ms": 1000 * pct(latencies, 0.99),
        "mean_requests_per_batch": _mean_batch(batch_line),
        "server_rss_mib_after_run": steady_rss,
        "overload": {
            "requests": args.overload_requests,
            "concurrency": args.overload_concurrency,
            "max_queue": args.overload_queue,
            "statuses": over["statuses"],
            "rss_mib_idle": idle_rss,
            "rss_mib_peak": max(over["rss_mib"]) if over["rss_mib"] else None,
            "latency_p50_ms_of_200": 1000 * statistics.median(over["latencies"]) if over["latencies"] else None,
            "exit_code": overload_code,
        },
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def _mean_batch(lines: list[str]) -> float | None:
    values = {line.split()[0]: float(line.split()[1]) for line in lines if " " in line}
    count = values.get("entailkit_batch_requests_count")
    total = values.get("entailkit_batch_requests_sum")
    return total / count if count and total is not None else None


if __name__ == "__main__":
    main()
