"""Pairs/s of one CPU scorer by call size, with padding-aware batches (the CPU default) and without.

The same MS MARCO rerank requests as ``scripts/bench_serve.py`` (20 passages a query) are scored in calls
of 20, 80, 160 and 960 pairs (one rerank request; what the server's batcher merges from 4, 8 and 48
requests), once with ``scorer.padding_tolerance`` at its CPU default and once with it off (batches capped
by count and tokens only, as on GPUs); the two settings alternate over ``--rounds`` and the median is kept.

    python scripts/bench_padding.py --threads 1 --rounds 3 --out bench_padding.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serve import DEFAULT_DATA, DEFAULT_MODEL, load_requests

from entailkit import shared_scorer


def rate(scorer: Any, premises: list[str], hypotheses: list[str], size: int) -> float:
    """Pairs per second scoring all pairs in calls of ``size``."""
    started = time.perf_counter()
    for i in range(0, len(premises), size):
        scorer.score_pairs(premises[i : i + size], hypotheses[i : i + size])
    return len(premises) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--queries", type=int, default=48, help="rerank requests of 20 passages each")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    for path in (args.model, args.data):
        if not path.exists():
            raise SystemExit(f"missing {path}: this benchmark needs ../shared (see DATA.md)")
    torch.set_num_threads(args.threads)
    scorer = shared_scorer(args.model)
    requests = load_requests(args.data, args.queries, 20)
    premises = [doc for _, docs in requests for doc in docs]
    hypotheses = [query for query, docs in requests for _ in docs]
    default = scorer.padding_tolerance
    scorer.score_pairs(premises[:64], hypotheses[:64])  # warm-up
    sizes = [20, 80, 160, len(premises)]
    seen: dict[str, dict[int, list[float]]] = {"on": {s: [] for s in sizes}, "off": {s: [] for s in sizes}}
    for round_ in range(args.rounds):
        for setting in ("on", "off") if round_ % 2 == 0 else ("off", "on"):
            scorer.padding_tolerance = default if setting == "on" else None
            for size in sizes:
                seen[setting][size].append(rate(scorer, premises, hypotheses, size))
    table = {
        size: {
            "tolerance_pairs_per_s": round(statistics.median(seen["on"][size]), 1),
            "no_tolerance_pairs_per_s": round(statistics.median(seen["off"][size]), 1),
        }
        for size in sizes
    }
    for row in table.values():
        row["speedup"] = round(row["tolerance_pairs_per_s"] / row["no_tolerance_pairs_per_s"], 2)
    report = {"model": args.model.name, "threads": args.threads, "pairs": len(premises), "tolerance": default}
    report["by_call_size"] = table
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
