"""Corpus-scale scoring on Ray Data (extra ``ray``): rerank, classify and check millions of rows.

Importing this package does not import Ray or torch; Ray is loaded (and, if needed, a local runtime
started) when a job function is called, and the model is loaded once per Ray actor.
"""

from __future__ import annotations

from entailkit.distributed.datasets import check_dataset, classify_dataset, rerank_dataset, split_errors
from entailkit.distributed.options import BatchOptions, rows_per_batch
from entailkit.distributed.rows import ERROR_COLUMN
from entailkit.distributed.runtime import FORWARDED_ENV, init_ray, read_input

__all__ = [
    "ERROR_COLUMN",
    "FORWARDED_ENV",
    "BatchOptions",
    "check_dataset",
    "classify_dataset",
    "init_ray",
    "read_input",
    "rerank_dataset",
    "rows_per_batch",
    "split_errors",
]
