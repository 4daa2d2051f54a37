"""Fine-tune a GLiClass uni-encoder (text and all labels in one pass) on classification examples."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from entailkit._optional import require
from entailkit.errors import InvalidInputError, ModelLoadError
from entailkit.train import _common as common
from entailkit.train.card import RESULT_FILE, write_model_card
from entailkit.train.data import ClassificationExample
from entailkit.train.recipe import TrainConfig

logger = logging.getLogger(__name__)
GLICLASS_TOKENS = ["<<LABEL>>", "<<SEP>>", "<<EXAMPLE>>"]


def build_gliclass(encoder: str | Path, **options: Any) -> tuple[Any, Any]:
    """A new uni-encoder GLiClass on a plain encoder (e.g. all-MiniLM-L6-v2): (model, tokenizer)."""
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


def _load(base: str | Path, options: dict[str, Any]) -> tuple[Any, Any]:
    """An existing GLiClass checkpoint, or a new one built on a plain encoder."""
    config_path = Path(base) / "config.json"
    if config_path.is_file() and json.loads(config_path.read_text(encoding="utf-8")).get("model_type") == "GLiClass":
        gliclass = require("gliclass", extra="gliclass")
        from transformers import AutoTokenizer

        model = gliclass.GLiClassModel.from_pretrained(str(base), dtype="float32")
        return model, AutoTokenizer.from_pretrained(str(base))
    return build_gliclass(base, **options)


def train_gliclass(
    base: str | Path,
    data: Sequence[ClassificationExample],
    label_names: Sequence[str],
    *,
    out_dir: str | Path,
    config: TrainConfig | None = None,
    multi_label: bool = False,
    show_progress: bool = False,
    data_description: str | None = None,
    **model_options: Any,
) -> common.TrainResult:
    """Fine-tune (or build and fine-tune) a GLiClass uni-encoder; the output loads with ``load_scorer``.

    Every example is shown with all ``label_names`` (shuffled each time, as gliclass's own recipe does);
    the loss is gliclass's (focal BCE over labels). No dev split: the last weights are saved.
    """
    import torch
    from transformers import get_linear_schedule_with_warmup

    gliclass_data = require("gliclass.data_processing", extra="gliclass", package="gliclass")
    rows = list(data)
    if not rows:
        raise InvalidInputError("no training examples were given")
    names = list(label_names)
    unknown = sorted({lab for r in rows for lab in r.labels} - set(names))
    if unknown:
        raise InvalidInputError(f"examples use labels that are not in label_names: {unknown}")
    cfg = config or TrainConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    common.seed_everything(cfg.seed)
    random.seed(cfg.seed)
    device, bf16 = common.resolve_device(cfg)
    model, tokenizer = _load(base, model_options)
    model.config.problem_type = "multi_label_classification"  # gliclass's recipe: focal BCE per label
    model.to(device).train()
    examples = [{"text": r.text, "all_labels": list(names), "true_labels": list(r.labels)} for r in rows]
    dataset = gliclass_data.GLiClassDataset(
        examples,
        tokenizer,
        gliclass_data.AugmentationConfig(enabled=False),
        max_length=cfg.max_length,
        problem_type="multi_label_classification",
        architecture_type="uni-encoder",
        prompt_first=bool(getattr(model.config, "prompt_first", False)),
    )
    collate = gliclass_data.DataCollatorWithPadding(device=device, config=model.config)
    lengths = [len(r.text) for r in rows]
    n_batches = len(common.bucket_batches(lengths, cfg.batch_size, cfg.bucket_size, cfg.seed))
    steps_per_epoch, n_steps = common.total_steps(n_batches, cfg)
    optimizer = common.make_optimizer(model, cfg)
    scheduler = get_linear_schedule_with_warmup(  # type: ignore[no-untyped-call]
        optimizer, round(cfg.warmup_ratio * n_steps), n_steps
    )
    step, epoch, losses = 0, 0, []
    with common.make_progress(show_progress) as progress:
        bar = progress.add_task("train gliclass", total=n_steps, info="")
        while step < n_steps:
            batches = common.bucket_batches(lengths, cfg.batch_size, cfg.bucket_size, cfg.seed + epoch)
            for start in range(0, len(batches), cfg.grad_accum):
                group = batches[start : start + cfg.grad_accum]
                for idx in group:
                    batch = collate([dataset[i] for i in idx])
                    inputs = {k: v for k, v in batch.items() if k not in ("labels_text", "input_texts")}
                    inputs = {k: v.to(device) if hasattr(v, "to") else v for k, v in inputs.items()}
                    with common.autocast(device, bf16):
                        loss = model(**inputs).loss / len(group)
                    loss.backward()
                    losses.append(float(loss.detach()) * len(group))
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                progress.update(bar, advance=1, info=f"loss {np.mean(losses[-20:]):.4f}")
                if step >= n_steps:
                    break
            epoch += 1
    model.eval()
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    history = [{"step": float(step), "train_loss": float(np.mean(losses[-20:]))}] if losses else []
    result = common.TrainResult(
        out_dir=str(out),
        task="classification",
        head="gliclass",
        id2label=dict(enumerate(names)),
        steps=step,
        epochs=step / steps_per_epoch,
        best_step=step,
        dev_metric="none",
        best_dev=None,
        history=history,
        wall_s=time.perf_counter() - started,
        stopped_early=False,
        n_train=len(rows),
        n_dev=0,
        data_counts={f"label {n}": sum(n in r.labels for r in rows) for n in names},
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
    return result
