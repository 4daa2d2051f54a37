"""Bench reports: machine conditions, JSON, a markdown table, and a PNG plot when matplotlib is there."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import platform
from pathlib import Path
from typing import Any

__all__ = ["machine", "markdown", "write"]

logger = logging.getLogger(__name__)


def machine(threads: int) -> dict[str, Any]:
    """What the numbers depend on: CPU, core count, load, threads, library versions.

    Args:
        threads: The torch threads the benchmark ran with.
    """
    import torch

    versions = {"torch": torch.__version__}
    for name in ("transformers", "onnxruntime", "sentence_transformers", "gliclass"):
        try:
            versions[name] = __import__(name).__version__
        except Exception:
            continue
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "threads": threads,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "versions": versions,
    }


def _f(value: Any, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def markdown(report: dict[str, Any]) -> str:
    """The tables of docs/benchmarks.md from a report dict.

    Args:
        report: ``{"machine", "speed", "quality"}`` (any may be missing).
    """
    lines: list[str] = []
    meta = report.get("machine", {})
    if meta:
        lines += [
            f"Machine: {meta.get('cpu_count')} CPU cores, {meta.get('threads')} threads, load average "
            f"{meta.get('load_average')}, GPU: {meta.get('gpu') or 'none'}; {meta.get('date')}.",
            "",
        ]
    speed = report.get("speed", {})
    if "gemm" in speed:
        g = speed["gemm"]
        lines += [
            f"fp32 GEMM peak at the model's shapes: **{g['peak']:.1f} GFLOP/s** "
            f"(qkv/out {g['qkv/out']}, ffn-up {g['ffn-up']}, ffn-down {g['ffn-down']}).",
            "",
        ]
    if "rerank" in speed:
        lines += _rerank_table("Reranking", speed["rerank"], speed.get("model", ""))
    for name, section in speed.get("sized", {}).items():
        lines += _rerank_table(f"{name} ({section.get('weights', '')})", section, name)
    if "zero_shot" in speed:
        z = speed["zero_shot"]
        ks = [str(k) for k in z["labels"]]
        lines += [
            f"### Zero-shot: {z['texts']} AG News texts, texts/s at K labels (speed-up vs the pipeline)",
            "",
            f"GLiClass model: {z['gliclass_model']}.",
            "",
            "| path | " + " | ".join(f"K={k}" for k in ks) + " |",
            "|---|" + "---:|" * len(ks),
        ]
        for peer, rows in z["peers"].items():
            cells = [f"{rows[k]['per_s']:.1f} ({rows[k]['speedup']:.2f}x)" if k in rows else "" for k in ks]
            lines.append(f"| {peer} | " + " | ".join(cells) + " |")
        lines.append("")
    if "groundedness" in speed:
        gr = speed["groundedness"]
        lines += [
            f"### Groundedness: {gr['answer_sentences']}-sentence answer vs {gr['passages']} passages",
            "",
            "| path | sentence-passage pairs/s |",
            "|---|---:|",
        ]
        lines += [f"| {peer} | {row['per_s']:.1f} |" for peer, row in gr["peers"].items()] + [""]
    quality = report.get("quality")
    if quality:
        lines += [
            "### Quality",
            "",
            "| model | head | SICK acc | SICK ECE (top-label, 15 bins) | RTE acc | AG News macro-F1 | MS MARCO nDCG@10 (trec_eval) |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for q in quality["models"]:
            lines.append(
                f"| {Path(q['model']).name} | {q['head']} | {_f(q.get('sick_accuracy'), 3)} | {_f(q.get('sick_ece'), 3)} | "
                f"{_f(q.get('rte_accuracy'), 3)} | {_f(q.get('ag_news_macro_f1'), 3)} | {_f(q.get('msmarco_ndcg@10'), 3)} |"
            )
        lines += ["", f"Rows: {quality['limits']} (None = all).", ""]
        lines += _int8_table(quality["models"])
    return "\n".join(lines)


def _int8_table(models: list[dict[str, Any]]) -> list[str]:
    rows = [q for q in models if "int8_vs_fp32" in q]
    if not rows:
        return []
    lines = [
        "#### ONNX int8 vs torch fp32 (SICK test entailment scores)",
        "",
        "| model | pairs | abs diff p50 | p90 | p99 | max | decisions agree (>= 0.5) | top class agrees |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for q in rows:
        c = q["int8_vs_fp32"]
        d = c["abs_diff"]
        lines.append(
            f"| {Path(q['model']).name} | {c['pairs']} | {d['p50']:.4f} | {d['p90']:.4f} | {d['p99']:.4f} | "
            f"{d['max']:.4f} | {c['decision_agreement']:.4f} | {c['top_class_agreement']:.4f} |"
        )
    return [*lines, ""]


def _rerank_table(title: str, section: dict[str, Any], model: str) -> list[str]:
    lines = [
        f"### {title}: {section['pairs']} MS MARCO pairs, {section['tokens']} tokens ({Path(model).name})",
        "",
        "| path | pairs/s | vs sentence-transformers | pairs/s (CPU time) | fraction of GEMM peak | nDCG@10 (trec_eval) | nDCG@10 (pool, 2^g-1) | p99 abs diff vs torch | max abs diff vs torch |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for peer, row in section["peers"].items():
        lines.append(
            f"| {peer} | {row['per_s']:.1f} | {_f(row.get('speedup'), 2)}x | {row['per_s_cpu']:.1f} | "
            f"{_f(row.get('fraction_of_gemm_peak'), 2)} | {_f(row.get('ndcg@10'), 4)} | {_f(row.get('ndcg@10_pool'), 4)} | "
            f"{_f(row.get('p99_abs_diff_vs_torch'), 5)} | {_f(row.get('max_abs_diff_vs_torch'), 5)} |"
        )
    return [*lines, ""]


def write(report: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """report.json, report.md and (with matplotlib) zero_shot.png into ``out_dir``; returns the paths.

    Args:
        report: The report dict.
        out_dir: The folder to write (created if needed).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "markdown": out_dir / "report.md"}
    paths["json"].write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    paths["markdown"].write_text(markdown(report), encoding="utf-8")
    plot = _plot(report, out_dir / "zero_shot.png")
    if plot is not None:
        paths["plot"] = plot
    return paths


def _plot(report: dict[str, Any], path: Path) -> Path | None:
    zero_shot = report.get("speed", {}).get("zero_shot")
    if not zero_shot:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        logger.info("matplotlib is not installed: no plot")
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for peer, rows in zero_shot["peers"].items():
        ks = sorted(int(k) for k in rows)
        ax.plot(ks, [rows[str(k)]["per_s"] for k in ks], marker="o", label=peer)
    ax.set(xscale="log", yscale="log", xlabel="labels K", ylabel="texts / s", title="zero-shot throughput")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
