"""Fine-tune a GLiClass uni-encoder (text and all labels in one pass) on classification examples."""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from entailkit import metrics
from entailkit._optional import require
from entailkit.errors import InvalidInputError, ModelLoadError
from entailkit.train import _common as common
from entailkit.train import loop as train_loop
from entailkit.train.card import RESULT_FILE, write_model_card
from entailkit.train.data import ClassificationExample, split_dev
from entailkit.train.recipe import TrainConfig

__all__ = ["GLICLASS_TOKENS", "build_gliclass", "train_gliclass"]

logger = logging.getLogger(__name__)
GLICLASS_TOKENS = ["<<LABEL>>", "<<SEP>>", "<<EXAMPLE>>"]


def build_gliclass(encoder: str | Path, **options: Any) -> tuple[Any, Any]:
    """A new uni-encoder GLiClass on a plain encoder (e.g. all-MiniLM-L6-v2): (model, tokenizer).

    The tokenizer gets the ``<<LABEL>>``, ``<<SEP>>`` and ``<<EXAMPLE>>`` tokens; the encoder's weights are
    copied in and the GLiClass head is new (untrained).

    Args:
        encoder: A local encoder directory or a hub id.
        **options: Fields of ``gliclass.GLiClassModelConfig`` (e.g. ``pooling_strategy``).

    Returns:
        ``(model, tokenizer)``.

    Raises:
        MissingDependencyError: The ``gliclass`` extra is not installed.
        ModelLoadError: The encoder cannot be loaded.
    """
    gliclass = require("gliclass", extra="gliclass")
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(encoder))
        encoder_config = AutoConfig.from_pretrained(str(encoder))
        backbone = AutoModel.from_pretrained(str(encoder), dtype="float32")
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot load encoder {encoder!s}: {exc}") from exc
    tokenizer.add_tokens(GLICLASS_TOKENS, special_tokens=True)
    ids: dict[str, Any] = {t: tokenizer.convert_tokens_to_ids(t) for t in GLICLASS_TOKENS}
    config = gliclass.GLiClassModelConfig(
        encoder_config=encoder_config.to_dict(),
        encoder_model=str(encoder),
        class_token_index=ids["<<LABEL>>"],
        text_token_index=ids["<<SEP>>"],
        example_token_index=ids["<<EXAMPLE>>"],
        vocab_size=len(tokenizer),
        **options,
    )
    model = gliclass.GLiClassModel(config)
    backbone.resize_token_embeddings(len(tokenizer))
    model.model.encoder_model.load_state_dict(backbone.state_dict())
    return model, tokenizer


def _load(base: str | Path, options: dict[str, Any], tokenizer_dir: Path | None = None) -> tuple[Any, Any]:
    """An existing GLiClass checkpoint, or a new one built on a plain encoder.

    ``tokenizer_dir`` overrides where the tokenizer comes from (a resumed run's ``checkpoint-last`` holds
    only weights; the tokenizer with the GLiClass tokens was written to the output folder at the start).
    """
    config_path = Path(base) / "config.json"
    if config_path.is_file() and json.loads(config_path.read_text(encoding="utf-8")).get("model_type") == "GLiClass":
        gliclass = require("gliclass", extra="gliclass")
        from transformers import AutoTokenizer

        model = gliclass.GLiClassModel.from_pretrained(str(base), dtype="float32")
        return model, AutoTokenizer.from_pretrained(str(tokenizer_dir or base))
    return build_gliclass(base, **options)


def _dataset(
    rows: Sequence[ClassificationExample],
    names: Sequence[str],
    tokenizer: Any,
    model: Any,
    cfg: TrainConfig,
    shuffle: bool,
) -> tuple[Any, list[dict[str, Any]]]:
    """gliclass's own dataset over ``rows`` (every text with its candidate labels, shuffled per item when
    training) and the example dicts it reads, which its shuffle reorders in place (see ``_item``)."""
    gliclass_data = require("gliclass.data_processing", extra="gliclass", package="gliclass")
    examples = [{"text": r.text, "all_labels": _shown(r, names), "true_labels": list(r.labels)} for r in rows]
    dataset = gliclass_data.GLiClassDataset(
        examples,
        tokenizer,
        gliclass_data.AugmentationConfig(enabled=False),
        max_length=cfg.max_length,
        problem_type="multi_label_classification",
        architecture_type="uni-encoder",
        prompt_first=bool(getattr(model.config, "prompt_first", False)),
        shuffle_labels=shuffle,
    )
    return dataset, examples


def _shown(row: ClassificationExample, names: Sequence[str]) -> list[str]:
    """The labels shown with one text: its own candidates, else all the run's label names."""
    return list(row.candidates if row.candidates is not None else names)


def _check_labels(rows: Sequence[ClassificationExample], names: Sequence[str]) -> None:
    """Raise InvalidInputError unless every text has labels to be shown and its true labels are among them."""
    for i, row in enumerate(rows):
        shown = _shown(row, names)
        if not shown:
            raise InvalidInputError(f"example {i} has no candidate labels and no label_names were given")
        unknown = sorted(set(row.labels) - set(shown))
        if unknown:
            where = "its candidates" if row.candidates is not None else "label_names"
            raise InvalidInputError(f"example {i} has true labels that are not in {where}: {unknown}")


def _item(dataset: Any, examples: list[dict[str, Any]], shown: Sequence[list[str]], index: int) -> Any:
    """Item ``index`` with its labels shuffled from the given order, so the order depends on the RNG alone.

    gliclass shuffles an example's label list in place, so without the reset the order would depend on
    every earlier epoch and a resumed run could not repeat the uninterrupted one.
    """
    examples[index]["all_labels"] = list(shown[index])
    return dataset[index]


def _dev_score(
    model: Any,
    dev: Any,
    collate: Any,
    device: str,
    bf16: bool,
    cfg: TrainConfig,
    multi_label: bool,
) -> tuple[str, float]:
    """Dev accuracy (single-label: top label is the true one) or micro-F1 at 0.5 (multi-label)."""
    import torch

    hits = 0
    slots_true: list[Any] = []  # micro-F1: every valid (text, label) slot is one binary decision
    slots_pred: list[Any] = []
    model.eval()
    with torch.inference_mode(), common.autocast(device, bf16):
        for start in range(0, len(dev), cfg.eval_batch_size):
            batch = _inputs(collate([dev[i] for i in range(start, min(start + cfg.eval_batch_size, len(dev)))]), device)
            targets = batch.pop("labels").float()
            output = model(**batch)
            logits = output.logits.float()[:, : targets.shape[1]]
            # texts with fewer candidates than the batch's longest list have padded label slots
            valid = _valid_slots(output, logits)
            if multi_label:
                predicted = (torch.sigmoid(logits) > 0.5) & valid
                truth = (targets > 0.5) & valid
                slots_true.extend(truth[valid].cpu().tolist())
                slots_pred.extend(predicted[valid].cpu().tolist())
            else:
                best = logits.masked_fill(~valid, float("-inf")).argmax(dim=1, keepdim=True)
                hits += int((targets.gather(1, best) > 0.5).sum())
    model.train()
    if multi_label:
        return "micro_f1", metrics.f1(slots_true, slots_pred, pos_label=True)
    return "accuracy", hits / max(len(dev), 1)


def _valid_slots(output: Any, logits: Any) -> Any:
    """Boolean mask of the label slots that hold a real candidate (gliclass's class mask, if it gives one)."""
    mask = getattr(output, "class_mask", None)
    if mask is None:
        return logits.new_ones(logits.shape, dtype=bool)
    return mask[:, : logits.shape[1]].bool()


def _data_counts(rows: Sequence[ClassificationExample], names: Sequence[str]) -> dict[str, int]:
    """Texts per label of the run, and how many texts brought their own candidate labels (model card)."""
    counts = {f"label {n}": sum(n in r.labels for r in rows) for n in names}
    own = sum(r.candidates is not None for r in rows)
    if own:
        counts["texts with their own candidate labels"] = own
    return counts


def _inputs(batch: dict[str, Any], device: str) -> dict[str, Any]:
    """The model inputs of a collated batch, on the device."""
    inputs = {k: v for k, v in batch.items() if k not in ("labels_text", "input_texts")}
    return {k: v.to(device) if hasattr(v, "to") else v for k, v in inputs.items()}


def train_gliclass(
    base: str | Path,
    data: Sequence[ClassificationExample],
    label_names: Sequence[str] | None = None,
    *,
    out_dir: str | Path,
    dev: Sequence[ClassificationExample] | None = None,
    config: TrainConfig | None = None,
    multi_label: bool = False,
    resume: bool = True,
    keep_checkpoint: bool = False,
    show_progress: bool = False,
    data_description: str | None = None,
    **model_options: Any,
) -> common.TrainResult:
    """Fine-tune (or build and fine-tune) a GLiClass uni-encoder; the output loads with ``load_scorer``.

    Every example is shown with all ``label_names``, or with its own ``candidates`` when it has them
    (shuffled each time, as gliclass's own recipe does);
    the loss is gliclass's (focal BCE over labels). Without ``dev`` a seeded 5% split of ``data`` drives
    early stopping (``dev=[]``: none, the last weights are kept); the best dev weights end up in
    ``out_dir`` and ``checkpoint-last`` lets an interrupted run resume where it stopped.

    Args:
        base: A GLiClass checkpoint to train further, or a plain encoder (local directory or hub id) to
            build a new GLiClass on (``build_gliclass``).
        data: The training examples: a text, its true labels and optionally its own candidate labels.
        label_names: The labels shown with every example that has no ``candidates`` of its own.
        out_dir: Where the trained model, its tokenizer, ``train_result.json`` and a model card are written
            (created if needed).
        dev: Examples that drive early stopping and pick the best weights (None: a seeded 5% of ``data``, at
            most 2000; ``[]``: none).
        config: The recipe (None: ``TrainConfig()``).
        multi_label: Score dev by micro-F1 at 0.5 (several labels per text) instead of top-label accuracy;
            the loss is the same either way.
        resume: Continue from ``out_dir``'s ``checkpoint-last`` when it was written by the same data, base,
            labels and recipe.
        keep_checkpoint: Keep ``checkpoint-last`` after a finished run (it is removed by default).
        show_progress: Show a progress bar.
        data_description: A line on the data for the model card and ``train_result.json``.
        **model_options: Fields of ``gliclass.GLiClassModelConfig`` for a new model built on a plain
            encoder (not used when ``base`` is a GLiClass checkpoint).

    Returns:
        Where the model is, its labels, steps, the best dev score and history, and the recipe.

    Raises:
        InvalidInputError: No examples, an example with no labels to show or with true labels not among
            them, or a CUDA device asked for where there is none.
        MissingDependencyError: The ``gliclass`` extra is not installed.
        ModelLoadError: A plain encoder given as ``base`` cannot be loaded.
    """
    gliclass_data = require("gliclass.data_processing", extra="gliclass", package="gliclass")
    rows = list(data)
    if not rows:
        raise InvalidInputError("no training examples were given")
    names = list(label_names or [])
    dev_rows = list(dev) if dev is not None else None
    _check_labels([*rows, *(dev_rows or [])], names)
    cfg = config or TrainConfig()
    if dev_rows is None:
        rows, dev_rows = split_dev(rows, seed=cfg.seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    common.seed_everything(cfg.seed)
    device, bf16 = common.resolve_device(cfg)
    run_id = common.fingerprint(rows, cfg, f"{base}|gliclass|{names}|{multi_label}|{sorted(model_options.items())}")
    state = common.load_checkpoint_state(out, run_id) if resume else None
    if state:
        model, tokenizer = _load(out / common.CHECKPOINT_DIR, model_options, tokenizer_dir=out)
    else:
        model, tokenizer = _load(base, model_options)
        tokenizer.save_pretrained(out)
    model.config.problem_type = "multi_label_classification"  # gliclass's recipe: focal BCE per label
    model.to(device).train()
    train_set, train_examples = _dataset(rows, names, tokenizer, model, cfg, shuffle=True)
    shown = [_shown(r, names) for r in rows]
    dev_set, _ = _dataset(dev_rows, names, tokenizer, model, cfg, shuffle=False)
    collate = gliclass_data.DataCollatorWithPadding(device=device, config=model.config)
    lengths = [len(r.text) for r in rows]
    run = train_loop.start(model, cfg, lengths, out, state, run_id)
    loop, resumed_from, steps_per_epoch = run.state, run.resumed_from, run.steps_per_epoch

    def batch_loss(idx: Sequence[int]) -> Any:
        inputs = _inputs(collate([_item(train_set, train_examples, shown, i) for i in idx]), device)
        with common.autocast(device, bf16):
            return model(**inputs).loss

    def dev_score() -> tuple[str, float] | None:
        if not dev_rows:
            return None
        return _dev_score(model, dev_set, collate, device, bf16, cfg, multi_label)

    def save_best() -> None:
        model.save_pretrained(out, safe_serialization=True)

    train_loop.run_loop(
        model=model,
        optimizer=run.optimizer,
        scheduler=run.scheduler,
        config=cfg,
        lengths=lengths,
        n_steps=run.n_steps,
        state=loop,
        hooks=train_loop.LoopHooks(batch_loss=batch_loss, dev_score=dev_score, save_best=save_best),
        out_dir=out,
        description="train gliclass",
        show_progress=show_progress,
    )
    model.eval()
    result = common.TrainResult(
        out_dir=str(out),
        task="classification",
        head="gliclass",
        id2label=dict(enumerate(names)),
        steps=int(loop["step"]),
        epochs=loop["step"] / steps_per_epoch,
        best_step=int(loop["best_step"]),
        dev_metric=loop.get("metric") or "none",
        best_dev=loop["best"],
        history=loop["history"],
        wall_s=time.perf_counter() - started,
        stopped_early=bool(loop["stopped_early"]),
        resumed_from_step=resumed_from,
        n_train=len(rows),
        n_dev=len(dev_rows),
        data_counts=_data_counts(rows, names),
        config=cfg,
    )
    payload = json.loads(result.model_dump_json())
    payload.update(
        base=str(base),
        device=device,
        precision="bf16" if bf16 else "fp32",
        data_description=data_description,
        multi_label=multi_label,
    )
    (out / RESULT_FILE).write_text(json.dumps(payload, indent=2), encoding="utf-8")
    write_model_card(out)
    if not keep_checkpoint:
        shutil.rmtree(out / common.CHECKPOINT_DIR, ignore_errors=True)
    return result
