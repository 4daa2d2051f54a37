"""``entailkit bench``: speed against peers in one process on the same inputs, and quality on real data."""

from entailkit.bench.quality import run_quality
from entailkit.bench.speed import SpeedOptions, run_speed

__all__ = ["SpeedOptions", "run_quality", "run_speed"]
