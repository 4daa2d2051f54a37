"""Model cards: a README.md in every trained output folder with its data, recipe and metrics."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["EVAL_FILE", "RESULT_FILE", "record_evaluation", "write_model_card"]

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


def write_model_card(out_dir: str | Path) -> Path:
    """Write README.md from ``train_result.json`` (and ``eval_results.json`` when present).

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
    lines = [
        "---",
        "library_name: transformers",
        f"base_model: {result.get('base', 'unknown')}",
        "tags: [entailkit, "
        + ("cross-encoder" if result["head"] != "gliclass" else "gliclass")
        + f", {result['task']}]",
        "---",
        "",
        f"# {out.name}",
        "",
        f"Trained with `entailkit.train` from `{result.get('base', 'unknown')}` for the **{result['task']}** task "
        f"(head `{result['head']}`, id2label `{result['id2label']}`).",
        "",
        "```python",
        "from entailkit import load_scorer",
        f'scorer = load_scorer("{out}")',
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
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
