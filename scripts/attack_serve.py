"""Attack ``entailkit serve`` on loopback and measure its resource control (issue 15); not a test.

Each phase starts a real ``entailkit serve`` subprocess (bench_serve.ServerProcess) on the real model and
real MS MARCO passages (bench_serve.load_requests):

- ``load``: ``--clients`` clients send ``--requests`` mixed requests (rerank v1 / v2 / TEI / full, check,
  classify, route, HEAD and GET /health, and about 10 % invalid ones with a known status); counts
  unexpected statuses.
- ``work``: an oversized-work request (the issue's 1,000 texts x 100 labels classify) must be refused at
  once; a 60 sentences x 50 contexts check times out (default ``--request-timeout 30``), then a small
  request must be served within about one batch time (a 250-pair check, one sub-call, is timed as the
  reference); then SIGTERM with such a request in flight.
- ``flood``: ``--flood-connections`` slow-body connections (reconnecting) for ``--flood-seconds``
  against a server limited to 1,024 descriptors, while /health is polled; server descriptors, log
  growth and /health latency are reported.
- ``soak``: ``--soak-clients`` clients for ``--soak-minutes``; the server's RSS every 30 s.

    python scripts/attack_serve.py --phases load,work,flood --out attack.json
    nice -n 19 python scripts/attack_serve.py --phases soak --soak-minutes 30 --soak-clients 3 --out soak.json
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serve import DEFAULT_DATA, DEFAULT_MODEL, ServerProcess, load_requests, pct, rss_mib

ROUTES_YAML = """routes:
  - name: health
    description: "medicine, diseases and the human body"
  - name: science
    description: "physics, chemistry and measurements"
  - name: other
    description: anything else
"""
LABELS = ["medicine", "science", "history", "food"]


def make_mixed(passages: list[tuple[str, list[str]]], n: int, seed: int = 0) -> list[tuple[str, str, Any, int]]:
    """``n`` (method, path, JSON body or raw bytes, expected status) requests over real passages."""
    rng = random.Random(seed)
    out: list[tuple[str, str, Any, int]] = []
    for i in range(n):
        query, docs = passages[i % len(passages)]
        docs = docs[:5]
        kind = rng.random()
        if kind < 0.15:
            out.append(("POST", "/v2/rerank", {"query": query, "documents": docs, "top_n": 3}, 200))
        elif kind < 0.25:
            objects = [{"text": d, "id": j} for j, d in enumerate(docs)]
            out.append(("POST", "/v1/rerank", {"query": query, "documents": objects, "return_documents": True}, 200))
        elif kind < 0.35:
            out.append(("POST", "/rerank", {"query": query, "texts": docs, "raw_scores": True}, 200))
        elif kind < 0.42:
            out.append(("POST", "/v1/rerank/full", {"query": query, "documents": docs[:3]}, 200))
        elif kind < 0.55:
            answer = " ".join(d.split(". ")[0].rstrip(".") + "." for d in docs[:2])
            out.append(("POST", "/v1/check", {"answer": answer, "contexts": docs[:3], "question": query}, 200))
        elif kind < 0.70:
            out.append(("POST", "/v1/classify", {"texts": docs[:2], "labels": LABELS[:3]}, 200))
        elif kind < 0.82:
            out.append(("POST", "/v1/route", {"queries": [query, docs[0][:200]]}, 200))
        elif kind < 0.86:
            out.append(("GET" if kind < 0.84 else "HEAD", "/health", None, 200))
        elif kind < 0.88:
            out.append(("POST", "/v2/rerank", b'{"query": "x", "documents": [', 400))
        elif kind < 0.90:
            out.append(("POST", "/v2/rerank", {"query": query, "documents": docs, "top_n": True}, 422))
        elif kind < 0.92:
            out.append(("POST", "/v1/classify", {"texts": docs[:2], "labels": LABELS, "multi_label": "yes"}, 422))
        elif kind < 0.94:
            out.append(("POST", "/v2/rerank", {"query": "q" * 2001, "documents": docs}, 422))
        elif kind < 0.96:
            out.append(("POST", "/v1/check", {"answer": "x", "contexts": docs, "question": "\ud800"}, 422))
        elif kind < 0.98:
            texts = [f"short text {j}" for j in range(100)]
            out.append(("POST", "/v1/classify", {"texts": texts, "labels": [f"l{j}" for j in range(100)]}, 413))
        else:
            out.append(("GET", "/v1/nothing", None, 404))
    return out


async def send(http: httpx.AsyncClient, method: str, path: str, body: Any) -> httpx.Response:
    if isinstance(body, bytes):
        return await http.request(method, path, content=body, headers={"Content-Type": "application/json"})
    if body is None:
        return await http.request(method, path)
    payload = json.dumps(body).encode("ascii")  # ASCII JSON: a lone surrogate travels as its \\ud800 escape
    return await http.request(method, path, content=payload, headers={"Content-Type": "application/json"})


async def drive_mixed(
    url: str, requests: Iterable[tuple[str, str, Any, int]], clients: int, stop_at: float
) -> dict[str, Any]:
    """Send ``requests`` with ``clients`` keep-alive clients; latency of each, unexpected statuses."""
    queue = iter(requests)
    statuses: dict[str, int] = {}
    unexpected: list[str] = []
    latencies: list[float] = []

    async def client(http: httpx.AsyncClient) -> None:
        while time.monotonic() < stop_at:
            item = next(queue, None)
            if item is None:
                return
            method, path, body, expected = item
            t0 = time.perf_counter()
            try:
                response = await send(http, method, path, body)
                got = str(response.status_code)
            except httpx.HTTPError as exc:
                got = type(exc).__name__
            latencies.append(time.perf_counter() - t0)
            statuses[got] = statuses.get(got, 0) + 1
            if got != str(expected):
                unexpected.append(f"{method} {path}: {got} (expected {expected})")

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    return {
        "statuses": statuses,
        "unexpected": len(unexpected),
        "unexpected_examples": unexpected[:10],
        "latencies": latencies,
    }


def metric(url: str, name: str) -> float:
    for line in httpx.get(f"{url}/metrics", timeout=30).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def batch_totals(url: str) -> tuple[float, float]:
    """(seconds, count) of the server's model calls so far."""
    return metric(url, "entailkit_batch_seconds_sum"), metric(url, "entailkit_batch_seconds_count")


def summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "p50": None, "p99": None, "max": None}
    return {"n": len(values), "p50": statistics.median(values), "p99": pct(values, 0.99), "max": max(values)}


# -- phases --------------------------------------------------------------------------------------------


def phase_load(args: argparse.Namespace, passages: list[tuple[str, list[str]]], routes: Path) -> dict[str, Any]:
    extra = ["--routes", str(routes), "--request-timeout", str(args.load_request_timeout)]
    server = ServerProcess(args.model, args.threads, extra)
    try:
        rss0 = rss_mib(server.process.pid)
        t0 = time.monotonic()
        run = asyncio.run(
            drive_mixed(server.url, make_mixed(passages, args.requests), args.clients, t0 + args.max_seconds)
        )
        wall = time.monotonic() - t0
        rss1 = rss_mib(server.process.pid)
    finally:
        code = server.stop()
    return {
        "requests": sum(run["statuses"].values()),
        "clients": args.clients,
        "request_timeout_s": args.load_request_timeout,
        "wall_s": wall,
        "statuses": run["statuses"],
        "unexpected": run["unexpected"],
        "unexpected_examples": run["unexpected_examples"],
        "latency_s": summary(run["latencies"]),
        "rss_mib_start_end": [rss0, rss1],
        "exit_code": code,
    }


def big_check(passages: list[tuple[str, list[str]]], sentences: int = 60) -> dict[str, Any]:
    """The issue's 6.5 KB check: 60 answer sentences x 50 contexts (about 3,000 pairs)."""
    contexts = [d[:300] for _, docs in passages[:10] for d in docs[:5]][:50]
    answer = " ".join(f"The measurement number {i} was taken in the laboratory." for i in range(sentences))
    return {"answer": answer, "contexts": contexts}


def phase_work(args: argparse.Namespace, passages: list[tuple[str, list[str]]]) -> dict[str, Any]:
    server = ServerProcess(args.model, args.threads, [])
    out: dict[str, Any] = {"request_timeout_s": 30, "max_batch_pairs": 256}
    try:
        texts = [f"text number {i} about something" for i in range(1000)]
        body = {"texts": texts, "labels": [f"label {j}" for j in range(100)]}
        t0 = time.perf_counter()
        refused = httpx.post(f"{server.url}/v1/classify", json=body, timeout=120)
        out["oversized"] = {
            "request": "classify 1,000 texts x 100 labels",
            "body_bytes": len(json.dumps(body)),
            "status": refused.status_code,
            "seconds": time.perf_counter() - t0,
            "message": refused.json()["error"]["message"],
        }
        small = {"query": passages[0][0], "documents": passages[0][1][:2]}
        httpx.post(f"{server.url}/v2/rerank", json=small, timeout=60)  # warm-up
        one_batch = []
        for _ in range(2):  # the reference: a 250-pair check is one sub-call of --max-batch-pairs 256
            t0 = time.perf_counter()
            one = httpx.post(f"{server.url}/v1/check", json=big_check(passages, 5), timeout=120)
            one_batch.append((time.perf_counter() - t0, one.status_code))
        t0 = time.perf_counter()
        late = httpx.post(f"{server.url}/v1/check", json=big_check(passages), timeout=120)
        t_504 = time.perf_counter() - t0
        before = batch_totals(server.url)  # the sub-call in progress at the timeout is not counted yet
        t1 = time.perf_counter()
        nxt = httpx.post(f"{server.url}/v2/rerank", json=small, timeout=120)
        t_next = time.perf_counter() - t1
        after = batch_totals(server.url)
        alone = httpx.post(f"{server.url}/v2/rerank", json=small, timeout=120)
        last = batch_totals(server.url)
        next_batch = last[0] - after[0]
        dropped = [
            line
            for line in httpx.get(f"{server.url}/metrics").text.splitlines()
            if line.startswith("entailkit_dropped")
        ]
        out["after_timeout"] = {
            "big_request": "check 60 sentences x 50 contexts (3,000 pairs)",
            "big_status": late.status_code,
            "big_seconds": t_504,
            "next_request": "rerank of 2 passages",
            "next_status": nxt.status_code,
            "next_seconds": t_next,
            "model_calls_between_504_and_next": after[1] - before[1],
            "sub_call_in_progress_seconds": (after[0] - before[0]) - next_batch,
            "next_model_call_seconds": next_batch,
            "one_batch_reference_seconds_status": one_batch,
            "alone_status": alone.status_code,
            "dropped": dropped,
        }
        # SIGTERM with a huge request in flight
        results: list[Any] = []
        thread = threading.Thread(
            target=lambda: results.append(httpx.post(f"{server.url}/v1/check", json=big_check(passages), timeout=120))
        )
        thread.start()
        time.sleep(3)
        t0 = time.perf_counter()
        code = server.stop()
        out["sigterm"] = {
            "exit_seconds": time.perf_counter() - t0,
            "exit_code": code,
            "graceful_timeout_s": 10,
            "in_flight_status": None,
        }
        thread.join(60)
        out["sigterm"]["in_flight_status"] = (
            results[0].status_code if results and hasattr(results[0], "status_code") else repr(results)
        )
    finally:
        if server.process.poll() is None:
            server.stop()
    return out


async def _slow_client(port: int, until: float, outcomes: dict[str, int]) -> None:
    """Open a slow-body POST, trickle a byte a second, note how it ended; reconnect until ``until``."""
    loop = asyncio.get_running_loop()
    while loop.time() < until:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError as exc:
            outcomes[f"connect {type(exc).__name__}"] = outcomes.get(f"connect {type(exc).__name__}", 0) + 1
            await asyncio.sleep(0.5)
            continue
        outcome = "held"
        try:
            writer.write(
                b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
            )
            await writer.drain()
            read = asyncio.ensure_future(reader.read(200))
            while loop.time() < until:
                done, _ = await asyncio.wait({read}, timeout=1.0)
                if done:
                    data = read.result()
                    outcome = data.split(b"\r\n", 1)[0].decode("latin-1")[9:12] if data else "closed"
                    break
                writer.write(b" ")
                await writer.drain()
            read.cancel()
        except OSError as exc:
            outcome = type(exc).__name__
        finally:
            writer.close()
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        await asyncio.sleep(0.5)


def _poll_health(url: str, pid: int, seconds: float, out: str) -> None:
    """In its own process (no GIL shared with the flood): GET /health every 0.25 s on a new connection and on
    one kept-alive connection; count the server's descriptors."""
    rows = []
    end = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=10) as kept:
        while time.monotonic() < end:
            row: dict[str, Any] = {"fds": len(os.listdir(f"/proc/{pid}/fd"))}
            for name, get in (
                ("new", lambda: httpx.get(f"{url}/health", timeout=10)),
                ("kept", lambda: kept.get("/health")),
            ):
                t0 = time.perf_counter()
                try:
                    row[name] = get().status_code
                except httpx.HTTPError as exc:
                    row[name] = type(exc).__name__
                row[f"{name}_s"] = time.perf_counter() - t0
            rows.append(row)
            time.sleep(0.25)
    Path(out).write_text(json.dumps(rows), encoding="utf-8")


def phase_flood(args: argparse.Namespace) -> dict[str, Any]:
    import multiprocessing

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.flood_connections + 256
    if soft < need:  # the client side needs the descriptors; the server keeps its own limit (--flood-nofile)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    workdir = Path(tempfile.mkdtemp())
    log, polled = workdir / "server.log", workdir / "health.json"
    server = ServerProcess(args.model, args.threads, [], log=log, nofile=args.flood_nofile, log_level="info")
    log_before = log.stat().st_size
    outcomes: dict[str, int] = {}
    poller = multiprocessing.get_context("spawn").Process(
        target=_poll_health, args=(server.url, server.process.pid, args.flood_seconds, str(polled))
    )
    try:
        poller.start()

        async def flood() -> None:
            until = asyncio.get_running_loop().time() + args.flood_seconds
            await asyncio.gather(*(_slow_client(server.port, until, outcomes) for _ in range(args.flood_connections)))

        asyncio.run(flood())
        poller.join(60)
        after = httpx.get(f"{server.url}/health", timeout=10).status_code
        rejected = [
            line
            for line in httpx.get(f"{server.url}/metrics", timeout=10).text.splitlines()
            if line.startswith("entailkit_rejected_total{")
        ]
    finally:
        code = server.stop()
    text = log.read_text(errors="replace")
    rows = json.loads(polled.read_text()) if polled.exists() else []
    return {
        "connections": args.flood_connections,
        "seconds": args.flood_seconds,
        "server_nofile": args.flood_nofile,
        "flood_outcomes": outcomes,
        "health_polls": len(rows),
        "health_new_connection_statuses": _count(row["new"] for row in rows),
        "health_new_connection_latency_s": summary([row["new_s"] for row in rows if row["new"] == 200]),
        "health_keep_alive_statuses": _count(row["kept"] for row in rows),
        "health_keep_alive_latency_s": summary([row["kept_s"] for row in rows if row["kept"] == 200]),
        "server_fds_max": max((row["fds"] for row in rows), default=None),
        "health_after_flood": after,
        "server_rejected": rejected,
        "socket_cap_lines": text.count("connection cap"),
        "log_bytes_during_flood": log.stat().st_size - log_before,
        "log_lines_total": text.count("\n"),
        "too_many_open_files_lines": text.count("Too many open files"),
        "server_log": text[-2000:],
        "exit_code": code,
    }


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[str(value)] = counts.get(str(value), 0) + 1
    return counts


def phase_soak(args: argparse.Namespace, passages: list[tuple[str, list[str]]], routes: Path) -> dict[str, Any]:
    server = ServerProcess(args.model, args.threads, ["--routes", str(routes)])
    pid = server.process.pid
    series: list[tuple[float, float]] = []
    stop = threading.Event()
    t0 = time.monotonic()

    def sample() -> None:
        while not stop.is_set():
            series.append((round(time.monotonic() - t0), rss_mib(pid)))
            stop.wait(30)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        requests = itertools.cycle(make_mixed(passages, 2000, seed=7))
        run = asyncio.run(drive_mixed(server.url, requests, args.soak_clients, t0 + 60 * args.soak_minutes))
    finally:
        stop.set()
        sampler.join()
        series.append((round(time.monotonic() - t0), rss_mib(pid)))
        code = server.stop()
    values = [v for _, v in series]
    half = values[len(values) // 2 :]
    return {
        "minutes": args.soak_minutes,
        "clients": args.soak_clients,
        "requests": sum(run["statuses"].values()),
        "statuses": run["statuses"],
        "unexpected": run["unexpected"],
        "rss_mib_series": series,
        "rss_mib_start": values[0],
        "rss_mib_max": max(values),
        "rss_mib_end": values[-1],
        "rss_mib_second_half_range": [min(half), max(half)],
        "exit_code": code,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--phases", default="load,work,flood")
    parser.add_argument("--threads", type=int, default=2, help="torch threads of the server")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="bound on the load phase")
    parser.add_argument(
        "--load-request-timeout",
        type=float,
        default=300.0,
        help="the server's --request-timeout in the load phase: 32 clients queue for ~20 s on 2 cores",
    )
    parser.add_argument("--flood-connections", type=int, default=1100)
    parser.add_argument("--flood-seconds", type=float, default=60.0)
    parser.add_argument("--flood-nofile", type=int, default=1024, help="the server's RLIMIT_NOFILE in the flood")
    parser.add_argument("--soak-minutes", type=float, default=30.0)
    parser.add_argument("--soak-clients", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    for path in (args.model, args.data):
        if not path.exists():
            raise SystemExit(f"missing {path}: this script needs ../shared (see DATA.md)")
    passages = load_requests(args.data, 200, 10)
    routes = Path(tempfile.mkdtemp()) / "routes.yaml"
    routes.write_text(ROUTES_YAML, encoding="utf-8")
    report: dict[str, Any] = {"model": args.model.name, "command": " ".join(["python", *sys.argv])}
    for phase in args.phases.split(","):
        t0 = time.monotonic()
        print(f"phase {phase} ...", flush=True)
        if phase == "load":
            report[phase] = phase_load(args, passages, routes)
        elif phase == "work":
            report[phase] = phase_work(args, passages)
        elif phase == "flood":
            report[phase] = phase_flood(args)
        elif phase == "soak":
            report[phase] = phase_soak(args, passages, routes)
        else:
            raise SystemExit(f"unknown phase {phase!r}")
        print(f"phase {phase}: {time.monotonic() - t0:.0f} s", json.dumps(report[phase], indent=1)[:3000], flush=True)
        if args.out:
            args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
