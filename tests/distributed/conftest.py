"""One local Ray runtime for all tests under tests/distributed (Ray start-up is slow: start it once).

The runtime is started lazily by the first test that needs it (so `-k` runs of the pure-Python tests
never start Ray) and shut down at the end of the session, leaving no Ray processes behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def ray_runtime() -> Iterator[Any]:
    """``ray``, initialised with 2 CPUs (or an already running runtime, which is then left running)."""
    pytest.importorskip("ray.data", reason="the 'ray' extra is not installed")
    import ray

    from entailkit.distributed import init_ray

    # Small numbers for a small shared box: one torch thread per actor, a small object store.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    started = init_ray(num_cpus=2, object_store_memory=256 * 1024 * 1024)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    if started:
        ray.shutdown()
