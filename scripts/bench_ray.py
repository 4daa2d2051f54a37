"""Rows per second of ``rerank_dataset`` on a local Ray runtime with 1 and 2 actors, next to in-process.

Scores the same SICK TEST pairs (query = sentence_B, document = sentence_A) with the SICK NLI model:

- in process: ``Reranker.rerank_many`` in this process, torch on 1 thread (the peer of one actor);
- Ray, 1 actor and 2 actors (1 CPU each): ``rerank_dataset(...).materialize()``, wall time including
  the actor start-up (process, imports, model load), which every real job pays once per actor.

Two rates per Ray run: end to end (all rows / wall time) and steady (rows that arrive after the first
result block / time from the first to the last block), which leaves the start-up out but overstates
the rate when finished blocks reach the driver in bursts: quote the end-to-end figures.

    python scripts/bench_ray.py --rows 2000 --json /tmp/bench_ray.json

The machine's load average is recorded: on a shared 2-core box the figures move with the other work.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ENTAILKIT_SHARED", str(ROOT.parent / "shared")))


def sick_pairs(limit: int) -> list[dict[str, Any]]:
    path = SHARED / "data" / "sick" / "SICK.txt"
    if not path.is_file():
        sys.exit(f"SICK data not found at {path}; set ENTAILKIT_SHARED to the shared folder")
    with path.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["SemEval_set"] == "TEST"]
    return [{"id": i, "query": r["sentence_B"], "document": r["sentence_A"]} for i, r in enumerate(rows[:limit])]


def in_process(model: str, rows: list[dict[str, Any]]) -> float:
    """Seconds for the in-process Reranker on one torch thread (model already loaded: steady state)."""
    import torch

    from entailkit.scorers.loading import load_scorer
    from entailkit.tasks import Reranker

    torch.set_num_threads(1)
    reranker = Reranker(load_scorer(model, device="cpu"))
    reranker.rerank_many([r["query"] for r in rows[:32]], [[r["document"]] for r in rows[:32]])  # warm-up
    start = time.perf_counter()
    reranker.rerank_many([r["query"] for r in rows], [[r["document"]] for r in rows])
    return time.perf_counter() - start


def ray_run(model: str, rows: list[dict[str, Any]], actors: int) -> tuple[float, float]:
    """(wall seconds of one rerank_dataset job, actor start-up included; steady rows/s).

    The steady rate counts the rows that arrive after the first result block, over the time from the
    first to the last block: what the actors sustain once they are up.
    """
    from entailkit.distributed import BatchOptions, rerank_dataset

    start = time.perf_counter()
    first = last = 0.0
    total = after_first = 0
    dataset = rerank_dataset(rows, model, options=BatchOptions(num_actors=actors, num_cpus=1))
    for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
        last = time.perf_counter()
        if total == 0:
            first = last
        else:
            after_first += batch.num_rows
        total += batch.num_rows
    assert total == len(rows)
    return last - start, after_first / max(last - first, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(SHARED / "models" / "minilm-l6-sick-nli"))
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    import ray

    from entailkit.distributed import init_ray

    rows = sick_pairs(args.rows)
    load_start = os.getloadavg()[0]
    result: dict[str, Any] = {"rows": len(rows), "cpus": os.cpu_count(), "model": args.model}
    result["in_process_s"] = in_process(args.model, rows)
    result["in_process_rows_per_s"] = len(rows) / result["in_process_s"]
    print(f"in process (1 thread): {result['in_process_rows_per_s']:.1f} rows/s", flush=True)

    init_start = time.perf_counter()
    init_ray(num_cpus=os.cpu_count() or 2)
    ray.data.DataContext.get_current().enable_progress_bars = False
    result["ray_init_s"] = time.perf_counter() - init_start
    try:
        for actors in (1, 2):
            wall, steady = ray_run(args.model, rows, actors)
            result[f"actors_{actors}"] = {"wall_s": wall, "rows_per_s": len(rows) / wall, "steady_rows_per_s": steady}
            print(f"{actors} actor(s): {len(rows) / wall:.1f} rows/s end to end ({wall:.1f} s), "
                  f"steady {steady:.1f} rows/s", flush=True)  # fmt: skip
    finally:
        ray.shutdown()
    result["load_avg_start"], result["load_avg_end"] = load_start, os.getloadavg()[0]
    one, two = result["actors_1"], result["actors_2"]
    result["speedup_2_vs_1_end_to_end"] = two["rows_per_s"] / one["rows_per_s"]
    result["speedup_2_vs_1_steady"] = two["steady_rows_per_s"] / one["steady_rows_per_s"]
    print(json.dumps(result, indent=1))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
