"""Timing helpers: best-of-N wall and CPU time, peers interleaved so load drifts hit them all alike."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

__all__ = ["Steps", "best_times", "throughput"]

logger = logging.getLogger(__name__)


def best_times(
    runs: Mapping[str, Callable[[], Any]], *, repeats: int, on_step: Callable[[str], None] | None = None
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Run every callable ``repeats`` times, round-robin; best wall and CPU seconds each, plus last outputs.

    The caller warms each runner up first. On a shared machine the wall time of a run includes other
    jobs' time slices; the process CPU time mostly does not, so both are kept.

    Args:
        runs: Name -> the call to time.
        repeats: Rounds (at least one).
        on_step: Called with the name after each call (e.g. to advance a progress bar).

    Returns:
        ``(name -> {"seconds", "cpu_seconds"}, name -> the last call's output)``.
    """
    best: dict[str, dict[str, float]] = {name: {"seconds": float("inf"), "cpu_seconds": float("inf")} for name in runs}
    outputs: dict[str, Any] = {}
    for _ in range(max(1, repeats)):
        for name, run in runs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            outputs[name] = run()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best[name]["seconds"] = min(best[name]["seconds"], wall)
            best[name]["cpu_seconds"] = min(best[name]["cpu_seconds"], cpu)
            logger.info("%s: %.2f s wall, %.2f s CPU", name, wall, cpu)
            if on_step is not None:
                on_step(name)
    return best, outputs


def throughput(times: Mapping[str, float], items: int, threads: int) -> dict[str, float]:
    """Items per second from wall time, and from CPU time spread over ``threads`` cores.

    Args:
        times: ``{"seconds", "cpu_seconds"}`` of one run.
        items: Items the run processed.
        threads: Threads it ran on.
    """
    return {
        "seconds": round(times["seconds"], 4),
        "cpu_seconds": round(times["cpu_seconds"], 4),
        "per_s": items / times["seconds"] if times["seconds"] > 0 else 0.0,
        "per_s_cpu": items / (times["cpu_seconds"] / threads) if times["cpu_seconds"] > 0 else 0.0,
    }


class Steps:
    """A rich progress bar over the benchmark's steps (stderr), or nothing when disabled."""

    def __init__(self, enabled: bool) -> None:
        """Make the bar (shown by ``running``) or a no-op.

        Args:
            enabled: Show the bar.
        """
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None

    @contextmanager
    def running(self, total: int, description: str) -> Iterator[Steps]:
        """Show the bar while the block runs.

        Args:
            total: The steps to come.
            description: The bar's first label.
        """
        if not self.enabled:
            yield self
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=Console(file=sys.stderr), transient=True) as bar:
            self._bar, self._task = bar, bar.add_task(description, total=total)
            try:
                yield self
            finally:
                self._bar = self._task = None

    def advance(self, label: str = "") -> None:
        """One step done.

        Args:
            label: The bar's new label (empty: unchanged).
        """
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=label or None)
