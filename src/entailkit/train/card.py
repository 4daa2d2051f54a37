"""Model cards: a README.md in every trained output folder with its data, recipe and metrics."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

__all__ = ["EVAL_FILE", "RESULT_FILE", "card_data", "hub_base_model", "record_evaluation", "write_model_card"]

RESULT_FILE = "train_result.json"
EVAL_FILE = "eval_results.json"


def record_evaluation(out_dir: str | Path, name: str, metrics: Mapping[str, float]) -> None:
    """Add an evaluation (``name`` -> metrics) to ``eval_results.json`` and refresh the model card.

    Args:
        out_dir: A trained model's folder (with ``train_result.json``).
        name: The evaluation's name (an earlier one of the same name is replaced).
        metrics: Metric name -> value.
    """
    out = Path(out_dir)
    path = out / EVAL_FILE
    evals: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    evals[name] = {key: float(value) for key, value in metrics.items()}
    path.write_text(json.dumps(evals, indent=2, sort_keys=True), encoding="utf-8")
    write_model_card(out)


_PIPELINE_TAGS = {
    "nli": "text-classification",
    "relevance": "text-ranking",
    "classification": "zero-shot-classification",
}
"""The hub's pipeline tag of each training task."""

_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")
"""A hub repository id: ``name`` or ``owner/name`` (no leading ``/``, ``.`` or ``~``, no ``..``)."""


def _is_hub_id(name: str) -> bool:
    return bool(_HUB_ID.fullmatch(name)) and ".." not in name


def hub_base_model(base: str | None) -> str | None:
    """The base model as the card's ``base_model`` names it: a hub id or a name, never a local path.

    A hub id is kept as is. A local directory is named by its ``config.json``'s ``_name_or_path`` when
    that is a hub id (transformers records the id the weights came from), else by the directory's own
    name; any other path by its last part. So a card never leaks the trainer's file system.

    Args:
        base: The base model the run started from (``train_result.json``'s ``base``), or None.

    Returns:
        The id or name, or None when ``base`` is None or empty.
    """
    if not base:
        return None
    path = Path(base)
    if path.is_dir():
        config = path / "config.json"
        try:
            origin = json.loads(config.read_text(encoding="utf-8")).get("_name_or_path") if config.is_file() else None
        except (OSError, ValueError, AttributeError):
            origin = None
        if isinstance(origin, str) and _is_hub_id(origin) and not Path(origin).is_dir():
            return origin
        return path.resolve().name or None
    if _is_hub_id(base):
        return base
    return path.name or None


def _eval_results(task: str, result: Mapping[str, Any], evals: Mapping[str, Any]) -> list[EvalResult]:
    """The dev score and every recorded evaluation as the hub's ``model-index`` entries."""
    task_type = _PIPELINE_TAGS.get(task, "text-classification")
    out: list[EvalResult] = []
    if result.get("best_dev") is not None:
        out.append(
            EvalResult(
                task_type=task_type,
                dataset_type="dev",
                dataset_name="dev split (early stopping)",
                dataset_split="dev",
                metric_type=str(result["dev_metric"]),
                metric_value=float(result["best_dev"]),
            )
        )
    for name, metrics in sorted(evals.items()):
        out += [
            EvalResult(
                task_type=task_type,
                dataset_type=name,
                dataset_name=name,
                metric_type=metric,
                metric_value=float(value),
            )
            for metric, value in sorted(metrics.items())
        ]
    return out


def card_data(out: Path, result: Mapping[str, Any], evals: Mapping[str, Any]) -> ModelCardData:
    """The card's metadata (its YAML header) from ``train_result.json`` and ``eval_results.json``.

    ``license``, ``datasets`` and ``language`` come from the result's keys of those names when a caller
    recorded them (the trainer does not know them: the data are the caller's).

    Args:
        out: The trained model's folder (its name is the card's model name).
        result: ``train_result.json``.
        evals: ``eval_results.json`` (evaluation name -> metric -> value).
    """
    head = "gliclass" if result["head"] == "gliclass" else "cross-encoder"
    task = str(result["task"])
    return ModelCardData(
        model_name=out.name,
        library_name="transformers",
        pipeline_tag=_PIPELINE_TAGS.get(task, "text-classification"),
        tags=["entailkit", head, task],
        base_model=hub_base_model(result.get("base")),
        license=result.get("license"),
        datasets=result.get("datasets"),
        language=result.get("language"),
        eval_results=_eval_results(task, result, evals) or None,
    )


def write_model_card(out_dir: str | Path) -> Path:
    """Write README.md from ``train_result.json`` (and ``eval_results.json`` when present).

    The card is a ``huggingface_hub.ModelCard``: metadata the hub validates (``card_data``: library,
    pipeline tag, tags, base model by hub id or name, evaluations as ``model-index`` results) above the
    data, recipe and metrics in prose.

    Args:
        out_dir: A trained model's folder.

    Returns:
        The README's path.
    """
    out = Path(out_dir)
    result: dict[str, Any] = json.loads((out / RESULT_FILE).read_text(encoding="utf-8"))
    evals_path = out / EVAL_FILE
    evals: dict[str, Any] = json.loads(evals_path.read_text(encoding="utf-8")) if evals_path.is_file() else {}
    cfg = result["config"]
    data = card_data(out, result, evals)
    base = data.base_model or "an unnamed base model"
    lines = [
        f"# {out.name}",
        "",
        f"Trained with `entailkit.train` from `{base}` for the **{result['task']}** task "
        f"(head `{result['head']}`, id2label `{result['id2label']}`).",
        "",
        "```python",
        "from entailkit import load_scorer",
        f'scorer = load_scorer("{out.name}")  # this folder',
        "```",
        "",
        "## Data",
        "",
        f"{result.get('data_description') or 'Training examples passed in by the caller.'}",
        "",
        f"- training examples: {result['n_train']:,}; dev examples (early stopping): {result['n_dev']:,}",
    ]
    lines += [f"- {key}: {value:,}" for key, value in sorted(result.get("data_counts", {}).items())]
    lines += [
        "",
        "Check the licences of the training data before you use this model: several of the shared data sets "
        "are for non-commercial research only.",
        "",
        "## Recipe",
        "",
        f"AdamW (lr {cfg['learning_rate']}, weight decay {cfg['weight_decay']}), linear warm-up over "
        f"{cfg['warmup_ratio']:.0%} of the steps then linear decay, batch {cfg['batch_size']} x "
        f"{cfg['grad_accum']} accumulation, max_length {cfg['max_length']}, length-bucketed batches, seed "
        f"{cfg['seed']}, early stopping patience {cfg['patience']} evaluations. Trained {result['steps']} steps "
        f"({result['epochs']:.2f} epochs) in {result['wall_s']:.0f} s on {result.get('device', '?')}"
        f" ({result.get('precision', '?')}); best dev step {result['best_step']}"
        + (" (stopped early)." if result["stopped_early"] else "."),
        "",
        "```json",
        json.dumps(cfg, indent=2),
        "```",
        "",
        "## Metrics",
        "",
        "| evaluation | metric | value |",
        "|---|---|---|",
    ]
    if result.get("best_dev") is not None:
        lines.append(f"| dev split (early stopping) | {result['dev_metric']} | {result['best_dev']:.4f} |")
    for name, metrics in sorted(evals.items()):
        lines += [f"| {name} | {metric} | {value:.4f} |" for metric, value in sorted(metrics.items())]
    path = out / "README.md"
    ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines) + "\n").save(path)
    return path
