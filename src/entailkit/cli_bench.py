"""``entailkit bench speed | quality | all``: registered on the app in cli.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from entailkit.errors import EntailkitError

DEFAULT_MODEL = "../shared/models/minilm-l6-sick-nli"

bench_app = typer.Typer(
    name="bench",
    help="Benchmarks: speed against peers (same process, inputs, weights) and quality on real data.",
    no_args_is_help=True,
)

ModelsOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--model", "-m", help="Cross-encoder checkpoint (speed: the first one). Repeat for quality."),
]
SharedOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(help="Folder holding data/ (default: $ENTAILKIT_SHARED or ../shared)."),
]
OutOption = Annotated[Path, typer.Option(help="Where report.json, report.md (and zero_shot.png) go.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
ThreadsOption = Annotated[int, typer.Option(help="torch and ONNX Runtime intra-op threads.")]


def _speed_options(
    models: list[str] | None, shared: Path | None, quick: bool, full: bool, threads: int, repeats: int,
    pairs: int | None, texts: int | None, labels: str | None, gliclass: str | None, quiet: bool,
    skip: str | None = None,
) -> Any:
    from entailkit.bench import SpeedOptions
    from entailkit.bench.data import shared_root

    root = shared_root(shared)
    model = Path(models[0]) if models else root / "models" / "minilm-l6-sick-nli"
    return SpeedOptions(
        model=model,
        shared=root,
        pairs=pairs or (64 if quick else 2000),
        texts=texts or (8 if quick else 32),
        labels=tuple(int(k) for k in labels.split(",")) if labels else ((1, 4) if quick else (1, 4, 16, 64)),
        threads=threads,
        repeats=repeats,
        gliclass_model=Path(gliclass) if gliclass else None,
        full=full,
        sized_pairs=16 if quick else 64,
        skip=_sections(skip),
        show_progress=not quiet,
    )


SECTIONS = ("rerank", "zero_shot", "groundedness", "gemm")


def _sections(skip: str | None) -> set[str]:
    """The section names of ``--skip``; an unknown name is a usage error (exit 2)."""
    names = {n.strip() for n in (skip or "").split(",") if n.strip()}
    unknown = sorted(names - set(SECTIONS))
    if unknown:
        typer.echo(f"error: --skip takes {', '.join(SECTIONS)}; got {', '.join(unknown)}", err=True)
        raise typer.Exit(code=2)
    return names


def _finish(report: dict[str, Any], out: Path) -> None:
    from entailkit.bench import report as reporting

    paths = reporting.write(report, out)
    typer.echo(reporting.markdown(report))
    typer.echo("wrote " + ", ".join(str(p) for p in paths.values()), err=True)


def _run(models: list[str] | None, shared: Path | None, out: Path, speed: Any, quality: bool, limit: int | None, quiet: bool) -> None:
    from entailkit.bench import report as reporting
    from entailkit.bench import run_quality, run_speed
    from entailkit.bench.data import shared_root

    try:
        result: dict[str, Any] = {"machine": reporting.machine(speed.threads if speed else 2)}
        if speed is not None:
            result["speed"] = run_speed(speed)
        if quality:
            root = shared_root(shared)
            chosen = [Path(m) for m in models] if models else [root / "models" / "minilm-l6-sick-nli"]
            limits: dict[str, int | None] | None = None
            if limit:
                limits = {"sick": limit, "rte": limit, "ag_news": limit, "msmarco": limit}
            result["quality"] = run_quality(chosen, root, limits=limits, show_progress=not quiet)
    except EntailkitError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    _finish(result, out)


@bench_app.command("speed")
def speed(
    model: ModelsOption = None,
    shared: SharedOption = None,
    out: OutOption = Path("bench-report"),
    quick: Annotated[bool, typer.Option(help="A smoke run: 64 pairs, 8 texts, K = 1, 4.")] = False,
    full: Annotated[bool, typer.Option(help="Also random-weight DeBERTa-v3-base / XLM-R-large-sized encoders.")] = False,
    threads: ThreadsOption = 2,
    repeats: Annotated[int, typer.Option(help="Timed runs per peer (best kept), interleaved.")] = 1,
    pairs: Annotated[Optional[int], typer.Option(help="MS MARCO pairs to rerank (default 2000).")] = None,  # noqa: UP045
    texts: Annotated[Optional[int], typer.Option(help="AG News texts for zero-shot (default 32).")] = None,  # noqa: UP045
    labels: Annotated[Optional[str], typer.Option(help="Label counts K, comma-separated (default 1,4,16,64).")] = None,  # noqa: UP045
    gliclass: Annotated[Optional[str], typer.Option(help="GLiClass model (default: built on all-MiniLM-L6-v2).")] = None,  # noqa: UP045
    skip: Annotated[Optional[str], typer.Option(help="Sections to leave out, comma-separated: rerank, zero_shot, groundedness, gemm.")] = None,  # noqa: UP045
    quiet: QuietOption = False,
) -> None:
    """Throughput of entailkit against sentence-transformers, transformers and gliclass; GEMM peak fraction."""
    options = _speed_options(model, shared, quick, full, threads, repeats, pairs, texts, labels, gliclass, quiet, skip)
    _run(model, shared, out, options, False, None, quiet)


@bench_app.command("quality")
def quality(
    model: ModelsOption = None,
    shared: SharedOption = None,
    out: OutOption = Path("bench-report"),
    limit: Annotated[Optional[int], typer.Option(help="Rows per data set (default: SICK 1000, RTE all, AG News 400, MS MARCO 2000).")] = None,  # noqa: UP045
    quiet: QuietOption = False,
) -> None:
    """SICK / RTE accuracy, SICK ECE, AG News macro-F1 and MS MARCO nDCG@10 for each --model."""
    _run(model, shared, out, None, True, limit, quiet)


@bench_app.command("all")
def run_all(
    model: ModelsOption = None,
    shared: SharedOption = None,
    out: OutOption = Path("bench-report"),
    quick: Annotated[bool, typer.Option(help="A smoke run of both.")] = False,
    full: Annotated[bool, typer.Option(help="Also the random-weight large encoders.")] = False,
    threads: ThreadsOption = 2,
    repeats: Annotated[int, typer.Option(help="Timed runs per peer (best kept).")] = 1,
    quiet: QuietOption = False,
) -> None:
    """``speed`` then ``quality``, one report."""
    options = _speed_options(model, shared, quick, full, threads, repeats, None, None, None, None, quiet)
    _run(model, shared, out, options, True, 64 if quick else None, quiet)


def register(app: typer.Typer) -> None:
    """Add ``entailkit bench`` to the app."""
    app.add_typer(bench_app, name="bench")
