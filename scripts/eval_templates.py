"""Which hypothesis template for a label (issue 22): zero-shot AG News under each candidate template.

Classification puts a label in the template (routing a route's description, reranking a query: each kind
of hypothesis has its own default, docs/concepts.md); this scores the label candidates on the same rows
with each model. Protocol: AG News test.csv shuffled with seed 0, the first ``--rows`` rows (a query is
"title. description"), labels World / Sports / Business / Science and technology, single-label argmax.
``--descriptions`` scores the classes as a router's route descriptions instead (topic phrases such as
"world news and politics", the route template's kind). Query templates are measured by
``scripts/eval_msmarco_rerank.py --template ...``.

    python scripts/eval_templates.py --model ../shared/models/minilm-l6-general-nli [--model ...] [--rows 1000]
        [--template "This example is {}."]... [--descriptions] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

LABELS = {"1": "World", "2": "Sports", "3": "Business", "4": "Science and technology"}
DESCRIPTIONS = {
    "1": "world news, politics and international affairs",
    "2": "sports, teams and games",
    "3": "business, companies and the economy",
    "4": "science, technology and computers",
}
CANDIDATES = ("This example is {}.", "This text is about {}.")
DESCRIPTION_CANDIDATES = ("This text is about {}.", "This example is {}.", "{}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", required=True)
    parser.add_argument("--shared", default=None)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--template", action="append", default=None)
    parser.add_argument("--descriptions", action="store_true", help="route-style descriptions as the classes")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    from entailkit import ZeroShotClassifier, load_scorer, metrics
    from entailkit.train.datasets import shared_dir

    path = shared_dir(args.shared) / "data" / "ag_news" / "test.csv"
    if not path.is_file():
        print(f"AG News absent ({path}); nothing to do.")
        return 0
    names = DESCRIPTIONS if args.descriptions else LABELS
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [(f"{r['title']}. {r['description']}", names[r["label"]]) for r in csv.DictReader(handle)]
    random.Random(0).shuffle(rows)
    rows = rows[: args.rows]
    texts, gold = [t for t, _ in rows], [g for _, g in rows]
    records = []
    print("| model | template | accuracy | macro-F1 |\n|---|---|---|---|")
    for model in args.model:
        scorer = load_scorer(model, batch_size=64)
        for template in args.template or (DESCRIPTION_CANDIDATES if args.descriptions else CANDIDATES):
            started = time.perf_counter()
            results = ZeroShotClassifier(scorer, hypothesis_template=template).classify(texts, list(names.values()))
            pred = [r.labels[0] for r in results]
            record = {
                "model": model,
                "template": template,
                "accuracy": metrics.accuracy(gold, pred),
                "macro_f1": metrics.macro_f1(gold, pred, list(names.values())),
                "classes": "descriptions" if args.descriptions else "labels",
                "rows": len(rows),
                "seconds": round(time.perf_counter() - started, 1),
            }
            records.append(record)
            print(f"| `{Path(model).name}` | `{template}` | {record['accuracy']:.3f} | {record['macro_f1']:.3f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
