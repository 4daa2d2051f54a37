"""``entailkit bench speed | quality | all``: throughput against peers and quality on real data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from entailkit.cli._common import QuietOption, exit_on_error, fail
from entailkit.cli.app import app

__all__ = [
    "DEFAULT_MODEL",
    "SECTIONS",
    "ModelsOption",
    "OutOption",
    "SharedOption",
    "ThreadsOption",
    "bench_app",
    "quality",
    "run_all",
    "speed",
]

DEFAULT_MODEL = "../shared/models/minilm-l6-sick-nli"

bench_app = typer.Typer(
    name="bench",
    help="Benchmarks: speed against peers (same process, inputs, weights) and quality on real data.",
    no_args_is_help=True,
)

ModelsOption = Annotated[
    list[str] | None,
    typer.Option("--model", "-m", help="Cross-encoder checkpoint (speed: the first one). Repeat for quality."),
]
SharedOption = Annotated[
    Path | None,
    typer.Option(help="Folder holding data/ (default: $ENTAILKIT_SHARED or ../shared)."),
]
OutOption = Annotated[Path, typer.Option(help="Where report.json, report.md (and zero_shot.png) go.")]
ThreadsOption = Annotated[int, typer.Option(help="torch and ONNX Runtime intra-op threads.")]


def _speed_options(
    models: list[str] | None,
    shared: Path | None,
    quick: bool,
    full: bool,
    threads: int,
    repeats: int,
    pairs: int | None,
    texts: int | None,
    labels: str | None,
    gliclass: str | None,
    quiet: bool,
    skip: str | None = None,
) -> Any:
    """The ``SpeedOptions`` of the command-line options; ``quick`` shrinks every default.

    Args:
        models: The ``--model`` values; the first is timed (default: the shared MiniLM NLI model).
        shared: The shared folder (default: ``$ENTAILKIT_SHARED`` or ``../shared``).
        quick: A smoke run's sizes.
        full: Also the random-weight large encoders.
        threads: Intra-op threads of torch and ONNX Runtime.
        repeats: Timed runs per peer.
        pairs: MS MARCO pairs to rerank, or None for the default.
        texts: AG News texts for zero-shot, or None for the default.
        labels: Label counts, comma-separated, or None for the default.
        gliclass: A GLiClass model, or None for the default.
        quiet: No progress bar.
        skip: Sections to leave out, comma-separated.

    Returns:
        An ``entailkit.bench.SpeedOptions``.

    Raises:
        typer.Exit: With code 2 for an unknown ``--skip`` section.
    """
    from entailkit.bench import SpeedOptions  # bench imports torch: loaded only when the command runs
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
        sized_pairs=16 if quick else 512,
        skip=_sections(skip),
        show_progress=not quiet,
    )


SECTIONS = ("rerank", "zero_shot", "groundedness", "gemm")


def _sections(skip: str | None) -> set[str]:
    """The section names of ``--skip``; an unknown name is a usage error (exit 2).

    Args:
        skip: The ``--skip`` value (comma-separated), or None.

    Returns:
        The set of section names to leave out.

    Raises:
        typer.Exit: With code 2 for a name not in ``SECTIONS``.
    """
    names = {n.strip() for n in (skip or "").split(",") if n.strip()}
    unknown = sorted(names - set(SECTIONS))
    if unknown:
        raise fail(f"--skip takes {', '.join(SECTIONS)}; got {', '.join(unknown)}")
    return names


def _run(
    models: list[str] | None, shared: Path | None, out: Path, speed: Any, quality: bool, limit: int | None, quiet: bool
) -> None:
    """Run the speed and/or quality benchmarks, write the report files and print the Markdown report.

    Args:
        models: The ``--model`` values (quality: each one; default: the shared MiniLM NLI model).
        shared: The shared folder, or None for the default.
        out: The folder report.json and report.md go to.
        speed: The ``SpeedOptions``, or None for no speed section.
        quality: Whether to run the quality section.
        limit: Rows per quality data set, or None for the defaults.
        quiet: No progress bar.

    Raises:
        typer.Exit: With code 2 when a benchmark fails.
    """
    from entailkit.bench import report as reporting  # bench imports torch: loaded only when the command runs
    from entailkit.bench import run_quality, run_speed
    from entailkit.bench.data import shared_root

    with exit_on_error():
        result: dict[str, Any] = {"machine": reporting.machine(speed.threads if speed else 2)}
        if speed is not None:
            result["speed"] = run_speed(speed)
        if quality:
            root = shared_root(shared)
            chosen = [Path(m) for m in models] if models else [root / "models" / "minilm-l6-sick-nli"]
            limits: dict[str, int | None] | None = None
            if limit:
                limits = {"sick": limit, "rte": limit, "ag_news": limit, "msmarco": limit, "int8": limit}
            result["quality"] = run_quality(chosen, root, limits=limits, show_progress=not quiet)
    paths = reporting.write(result, out)
    typer.echo(reporting.markdown(result))
    typer.echo("wrote " + ", ".join(str(p) for p in paths.values()), err=True)


@bench_app.command("speed")
def speed(
    model: ModelsOption = None,
    shared: SharedOption = None,
    out: OutOption = Path("bench-report"),
    quick: Annotated[bool, typer.Option(help="A smoke run: 64 pairs, 8 texts, K = 1, 4.")] = False,
    full: Annotated[
        bool, typer.Option(help="Also random-weight DeBERTa-v3-base / XLM-R-large / ModernBERT-base-sized encoders.")
    ] = False,
    threads: ThreadsOption = 2,
    repeats: Annotated[int, typer.Option(help="Timed runs per peer (best kept), interleaved.")] = 1,
    pairs: Annotated[int | None, typer.Option(help="MS MARCO pairs to rerank (default 2000).")] = None,
    texts: Annotated[int | None, typer.Option(help="AG News texts for zero-shot (default 32).")] = None,
    labels: Annotated[str | None, typer.Option(help="Label counts K, comma-separated (default 1,4,16,64).")] = None,
    gliclass: Annotated[str | None, typer.Option(help="GLiClass model (default: built on all-MiniLM-L6-v2).")] = None,
    skip: Annotated[
        str | None, typer.Option(help="Sections to leave out, comma-separated: rerank, zero_shot, groundedness, gemm.")
    ] = None,
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
    limit: Annotated[
        int | None, typer.Option(help="Rows per data set (default: SICK 1000, RTE all, AG News 400, MS MARCO 2000).")
    ] = None,
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


app.add_typer(bench_app, name="bench")
