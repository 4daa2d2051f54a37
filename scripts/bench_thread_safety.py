"""What the tokenizer lock costs: one shared scorer, single-thread and 8-thread, lock on vs off.

Every scorer call into a tokenizer holds that tokenizer's lock (src/entailkit/scorers/tokenizer_lock.py),
so a scorer shared by threads gives exactly the single-thread scores. This measures the price on the
same MS MARCO pairs in one process, interleaved rounds:

- single thread, lock on vs lock off (the lock replaced by a no-op), alternating the order each round:
  the goal is within 2%. CPU seconds of the process are reported beside wall time: on a shared machine
  they move less with the other work;
- 8 threads sharing the scorer (lock on), each scoring its share of the pairs: throughput and whether
  every score equals the single-thread reference (with the lock off it does not, which is the bug).

    python scripts/bench_thread_safety.py --pairs 512 --rounds 5 --json /tmp/bench_threads.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ENTAILKIT_SHARED", str(ROOT.parent / "shared")))


def _timed(function: Any) -> tuple[float, float, Any]:
    """Wall seconds, CPU seconds of this process, and the result of ``function()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = function()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def _threaded(scorer: Any, premises: list[str], hypotheses: list[str], threads: int) -> list[float]:
    """Score the pairs from ``threads`` threads (pair i on thread i % threads); scores in input order."""
    out: list[float] = [0.0] * len(premises)

    def work(k: int) -> None:
        index = list(range(k, len(premises), threads))
        scores = scorer.score_pairs([premises[i] for i in index], [hypotheses[i] for i in index]).scores
        for i, s in zip(index, scores, strict=True):
            out[i] = s

    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return out


def _lock_overhead(locks: Any, scorer: Any, premises: list[str], hypotheses: list[str]) -> tuple[int, float]:
    """Tokenizer calls in one scoring pass, and the extra seconds the lock adds to one call (uncontended).

    The wall-time comparison moves by more than 2% with the other work on a shared 2-core machine; this
    bound does not: (calls per pass) x (lock cost per call) / (seconds per pass).
    """
    real = locks.tokenizer_lock
    counted = [0]

    def counting(tokenizer: Any) -> Any:
        counted[0] += 1
        return real(tokenizer)

    locks.tokenizer_lock = counting
    scorer.score_pairs(premises, hypotheses)
    locks.tokenizer_lock = real
    lock = real(scorer.tokenizer)
    n = 200_000
    start = time.perf_counter()
    for _ in range(n):
        with real(scorer.tokenizer):
            pass
    locked = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(n):
        with contextlib.nullcontext(lock):
            pass
    unlocked = time.perf_counter() - start
    return counted[0], max(0.0, (locked - unlocked) / n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(SHARED / "models" / "minilm-l6-sick-nli"))
    parser.add_argument("--pairs", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    import torch

    import entailkit.scorers.tokenizer_lock as locks
    from entailkit import load_scorer
    from entailkit.bench.data import msmarco_pairs

    torch.set_num_threads(1)
    data = msmarco_pairs(SHARED, n_pairs=args.pairs)
    premises, hypotheses = data.passages, data.queries
    scorer = load_scorer(args.model)
    real_lock = locks.tokenizer_lock

    def no_lock(_: Any) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    reference = scorer.score_pairs(premises, hypotheses).scores  # warm-up and reference
    times: dict[str, list[float]] = {"lock": [], "no_lock": [], "threads_lock": []}
    cpu: dict[str, list[float]] = {"lock": [], "no_lock": []}
    wrong_threads = 0
    variants = [("lock", real_lock), ("no_lock", no_lock)]
    for r in range(args.rounds):
        for name, lock in variants if r % 2 == 0 else variants[::-1]:  # alternate the order: drift cancels
            locks.tokenizer_lock = lock  # type: ignore[assignment]
            elapsed, cpu_s, _scores = _timed(lambda: scorer.score_pairs(premises, hypotheses))
            times[name].append(elapsed)
            cpu[name].append(cpu_s)
        locks.tokenizer_lock = real_lock
        elapsed, _cpu, scores = _timed(lambda: _threaded(scorer, premises, hypotheses, args.threads))
        times["threads_lock"].append(elapsed)
        wrong_threads += sum(abs(a - b) > 1e-6 for a, b in zip(scores, reference, strict=True))
    calls, per_call_s = _lock_overhead(locks, scorer, premises, hypotheses)
    medians = {k: statistics.median(v) for k, v in times.items()}
    cpu_medians = {k: statistics.median(v) for k, v in cpu.items()}
    report = {
        "pairs": len(premises),
        "rounds": args.rounds,
        "threads": args.threads,
        "torch_threads": 1,
        "median_s": medians,
        "pairs_per_s": {k: len(premises) / v for k, v in medians.items()},
        "median_cpu_s": cpu_medians,
        "single_thread_lock_cost_wall": medians["lock"] / medians["no_lock"] - 1.0,
        "single_thread_lock_cost_cpu": cpu_medians["lock"] / cpu_medians["no_lock"] - 1.0,
        "times_s": times,
        "wrong_scores_with_threads": wrong_threads,
        "tokenizer_calls_per_pass": calls,
        "lock_overhead_per_call_s": per_call_s,
        "lock_overhead_fraction_of_pass": calls * per_call_s / medians["no_lock"],
        "load_avg": os.getloadavg(),
    }
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
