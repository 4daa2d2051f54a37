"""Few-shot AG News: 8 examples per label -> NLI pairs -> fine-tune a cross-encoder (or, with
``--route gliclass``, fine-tune a GLiClass uni-encoder on the texts with all labels).

    python scripts/train_few_shot_agnews.py --base out/minilm-general-nli --out out/agnews-8shot

1,000 evaluation rows are drawn (seed 0) from ../shared/data/ag_news/test.csv; the few-shot examples come
from the other 6,600 rows. Reports macro-F1 zero-shot (the base checker) and after few-shot training.

``--select N`` picks epochs and learning rate (from the route's grid) on N validation rows drawn from the pool
(disjoint from the shots and from the 1,000 evaluation rows), then trains the chosen recipe and reports
it on the evaluation rows: the evaluation rows never choose anything.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from entailkit import load_scorer
from entailkit.train._common import TrainResult
from entailkit.train.card import record_evaluation
from entailkit.train.cross_encoder import train_cross_encoder
from entailkit.train.data import (
    ClassificationExample,
    NLIExample,
    classification_to_nli,
    few_shot,
    holdout_split,
)
from entailkit.train.datasets import load_ag_news, shared_dir
from entailkit.train.evaluate import evaluate_classification
from entailkit.train.recipe import TrainConfig

VERBALIZED = {
    "World": "world politics",
    "Sports": "sports",
    "Business": "business",
    "Sci/Tech": "science and technology",
}
TEMPLATE = "This text is about {}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--base",
        required=True,
        help="an NLI cross-encoder (e.g. the general checker); gliclass route: a GLiClass or a plain encoder",
    )
    parser.add_argument("--out", default="out/agnews-8shot")
    parser.add_argument("--shared", default=None)
    parser.add_argument("--shots", type=int, default=8)
    parser.add_argument("--epochs", type=float, default=4.0)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-zero-shot", action="store_true")
    parser.add_argument(
        "--route",
        choices=["nli", "gliclass"],
        default="nli",
        help="nli: cross-encoder on entailment pairs; gliclass: GLiClass uni-encoder on --base",
    )
    parser.add_argument(
        "--label-sentences",
        action="store_true",
        help="gliclass route: show each label as its hypothesis sentence (TEMPLATE), the form NLI pretraining saw",
    )
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--select", type=int, default=0, help="validation rows from the pool for a recipe search")
    parser.add_argument(
        "--grid",
        default=None,
        help="with --select: the (epochs, lr) pairs to search, e.g. '16:1e-4,32:1e-4' (default: the route's GRID)",
    )
    args = parser.parse_args()
    if args.label_sentences and args.route != "gliclass":
        parser.error("--label-sentences is for --route gliclass (the NLI route applies the template itself)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    rows, names = load_ag_news(shared_dir(args.shared) / "data" / "ag_news" / "test.csv")
    shown = {n: TEMPLATE.format(VERBALIZED[n]) if args.label_sentences else VERBALIZED[n] for n in names}
    rows = [ClassificationExample(r.text, (shown[r.labels[0]],)) for r in rows]
    labels = [shown[n] for n in names]
    eval_rows, pool = holdout_split(rows, 1000, seed=0)  # the same 1,000 rows whatever --seed says
    shots = few_shot(pool, args.shots, seed=args.seed)
    figures: dict[str, object] = {
        "shots_per_label": args.shots,
        "n_eval": len(eval_rows),
        "labels": labels,
        "template": TEMPLATE,
    }
    if not args.skip_zero_shot:
        t0 = time.perf_counter()
        figures["zero_shot"] = evaluate_classification(
            load_scorer(args.base, batch_size=64), eval_rows, labels, hypothesis_template=TEMPLATE
        )
        figures["zero_shot_wall_s"] = round(time.perf_counter() - t0, 1)
        logging.info("zero-shot: %s", figures["zero_shot"])
    pairs = classification_to_nli(shots, labels, template=TEMPLATE, seed=args.seed)
    if args.select:
        shot_texts = {r.text for r in shots}
        validation, _ = holdout_split([r for r in pool if r.text not in shot_texts], args.select, seed=1)
        args.epochs, args.lr = _select_recipe(args, shots, pairs, validation, labels, figures)
    t0 = time.perf_counter()
    result = _train(args, args.out, _recipe(args, args.epochs, args.lr), shots, pairs, labels, describe=True)
    figures.update(train_wall_s=round(time.perf_counter() - t0, 1), steps=result.steps, n_pairs=len(pairs))
    t0 = time.perf_counter()
    metrics = evaluate_classification(
        load_scorer(args.out, batch_size=64), eval_rows, labels, hypothesis_template=TEMPLATE
    )
    record_evaluation(args.out, f"ag_news {args.shots}-shot (1,000 held-out rows)", metrics)
    figures.update(few_shot=metrics, eval_wall_s=round(time.perf_counter() - t0, 1))
    Path(args.out, "figures.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(json.dumps(figures, indent=2))


def _recipe(args: argparse.Namespace, epochs: float, lr: float) -> TrainConfig:
    """The few-shot recipe: no dev split (every shot trains), fixed seed, warm-up 10%."""
    return TrainConfig(
        learning_rate=lr,
        epochs=epochs,
        batch_size=args.batch_size,
        warmup_ratio=0.1,
        max_length=128,
        patience=0,
        num_threads=args.threads,
        seed=args.seed,
    )


def _train(
    args: argparse.Namespace,
    out: str | Path,
    config: TrainConfig,
    shots: list[ClassificationExample],
    pairs: list[NLIExample],
    labels: list[str],
    describe: bool = False,
) -> TrainResult:
    """Fine-tune --base on the shots by --route; every shot trains (no dev split)."""
    source = f"AG News, {args.shots} examples per label ({len(shots)} texts) from rows disjoint from the 1,000 evaluation rows"
    if args.route == "gliclass":
        from entailkit.train.gliclass import train_gliclass

        return train_gliclass(
            args.base,
            shots,
            labels,
            dev=[],
            out_dir=out,
            config=config,
            show_progress=describe,
            data_description=f"{source}; GLiClass uni-encoder, all {len(labels)} labels per text.",
        )
    return train_cross_encoder(
        args.base,
        pairs,
        dev=[],
        out_dir=out,
        task="nli",
        config=config,
        show_progress=describe,
        data_description=f"{source}, as {len(pairs)} NLI pairs with template {TEMPLATE!r}.",
    )


GRID = {
    "nli": ((4.0, 2e-5), (8.0, 2e-5), (4.0, 5e-5), (8.0, 5e-5)),
    "gliclass": ((8.0, 5e-5), (16.0, 5e-5), (8.0, 1e-4), (16.0, 1e-4)),  # a new GLiClass scorer head
}


def _select_recipe(
    args: argparse.Namespace,
    shots: list[ClassificationExample],
    pairs: list[NLIExample],
    validation: list[ClassificationExample],
    labels: list[str],
    figures: dict[str, object],
) -> tuple[float, float]:
    """(epochs, lr) with the best validation macro-F1 over the route's GRID; each is trained from --base."""
    grid = GRID[args.route]
    if args.grid:
        grid = tuple((float(e), float(lr)) for e, lr in (item.split(":") for item in args.grid.split(",")))
    scores: dict[str, float] = {}
    for epochs, lr in grid:
        out = Path(args.out) / "select" / f"e{epochs:g}-lr{lr:g}"
        _train(args, out, _recipe(args, epochs, lr), shots, pairs, labels)
        metrics = evaluate_classification(
            load_scorer(out, batch_size=64), validation, labels, hypothesis_template=TEMPLATE
        )
        scores[f"epochs {epochs:g}, lr {lr:g}"] = metrics["macro_f1"]
        logging.info("select: epochs %g lr %g -> validation macro-F1 %.4f", epochs, lr, metrics["macro_f1"])
    best = max(grid, key=lambda r: scores[f"epochs {r[0]:g}, lr {r[1]:g}"])
    figures.update(selection={"validation_rows": len(validation), "macro_f1": scores, "chosen": list(best)})
    return best


if __name__ == "__main__":
    main()
