"""One local Ray runtime for all tests under tests/distributed (Ray start-up is slow: start it once).

The runtime starts lazily with the first test that needs it (``-k`` runs of the pure-Python tests
never start Ray) and is shut down at the end of the session, leaving no Ray processes behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


@contextmanager
def _environ(**values: str) -> Iterator[None]:
    """Set environment variables for the duration of the block (processes started in it keep them)."""
    before = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def ray_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``ray``, initialised with 2 CPUs (or an already running runtime, which is then left running)."""
    pytest.importorskip("ray.data", reason="the 'ray' extra is not installed")
    import ray

    from entailkit.distributed import init_ray

    # Every Ray worker and actor is a new Python process importing ray, torch and transformers. Where
    # the environment forbids bytecode files (PYTHONDONTWRITEBYTECODE) and the packages were installed
    # without them (pip --no-compile), each process compiles those sources again: ~10 s of CPU each on
    # this 2-core box. The Ray processes of this session share one bytecode cache in a temp folder.
    cache = str(tmp_path_factory.mktemp("ray-pycache"))
    worker_env = {"PYTHONPYCACHEPREFIX": cache, "PYTHONDONTWRITEBYTECODE": "", "OMP_NUM_THREADS": "1"}
    with _environ(**worker_env):
        started = init_ray(num_cpus=2, object_store_memory=256 * 1024 * 1024, runtime_env={"env_vars": worker_env})
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    if started:
        ray.shutdown()
