"""What every Ray surface shares (the Ray Data jobs and the Ray Serve deployment): the driver's environment
forwarded to the workers, and starting or joining a runtime.

Workers of a local runtime inherit the driver's environment, but workers of a cluster do not: the
variables that change how models load (offline hub, caches) travel in the job's runtime_env instead. This
module imports no Ray; the caller passes the ``ray`` module it required (with the extra it names).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from entailkit.errors import InvalidInputError

logger = logging.getLogger(__name__)

FORWARDED_ENV = (
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_HOME",
    "HF_HUB_CACHE",
    "HF_HUB_DISABLE_PROGRESS_BARS",
    "TOKENIZERS_PARALLELISM",
    "ENTAILKIT_SHARED",
)
"""Driver environment variables every worker must see (when set on the driver)."""


def forwarded_env() -> dict[str, str]:
    """The variables of ``FORWARDED_ENV`` that are set here."""
    return {name: os.environ[name] for name in FORWARDED_ENV if name in os.environ}


def start_ray(
    ray: Any,
    address: str | None,
    *,
    num_cpus: int | None,
    runtime_env: Mapping[str, Any] | None,
    **kwargs: Any,
) -> bool:
    """``ray.init`` for a local runtime (``address=None``) or a cluster, with ``FORWARDED_ENV`` in the job's env.

    A local runtime that times out during startup (a busy machine) is retried once.

    Args:
        ray: The ``ray`` module.
        address: None: start a local runtime; else the cluster to join.
        num_cpus: CPUs of a local runtime (None: all of this machine's); not with ``address``.
        runtime_env: The job's runtime_env; its ``env_vars`` win over the forwarded ones.
        **kwargs: Passed to ``ray.init`` (over ``include_dashboard=False``, ``log_to_driver=True``).

    Returns:
        True when this call started or joined Ray, False when Ray was already initialised.

    Raises:
        InvalidInputError: ``num_cpus`` given with an ``address``.
    """
    if ray.is_initialized():
        return False
    env = dict(runtime_env or {})
    env["env_vars"] = {**forwarded_env(), **dict(env.get("env_vars") or {})}
    options: dict[str, Any] = {"runtime_env": env, "include_dashboard": False, "log_to_driver": True, **kwargs}
    if address is None:
        options["num_cpus"] = num_cpus or os.cpu_count() or 1
    elif num_cpus is not None:
        raise InvalidInputError("num_cpus applies to a local runtime only; a cluster's nodes declare their own CPUs.")
    logger.info("starting Ray (%s)", f"address={address}" if address else f"local, {options['num_cpus']} CPUs")
    try:
        ray.init(address=address, **options)
    except Exception as exc:
        # Ray waits a fixed 30 s for a new local node to register; a busy machine can miss that.
        if address is not None or "timed out during startup" not in str(exc):
            raise
        logger.warning("the local Ray runtime did not start in time (%s); retrying once", exc)
        ray.shutdown()
        ray.init(address=address, **options)
    return True
