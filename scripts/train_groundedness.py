"""Train the groundedness checker (issue 22): the general NLI checker trained further on document-level
grounding pairs plus a replay of its NLI pool, then calibrated so P(supported) = 0.5 is the threshold.

    # stage 1 (about 30 min on 2 cores): all-MiniLM-L6-v2 -> the general NLI checker
    python scripts/train_general_nli.py --epochs 1 --out out/minilm-general-nli
    # stage 2 (this script): grounding pairs + NLI replay, calibration, every evaluation
    python scripts/train_groundedness.py --init out/minilm-general-nli --out out/minilm-groundedness

``--init`` defaults to ``../shared/models/minilm-l6-general-nli``, the stage-1 checkpoint made by that
same command. Data: ``groundedness_train_pairs(three_way=True)`` (MS MARCO training-half queries and
BoolQ train_heldout: no premise of the dev benchmark; ``swap_inside`` pairs counted ``--inside-weight``
times), less a seeded 10% of its passages held out for early stopping and for the calibration fit; plus ``--replay`` times as many pairs drawn from the general
NLI pool (so sentence-level NLI is not forgotten). The calibration (a temperature and an entailment
shift, ``entailkit.train.head_calibration``) is fitted on the held-out passages' pairs, never on the
benchmark, and folded into the classifier. Evaluations: the groundedness dev benchmark (every pair, at
the default threshold 0.5) and MNLI-m, RTE, QNLI, SciTail, SICK. Writes the model, its card and
figures.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import time
from pathlib import Path

import numpy as np

from entailkit import GroundednessChecker, load_scorer
from entailkit.train import (
    TrainConfig,
    evaluate_groundedness,
    evaluate_nli,
    groundedness_dev_set,
    groundedness_train_pairs,
    load_named,
    train_cross_encoder,
)
from entailkit.train.card import record_evaluation
from entailkit.train.data import NLIExample, count_labels
from entailkit.train.datasets import shared_dir
from entailkit.train.head_calibration import fit_head_calibration, fold_head_calibration, supported_probability

NLI_EVALS = ("mnli:dev_matched", "rte:dev", "qnli:dev", "scitail:test", "sick:test")


def split_by_passage(rows: list[NLIExample], fraction: float, seed: int) -> tuple[list[NLIExample], list[NLIExample]]:
    """(train, held-out): every pair of a seeded ``fraction`` of the distinct premises is held out."""
    premises = sorted({r.premise for r in rows})
    held = set(random.Random(seed).sample(premises, round(fraction * len(premises))))
    return [r for r in rows if r.premise not in held], [r for r in rows if r.premise in held]


def log_probabilities(model_dir: str, rows: list[NLIExample]) -> tuple[np.ndarray, int]:
    """Log P(entailment, neutral, contradiction) of each (premise, claim) pair as the scorer gives them.

    Log-probabilities are the logits less a per-row constant, which neither a temperature nor the
    entailment shift sees, so they stand in for the logits in the calibration fit.
    """
    pairs = load_scorer(model_dir, batch_size=64).score_pairs([r.premise for r in rows], [r.hypothesis for r in rows])
    probs = np.asarray([[p.entailment, p.neutral, p.contradiction] for p in pairs], dtype=np.float64)
    return np.log(np.clip(probs, 1e-12, 1.0)), 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--init", default=None, help="stage-1 checkpoint (default: ../shared/models/minilm-l6-general-nli)")
    parser.add_argument("--out", default="out/minilm-groundedness")
    parser.add_argument("--shared", default=None, help="shared folder (default: $ENTAILKIT_SHARED or ../shared)")
    parser.add_argument("--replay", type=float, default=1.0, help="NLI pool pairs per grounding pair")
    parser.add_argument(
        "--inside-weight", type=int, default=2, help="copies of each swap_inside pair (the rarest, hardest kind)"
    )
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--max-steps", type=int, default=None, help="cap on optimizer steps (CPU time box)")
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=384)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="the dev benchmark's seed (split and claims)")
    parser.add_argument("--no-eval", action="store_true", help="train and calibrate only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    init = args.init or str(shared_dir(args.shared) / "models" / "minilm-l6-general-nli")
    started = time.perf_counter()

    grounding = groundedness_train_pairs(args.shared, seed=args.seed, three_way=True)
    train_rows, held = split_by_passage(grounding.examples, 0.1, args.seed)
    inside = [r for r in train_rows if r.source.endswith(":swap_inside")]
    train_rows += inside * (args.inside_weight - 1)
    pool = load_named("general", args.shared)
    replay = random.Random(args.seed).sample(pool, min(len(pool), round(args.replay * len(train_rows))))
    rows = train_rows + replay
    random.Random(args.seed).shuffle(rows)
    logging.info("grounding %d (+%d held out), replay %d: %s", len(train_rows), len(held), len(replay), count_labels(rows))
    config = TrainConfig(
        learning_rate=args.lr,
        epochs=args.epochs,
        max_steps=args.max_steps,
        warmup_ratio=0.06,
        batch_size=args.batch_size,
        max_length=args.max_length,
        eval_every=args.eval_every,
        patience=4,
        num_threads=args.threads,
    )
    result = train_cross_encoder(
        init,
        rows,
        out_dir=args.out,
        dev=held,
        config=config,
        show_progress=True,
        data_description=(
            f"{len(train_rows):,} document-level grounding pairs (groundedness_train_pairs, 3-way, seed "
            f"{args.seed}; MS MARCO training-half queries and BoolQ train_heldout) plus {len(replay):,} pairs "
            f"of the general NLI pool, from {Path(init).name}; {len(held):,} pairs of held-out passages are "
            "the early-stopping dev set and the calibration set."
        ),
    )
    train_wall = time.perf_counter() - started
    logits, entailment = log_probabilities(args.out, held)
    gold = [int(r.label == "entailment") for r in held]
    calibration = fit_head_calibration(logits, gold, entailment)
    fold_head_calibration(args.out, calibration)
    before = supported_probability(logits, entailment)
    after = supported_probability(logits, entailment, calibration)
    figures: dict[str, object] = {
        "init": init,
        "train_wall_s": round(train_wall, 1),
        "steps": result.steps,
        "best_step": result.best_step,
        "best_dev": result.best_dev,
        "n_grounding": len(train_rows),
        "n_replay": len(replay),
        "n_calibration": len(held),
        "calibration": {"temperature": calibration.temperature, "entailment_shift": calibration.entailment_shift},
        "calibration_set_mean_p": {"before": float(before.mean()), "after": float(after.mean()), "gold": sum(gold) / len(gold)},
        "recipe": json.loads(config.model_dump_json()),
    }
    logging.info("calibration %s", figures["calibration"])
    if not args.no_eval:
        checker = GroundednessChecker(load_scorer(args.out, batch_size=64), show_progress=True)
        t0 = time.perf_counter()
        dev = groundedness_dev_set(args.shared, seed=args.seed, per_kind=300)
        metrics = evaluate_groundedness(checker, dev.examples)
        record_evaluation(args.out, "groundedness:dev", metrics)
        figures["groundedness:dev"] = {**metrics, "eval_wall_s": round(time.perf_counter() - t0, 1)}
        logging.info("groundedness:dev %s", figures["groundedness:dev"])
        scorer = load_scorer(args.out, batch_size=128, max_length=256)
        for name in NLI_EVALS:
            t0 = time.perf_counter()
            metrics = evaluate_nli(scorer, load_named(name, args.shared))
            record_evaluation(args.out, name, metrics)
            figures[name] = {**metrics, "eval_wall_s": round(time.perf_counter() - t0, 1)}
            logging.info("%s: %s", name, figures[name])
    figures["total_wall_s"] = round(time.perf_counter() - started, 1)
    Path(args.out, "figures.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
