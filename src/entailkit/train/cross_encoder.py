"""Fine-tune a cross-encoder for NLI (2- or 3-way head) or relevance (1 logit) with the default recipe."""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from entailkit.errors import InvalidInputError, ModelLoadError
from entailkit.metrics import mean_ndcg
from entailkit.train import _common as common
from entailkit.train import loop as train_loop
from entailkit.train.card import RESULT_FILE, write_model_card
from entailkit.train.data import NLI2, NLI3, NLIExample, RelevanceExample, count_labels, split_dev
from entailkit.train.fusion import fit_fusion
from entailkit.train.recipe import TrainConfig
from entailkit.types import FIRST_STAGE_CONFIG_KEY, FirstStageFusion

__all__ = ["Example", "Head", "Task", "predict_logits", "train_cross_encoder"]

logger = logging.getLogger(__name__)
Task = Literal["nli", "relevance"]
Head = Literal["nli3", "nli2", "relevance"]
Example = NLIExample | RelevanceExample


def _pick_head(base_config: Any, task: Task, rows: Sequence[Example], head: Head | None) -> tuple[Head, dict[int, str]]:
    """The head to train and its id2label: keep a base's own NLI head (and label order) when it matches."""
    if task == "relevance":
        return "relevance", {0: "relevance"}
    existing = {int(k): str(v).lower() for k, v in (getattr(base_config, "id2label", None) or {}).items()}
    trained = any("ForSequenceClassification" in a for a in (getattr(base_config, "architectures", None) or []))
    for name, roles in (("nli3", NLI3), ("nli2", NLI2)):
        if trained and sorted(existing.values()) == sorted(roles) and head in (None, name):
            return name, existing  # type: ignore[return-value]
    if head is None:
        head = "nli3" if any(r.label in ("neutral", "contradiction") for r in rows) else "nli2"
    roles = NLI3 if head == "nli3" else NLI2
    return head, dict(enumerate(roles))


def _target_masks(labels: Sequence[str], id2label: dict[int, str]) -> np.ndarray:
    """(n, k) masks of the classes each label allows: not_entailment on a 3-way head = neutral or contradiction."""
    index = {v: k for k, v in id2label.items()}
    masks = np.zeros((len(labels), len(id2label)), dtype=np.float32)
    for row, label in enumerate(labels):
        if label in index:
            masks[row, index[label]] = 1.0
        elif label == "not_entailment":
            masks[row, [i for v, i in index.items() if v != "entailment"]] = 1.0
        elif label in ("neutral", "contradiction") and "not_entailment" in index:
            masks[row, index["not_entailment"]] = 1.0
        else:
            raise InvalidInputError(f"label {label!r} cannot be trained on a head with labels {sorted(index)}")
    return masks


class _Encoded:
    """Tokenised pairs with their targets, kept as python lists for cheap batching."""

    def __init__(self, tokenizer: Any, rows: Sequence[Example], task: Task, id2label: dict[int, str], max_length: int):
        if task == "relevance":
            rel = [r for r in rows if isinstance(r, RelevanceExample)]
            if len(rel) != len(rows):
                raise InvalidInputError("task='relevance' needs RelevanceExample rows (query, passage, label)")
            first, second = [r.query for r in rel], [r.passage for r in rel]
            self.targets = np.asarray([[float(r.label)] for r in rel], dtype=np.float32)
            self.groups = first
            self.first_stage = _first_stage_scores(rel)
        else:
            nli = [r for r in rows if isinstance(r, NLIExample)]
            if len(nli) != len(rows):
                raise InvalidInputError("task='nli' needs NLIExample rows (premise, hypothesis, label)")
            first, second = [r.premise for r in nli], [r.hypothesis for r in nli]
            self.targets = _target_masks([r.label for r in nli], id2label)
            self.groups = []
            self.first_stage = None
        self.offsets: np.ndarray | None = None
        enc = tokenizer(first, second, truncation=True, max_length=max_length) if rows else {"input_ids": []}
        keys = [k for k in ("input_ids", "token_type_ids", "attention_mask") if k in enc]
        self.features = [{k: enc[k][i] for k in keys} for i in range(len(rows))]
        self.lengths = [len(ids) for ids in enc["input_ids"]]
        self.tokenizer = tokenizer

    def fuse(self, fusion: FirstStageFusion) -> None:
        """Add ``scale * first_stage + bias`` to every logit from now on (training on top of a retriever)."""
        if self.first_stage is None:
            raise InvalidInputError("these relevance rows have no first_stage scores to fuse")
        self.offsets = (fusion.scale * self.first_stage + fusion.bias).astype(np.float32)

    def batch(self, idx: Sequence[int], device: str) -> tuple[dict[str, Any], Any]:
        import torch

        padded = self.tokenizer.pad([self.features[i] for i in idx], return_tensors="pt")
        inputs = {k: v.to(device) for k, v in padded.items()}
        return inputs, torch.from_numpy(self.targets[list(idx)]).to(device)

    def offset(self, idx: Sequence[int], device: str) -> Any:
        """The fused retriever term of these rows as a tensor, or 0.0 when not training on a retriever."""
        import torch

        return 0.0 if self.offsets is None else torch.from_numpy(self.offsets[list(idx)]).to(device)


def _first_stage_scores(rows: Sequence[RelevanceExample]) -> np.ndarray | None:
    """(n, 1) retriever scores when every row has one, None when none has; a mix is refused."""
    given = [r.first_stage for r in rows if r.first_stage is not None]
    if not given:
        return None
    if len(given) != len(rows):
        raise InvalidInputError(
            f"{len(given)} of {len(rows)} relevance rows have a first_stage score: give one for every row or none"
        )
    scores = np.asarray(given, dtype=np.float32).reshape(-1, 1)
    if not np.isfinite(scores).all():
        raise InvalidInputError("first_stage scores must be finite numbers")
    return scores


def _loss(logits: Any, targets: Any, task: Task) -> Any:
    """Cross-entropy over the allowed classes (NLI) or BCE with logits (relevance)."""
    import torch

    logits = logits.float()
    if task == "relevance":
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, targets)
    logp = torch.log_softmax(logits, dim=-1)
    allowed = torch.logsumexp(logp.masked_fill(targets <= 0, float("-inf")), dim=-1)
    return -allowed.mean()


def predict_logits(model: Any, data: _Encoded, device: str, bf16: bool, batch_size: int) -> np.ndarray:
    """Logits for every encoded pair, in input order (length-sorted batches).

    Args:
        model: The sequence-classification model (put back in train mode afterwards).
        data: The encoded pairs.
        device: The device the model is on.
        bf16: Run under bf16 autocast.
        batch_size: Pairs per forward pass.

    Returns:
        A float32 ``(len(data), num_labels)`` array.
    """
    import torch

    order = sorted(range(len(data.lengths)), key=lambda i: data.lengths[i])
    out = np.zeros((len(order), model.config.num_labels), dtype=np.float32)
    model.eval()
    with torch.inference_mode(), common.autocast(device, bf16):
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            inputs, _ = data.batch(idx, device)
            out[idx] = model(**inputs).logits.float().cpu().numpy()
    model.train()
    return out


def _dev_score(logits: np.ndarray, data: _Encoded, task: Task) -> tuple[str, float]:
    """(metric name, value): accuracy over allowed classes for NLI, mean nDCG@10 per query for relevance."""
    if task == "nli":
        return "accuracy", float(data.targets[np.arange(len(logits)), logits.argmax(axis=1)].mean())
    run: dict[str, list[str]] = {}
    qrels: dict[str, dict[str, float]] = {}
    for i, query in enumerate(data.groups):
        run.setdefault(query, []).append(str(i))
        qrels.setdefault(query, {})[str(i)] = float(data.targets[i, 0])
    fused = logits[:, 0] + (data.offsets[:, 0] if data.offsets is not None else 0.0)
    for ids in run.values():
        ids.sort(key=lambda d: -fused[int(d)])
    return "ndcg@10", mean_ndcg(run, qrels)


def train_cross_encoder(
    base: str | Path,
    data: Sequence[Example],
    *,
    out_dir: str | Path,
    task: Task = "nli",
    dev: Sequence[Example] | None = None,
    config: TrainConfig | None = None,
    head: Head | None = None,
    resume: bool = True,
    keep_checkpoint: bool = False,
    show_progress: bool = False,
    data_description: str | None = None,
) -> common.TrainResult:
    """Fine-tune ``base`` on ``data`` and write a folder that ``load_scorer`` loads directly.

    NLI rows may mix 3-way and 2-way labels: on a 3-way head ``not_entailment`` trains the summed
    neutral + contradiction probability. Without ``dev`` a seeded 5% split of ``data`` drives early
    stopping. The best dev checkpoint is what ends up in ``out_dir``; ``checkpoint-last`` lets an
    interrupted run resume where it stopped.

    Args:
        base: The model to start from: a local directory or a hub id (an encoder, or a cross-encoder to
            train further).
        data: The training rows: ``NLIExample`` for ``task="nli"``, ``RelevanceExample`` for
            ``task="relevance"`` (with ``first_stage`` scores on every row or none: with them the model is
            trained on top of that retriever and saves its ``FirstStageFusion``).
        out_dir: Where the trained model, its tokenizer, ``train_result.json`` and a model card are written
            (created if needed).
        task: ``"nli"`` (a 2- or 3-way head, cross-entropy) or ``"relevance"`` (1 logit, BCE; dev metric
            nDCG@10 per query).
        dev: Rows that drive early stopping and pick the best checkpoint (None: a seeded 5% of ``data``, at
            most 2000 rows).
        config: The recipe (None: ``TrainConfig()``).
        head: For NLI, ``"nli3"`` or ``"nli2"``; None keeps a base's own matching NLI head (and its label
            order), else 3-way when any row is neutral or contradiction, else 2-way.
        resume: Continue from ``out_dir``'s ``checkpoint-last`` when it was written by the same data, base
            and recipe (a checkpoint of another run is ignored, logged).
        keep_checkpoint: Keep ``checkpoint-last`` after a finished run (it is removed by default).
        show_progress: Show a progress bar.
        data_description: A line on the data for the model card and ``train_result.json``.

    Returns:
        Where the model is, its head and labels, steps, the best dev score and history, and the recipe.

    Raises:
        InvalidInputError: An unknown task, no rows, rows of the wrong type for the task, a label the head
            cannot train, first-stage scores on some rows only (or on train but not dev), or a CUDA device
            asked for where there is none.
        ModelLoadError: ``base`` cannot be loaded.
    """
    import torch
    from transformers import (
        AutoConfig,
        AutoModelForSequenceClassification,
        AutoTokenizer,
    )

    if task not in ("nli", "relevance"):
        raise InvalidInputError(f"task must be 'nli' or 'relevance', got {task!r}")
    cfg = config or TrainConfig()
    rows = list(data)
    if not rows:
        raise InvalidInputError("no training examples were given")
    dev_rows = list(dev) if dev is not None else None
    if dev_rows is None:
        rows, dev_rows = split_dev(rows, seed=cfg.seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    common.seed_everything(cfg.seed)
    device, bf16 = common.resolve_device(cfg)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(base))
        base_config = AutoConfig.from_pretrained(str(base))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot load base model {base!s}: {exc}") from exc
    head_kind, id2label = _pick_head(base_config, task, rows, head)
    train_set = _Encoded(tokenizer, rows, task, id2label, cfg.max_length)
    dev_set = _Encoded(tokenizer, dev_rows, task, id2label, cfg.max_length)
    fusion = _fit_fusion(train_set, dev_set)
    run_id = common.fingerprint(rows, cfg, f"{base}|{task}|{head_kind}")
    state = common.load_checkpoint_state(out, run_id) if resume else None
    source = str(out / common.CHECKPOINT_DIR) if state else str(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        source,
        num_labels=len(id2label),
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
        ignore_mismatched_sizes=True,
        dtype=torch.float32,  # master weights in fp32 whatever the checkpoint stores (fp16 would diverge)
    ).to(device)
    model.train()
    run = train_loop.start(model, cfg, train_set.lengths, out, state, run_id)
    loop, resumed_from, steps_per_epoch = run.state, run.resumed_from, run.steps_per_epoch

    def batch_loss(idx: Sequence[int]) -> Any:
        inputs, targets = train_set.batch(idx, device)
        with common.autocast(device, bf16):
            logits = model(**inputs).logits
        return _loss(logits.float() + train_set.offset(idx, device), targets, task)

    def dev_score() -> tuple[str, float] | None:
        if not dev_set.lengths:
            return None
        return _dev_score(predict_logits(model, dev_set, device, bf16, cfg.eval_batch_size), dev_set, task)

    def save_best() -> None:
        if fusion is not None:
            setattr(model.config, FIRST_STAGE_CONFIG_KEY, fusion.model_dump())
        elif hasattr(model.config, FIRST_STAGE_CONFIG_KEY):  # a fused base trained further without scores
            delattr(model.config, FIRST_STAGE_CONFIG_KEY)
        model.save_pretrained(out, safe_serialization=True)
        tokenizer.save_pretrained(out)

    losses = train_loop.run_loop(
        model=model,
        optimizer=run.optimizer,
        scheduler=run.scheduler,
        config=cfg,
        lengths=train_set.lengths,
        n_steps=run.n_steps,
        state=loop,
        hooks=train_loop.LoopHooks(batch_loss=batch_loss, dev_score=dev_score, save_best=save_best),
        out_dir=out,
        description=f"train {task}",
        show_progress=show_progress,
    )
    result = common.TrainResult(
        out_dir=str(out),
        task=task,
        head=head_kind,
        id2label=id2label,
        steps=int(loop["step"]),
        epochs=loop["step"] / steps_per_epoch,
        best_step=int(loop["best_step"]),
        dev_metric=loop.get("metric") or ("accuracy" if task == "nli" else "ndcg@10"),
        best_dev=loop["best"],
        history=loop["history"],
        wall_s=time.perf_counter() - started,
        stopped_early=bool(loop["stopped_early"]),
        resumed_from_step=resumed_from,
        n_train=len(rows),
        n_dev=len(dev_rows),
        data_counts=_counts(rows),
        config=cfg,
    )
    payload = json.loads(result.model_dump_json())
    payload.update(
        base=str(base),
        device=device,
        precision="bf16" if bf16 else "fp32",
        data_description=data_description,
        first_stage_fusion=fusion.model_dump() if fusion is not None else None,
        train_loss_last50=float(np.mean(losses[-50:])) if losses else None,
    )
    (out / RESULT_FILE).write_text(json.dumps(payload, indent=2), encoding="utf-8")
    write_model_card(out)
    if not keep_checkpoint:
        shutil.rmtree(out / common.CHECKPOINT_DIR, ignore_errors=True)
    return result


def _fit_fusion(train_set: _Encoded, dev_set: _Encoded) -> FirstStageFusion | None:
    """When the relevance rows carry retriever scores: fit the fusion on the training rows, apply it to both."""
    if train_set.first_stage is None:
        if dev_set.first_stage is not None:
            raise InvalidInputError("the dev rows have first_stage scores but the training rows do not")
        return None
    if dev_set.lengths and dev_set.first_stage is None:
        raise InvalidInputError("the training rows have first_stage scores, so the dev rows need them too")
    fusion = fit_fusion(train_set.first_stage, train_set.targets)
    logger.info("training on top of the first-stage scores: logit + %.3f * score + %.3f", fusion.scale, fusion.bias)
    train_set.fuse(fusion)
    if dev_set.lengths:
        dev_set.fuse(fusion)
    return fusion


def _counts(rows: Sequence[Example]) -> dict[str, int]:
    """Counts by source and label for the model card."""
    nli = [r for r in rows if isinstance(r, NLIExample)]
    counts = {f"label {k}": v for k, v in count_labels(nli).items()}
    for row in rows:
        key = f"source {row.source or 'unnamed'}"
        counts[key] = counts.get(key, 0) + 1
    return counts
