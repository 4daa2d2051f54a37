"""Ray plumbing: start or join a runtime, forward the environment to workers, read input files.

Workers of a local runtime inherit the driver's environment, but workers of a cluster do not: the
variables that change how models load (offline hub, caches, thread counts) travel in the job's or the
operator's ``runtime_env`` instead (``FORWARDED_ENV`` and the start of a runtime are shared with the Ray
Serve deployment, in ``entailkit._ray_env``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from entailkit._optional import require
from entailkit._ray_env import FORWARDED_ENV, forwarded_env, start_ray
from entailkit.errors import InvalidInputError

__all__ = [
    "FORWARDED_ENV",
    "Dataset",
    "forwarded_env",
    "init_ray",
    "input_format",
    "operator_runtime_env",
    "ray_module",
    "read_input",
    "resolve_gpus",
]

logger = logging.getLogger(__name__)

Dataset = Any
"""A ``ray.data.Dataset`` (typed as Any so that importing entailkit never needs Ray)."""


def ray_module() -> Any:
    """``ray`` (with ``ray.data``), or a MissingDependencyError naming ``pip install 'entailkit[ray]'``."""
    require("ray.data", extra="ray", package="ray[data]")
    return require("ray", extra="ray", package="ray[data]")


def init_ray(
    address: str | None = None,
    *,
    num_cpus: int | None = None,
    runtime_env: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> bool:
    """Start a local Ray runtime (``address=None``) or join a cluster (``"auto"``, ``"ray://host:10001"``).

    The driver's ``FORWARDED_ENV`` variables go into the job's runtime_env so every worker sees them. A
    local runtime that times out during startup (a busy machine) is retried once.

    Args:
        address: None: start a local runtime; else the cluster to join (``"auto"``, ``"ray://host:10001"``).
        num_cpus: CPUs of a local runtime (None: all of this machine's); not with ``address``.
        runtime_env: The job's runtime_env; its ``env_vars`` win over the forwarded ones.
        **kwargs: Passed to ``ray.init`` (over the defaults ``include_dashboard=False``, ``log_to_driver=True``).

    Returns:
        True when this call started or joined Ray, False when Ray was already initialised (then nothing
            changes; the caller must not shut it down).

    Raises:
        InvalidInputError: ``num_cpus`` given with an ``address``.
        MissingDependencyError: Ray is not installed (``pip install 'entailkit[ray]'``).
    """
    return start_ray(ray_module(), address, num_cpus=num_cpus, runtime_env=runtime_env, **kwargs)


def operator_runtime_env(extra: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The runtime_env for the scoring actors: None when the job's already carries everything.

    A runtime_env that differs from the job's makes Ray start dedicated worker processes, so it is
    only set when a forwarded variable is missing or different in the job, or the caller adds one.

    Args:
        extra: The caller's runtime_env for the actors (``BatchOptions.runtime_env``), or None.

    Returns:
        None, or the runtime_env: ``extra`` with ``env_vars`` merged from the job's, the forwarded ones and
            ``extra``'s own (later ones win).
    """
    ray = ray_module()
    needed = forwarded_env()
    job_env: Mapping[str, Any] = {}
    try:
        job_env = ray.get_runtime_context().runtime_env or {}
    except Exception:  # not initialised yet: Ray Data will start a local runtime with our env inherited
        logger.debug("no Ray runtime context; relying on inherited environment")
        return dict(extra) if extra else None
    job_vars = dict(job_env.get("env_vars") or {})
    missing = {k: v for k, v in needed.items() if job_vars.get(k) != v}
    if not missing and not extra:
        return None
    env = dict(extra or {})
    env["env_vars"] = {**job_vars, **needed, **dict(env.get("env_vars") or {})}
    return env


def resolve_gpus(requested: float | None) -> float:
    """GPUs per actor: the request, else 1 when the cluster has any GPU, else 0.

    Args:
        requested: ``BatchOptions.num_gpus``; None: decide from the cluster (0 when Ray is not running yet).
    """
    if requested is not None:
        return float(requested)
    ray = ray_module()
    if not ray.is_initialized():
        return 0.0
    return 1.0 if float(ray.cluster_resources().get("GPU", 0)) > 0 else 0.0


_PARQUET = (".parquet", ".pq")
_JSON = (".jsonl", ".json", ".jsonl.gz", ".json.gz", ".ndjson")
_CSV = (".csv", ".csv.gz", ".tsv")


def input_format(path: str | os.PathLike[str]) -> str:
    """The input format, "parquet", "json" or "csv", from the file name (or from the files in a directory).

    Args:
        path: A file, or a directory whose files (hidden and ``_`` ones aside) are read.

    Raises:
        InvalidInputError: No name ends with a known suffix (.parquet / .pq, .jsonl / .json / .ndjson,
            .csv / .tsv; .jsonl.gz, .json.gz and .csv.gz too).
    """
    candidate = Path(path)
    names: Sequence[str] = [candidate.name.lower()]
    if candidate.is_dir():
        names = sorted(p.name.lower() for p in candidate.iterdir() if p.is_file() and not p.name.startswith((".", "_")))
    for fmt, suffixes in (("parquet", _PARQUET), ("json", _JSON), ("csv", _CSV)):
        if names and any(name.endswith(suffixes) for name in names):
            return fmt
    raise InvalidInputError(
        f"cannot tell the format of {os.fspath(path)!r}: expected .parquet, .jsonl/.json or .csv files."
    )


def read_input(path: str | os.PathLike[str]) -> Dataset:
    """A lazily read ``ray.data.Dataset`` of a parquet, JSON-lines or CSV file (or directory of them).

    A URI (``s3://...``) is not checked here; its format follows its suffix, parquet when it has none
    of the others. A ``.tsv`` file is read as tab-separated CSV.

    Args:
        path: A local file or directory, or a URI Ray can read.

    Raises:
        InvalidInputError: A local path that does not exist, or whose format cannot be told.
        MissingDependencyError: Ray is not installed.
    """
    if not Path(path).exists() and "://" not in os.fspath(path):
        raise InvalidInputError(f"input {os.fspath(path)!r} does not exist.")
    ray = ray_module()
    fmt = input_format(path) if "://" not in os.fspath(path) else _remote_format(os.fspath(path))
    source = os.fspath(path)
    if fmt == "parquet":
        return ray.data.read_parquet(source)
    if fmt == "json":
        return ray.data.read_json(source, lines=True)
    if source.lower().endswith(".tsv"):
        import pyarrow.csv as pacsv

        return ray.data.read_csv(source, parse_options=pacsv.ParseOptions(delimiter="\t"))
    return ray.data.read_csv(source)


def _remote_format(uri: str) -> str:
    lowered = uri.lower().rstrip("/")
    if lowered.endswith(_JSON):
        return "json"
    if lowered.endswith(_CSV):
        return "csv"
    return "parquet"
