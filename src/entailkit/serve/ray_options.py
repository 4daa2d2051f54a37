"""The options of the Ray Serve deployment (:mod:`entailkit.serve.ray`), checked without Ray.

:class:`RayServeOptions` holds how the app runs on Ray Serve; :func:`deployment_options` turns it into
Ray Serve's deployment options; :func:`served_tasks` checks the tasks' specs and reads a routes file on the
driver, so that a bad option is refused before Ray starts and the replicas get plain specs.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entailkit._ray_env import forwarded_env
from entailkit.errors import InvalidInputError, ModelLoadError
from entailkit.serve.config import ServeConfig
from entailkit.serve.state import CheckArg, ClassifyArg, ModelArg, RerankArg, RoutesArg
from entailkit.tasks.route_io import read_routes_file
from entailkit.tasks.specs import CheckSpec, ClassifySpec, RerankSpec, RouteSpec, TaskSpec

__all__ = [
    "DEPLOYMENT",
    "RayServeOptions",
    "deployment_options",
    "drain_timeout",
    "model_id",
    "ray_serve_options",
    "served_tasks",
]

DEPLOYMENT = "entailkit"
"""The name of the deployment inside the Serve application (replica actors: ``SERVE_REPLICA::<app>#entailkit#<id>``)."""


@dataclass(frozen=True)
class RayServeOptions:
    """How the app runs on Ray Serve; every field is checked when the options are made.

    ``replicas`` is a fixed count; ``autoscale=(min, max)`` lets Ray Serve add replicas while each holds more
    than ``target_ongoing_requests`` requests (its queue depth) and remove idle ones (never below ``min``).
    """

    replicas: int | None = None
    """A fixed number of replicas (None: 1, or ``autoscale``)."""
    autoscale: tuple[int, int] | None = None
    threads_per_replica: int = 1
    """torch intra-op threads of each replica (also its ``OMP_NUM_THREADS``)."""
    cpus_per_replica: float | None = None
    """CPUs Ray reserves per replica; None: ``threads_per_replica``."""
    gpus_per_replica: float = 0.0
    target_ongoing_requests: float = 4.0
    """Autoscaling target: requests in a replica (queued in its batcher or being scored) per replica."""
    max_ongoing_requests: int | None = None
    """Requests Ray Serve sends to one replica at once (more wait in the proxy); None: ``config.max_queue``."""
    address: str | None = None
    """None: a local Ray runtime on this machine (or the one this process already joined); else the cluster."""
    num_cpus: int | None = None
    """CPUs of a local runtime (None: all of this machine's); not with ``address``."""
    name: str = "entailkit"
    """The Serve application's name (several apps can share one Serve instance, each on its route prefix)."""
    route_prefix: str = "/"
    health_check_period_s: float = 10.0
    health_check_timeout_s: float = 30.0
    drain_timeout_s: float | None = None
    """Seconds a replica being stopped (shutdown, rolling restart, scale-down) gets for the requests it holds
    before Ray stops it; None: ``max(config.graceful_timeout_s, config.request_timeout_s)``, so that every
    request it admitted ends (answered, or 504) before it goes."""
    scorer_kwargs: Mapping[str, Any] = field(default_factory=dict)
    """``shared_scorer`` arguments in each replica: ``device``, ``dtype``, ``batch_size``, ``max_length``, ..."""

    def __post_init__(self) -> None:
        if self.autoscale is not None:
            bounds = self.autoscale
            ints = isinstance(bounds, tuple) and len(bounds) == 2 and all(_is_int(b) for b in bounds)
            if not ints or not 0 <= bounds[0] <= bounds[1] or bounds[1] < 1:
                raise InvalidInputError(
                    f"autoscale must be (min, max) replicas with 0 <= min <= max and max >= 1, got {bounds!r}."
                )
        if self.autoscale is not None and self.replicas is not None:
            raise InvalidInputError("give replicas (a fixed count) or autoscale=(min, max), not both.")
        for name in ("replicas", "threads_per_replica", "max_ongoing_requests"):
            value = getattr(self, name)
            if not (value is None and name != "threads_per_replica") and (not _is_int(value) or value < 1):
                raise InvalidInputError(f"{name} must be an int >= 1, got {value!r}.")
        for name in ("cpus_per_replica", "gpus_per_replica", "target_ongoing_requests"):
            value = getattr(self, name)
            zero_ok = name == "gpus_per_replica"
            if value is None and name == "cpus_per_replica":
                continue
            if not _is_number(value) or not (value >= 0 if zero_ok else value > 0):
                raise InvalidInputError(
                    f"{name} must be a finite number {'>= 0' if zero_ok else '> 0'}, got {value!r}."
                )
        for name in ("health_check_period_s", "health_check_timeout_s", "drain_timeout_s"):
            if name == "drain_timeout_s" and self.drain_timeout_s is None:
                continue
            if not _is_number(getattr(self, name)) or getattr(self, name) <= 0:
                raise InvalidInputError(f"{name} must be a number > 0, got {getattr(self, name)!r}.")
        if self.num_cpus is not None and (not _is_int(self.num_cpus) or self.num_cpus < 1):
            raise InvalidInputError(f"num_cpus must be an int >= 1, got {self.num_cpus!r}.")
        if self.num_cpus is not None and self.address is not None:
            raise InvalidInputError(
                "num_cpus applies to a local runtime only; a cluster's nodes declare their own CPUs."
            )
        if self.address is not None and (not isinstance(self.address, str) or not self.address.strip()):
            raise InvalidInputError(
                f"address must be a non-empty str ('auto', 'ray://head:10001'), got {self.address!r}."
            )
        if not isinstance(self.name, str) or not self.name or "#" in self.name:
            raise InvalidInputError(f"name must be a non-empty str without '#', got {self.name!r}.")
        if not isinstance(self.route_prefix, str) or not self.route_prefix.startswith("/"):
            raise InvalidInputError(f"route_prefix must start with '/', got {self.route_prefix!r}.")
        if not isinstance(self.scorer_kwargs, Mapping) or not all(isinstance(k, str) for k in self.scorer_kwargs):
            raise InvalidInputError("scorer_kwargs must be a mapping of shared_scorer's keyword arguments.")

    @property
    def cpus(self) -> float:
        """CPUs Ray reserves for each replica."""
        return float(self.cpus_per_replica if self.cpus_per_replica is not None else self.threads_per_replica)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def deployment_options(options: RayServeOptions, config: ServeConfig) -> dict[str, Any]:
    """The keyword arguments of Ray Serve's ``Deployment.options`` for ``options`` and ``config``.

    Args:
        options: How the app runs on Ray Serve.
        config: The server's options (``max_queue`` bounds a replica's requests, ``graceful_timeout_s`` its
            drain at shutdown).

    Returns:
        The deployment's name, replica count or autoscaling config, actor resources and environment,
        request cap, health checks and graceful shutdown.
    """
    threads = str(options.threads_per_replica)
    actor: dict[str, Any] = {
        "num_cpus": options.cpus,
        "runtime_env": {"env_vars": {**forwarded_env(), "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}},
    }
    if options.gpus_per_replica:
        actor["num_gpus"] = float(options.gpus_per_replica)
    out: dict[str, Any] = {
        "name": DEPLOYMENT,
        "ray_actor_options": actor,
        "max_ongoing_requests": options.max_ongoing_requests or config.max_queue,
        # Ray waits for the requests in flight this long before it stops a replica (then kills it).
        "graceful_shutdown_timeout_s": drain_timeout(options, config),
        "graceful_shutdown_wait_loop_s": 0.5,
        "health_check_period_s": float(options.health_check_period_s),
        "health_check_timeout_s": float(options.health_check_timeout_s),
        "max_constructor_retry_count": 3,  # a model that cannot load fails the deployment fast
    }
    if options.autoscale is not None:
        low, high = options.autoscale
        out["autoscaling_config"] = {
            "min_replicas": low,
            "initial_replicas": max(low, 1),
            "max_replicas": high,
            "target_ongoing_requests": float(options.target_ongoing_requests),
        }
    else:
        out["num_replicas"] = options.replicas or 1
    return out


def drain_timeout(options: RayServeOptions, config: ServeConfig) -> float:
    """Seconds a replica being stopped gets for its requests: ``options.drain_timeout_s``, else the longer of
    the shutdown grace and the request timeout (a request admitted ends within it), plus 2 s for the answers.

    Args:
        options: How the app runs on Ray Serve.
        config: The server's options.
    """
    if options.drain_timeout_s is not None:
        return float(options.drain_timeout_s)
    return max(float(config.graceful_timeout_s), float(config.request_timeout_s)) + 2.0


def model_id(model: ModelArg, address: str | None = None) -> str:
    """The model id every replica loads: a local directory (as a str) or a hub id.

    Args:
        model: What the caller passed as the model.
        address: The cluster (None: a local runtime, where a local path must exist here already).

    Raises:
        InvalidInputError: A Scorer object (it would be copied into every replica) or anything but a str / path.
        ModelLoadError: On a local runtime, a path (absolute, or starting with ``.`` or ``~``) that does not exist.
    """
    if not isinstance(model, (str, os.PathLike)):
        raise InvalidInputError(
            "run_ray_serve takes a model id (a local directory every replica can read, or a hub id), not a "
            f"{type(model).__name__}: each replica loads the model itself."
        )
    text = os.fspath(model)
    looks_local = os.path.isabs(text) or text.startswith((".", "~"))
    if address is None and looks_local and not Path(text).expanduser().exists():
        raise ModelLoadError(f"model directory {text!r} does not exist; each replica would fail to load it.")
    return text


def served_tasks(routes: RoutesArg, rerank: RerankArg, check: CheckArg, classify: ClassifyArg) -> dict[str, Any]:
    """The tasks' specs to ship to the replicas, checked here (a routes file is read here).

    Args:
        routes: A routes file, a list of routes, a RouteSpec or its mapping, or None.
        rerank: A RerankSpec or its mapping, or None.
        check: A CheckSpec or its mapping, or None.
        classify: A ClassifySpec or its mapping, or None.

    Returns:
        ``create_app``'s task arguments (``rerank``, ``check``, ``classify``, ``routes``) as specs or None.

    Raises:
        InvalidInputError: A configured task object (pass its spec), or options a spec refuses.
    """
    out: dict[str, Any] = {}
    for name, spec_class, given in (
        ("rerank", RerankSpec, rerank),
        ("check", CheckSpec, check),
        ("classify", ClassifySpec, classify),
    ):
        out[name] = _spec(name, spec_class, given) if given is not None else None
    if routes is None:
        out["routes"] = None
    elif isinstance(routes, (str, Path)):
        out["routes"] = RouteSpec.parse(read_routes_file(routes))
    elif isinstance(routes, (TaskSpec, Mapping)):
        out["routes"] = _spec("routes", RouteSpec, routes)
    elif isinstance(routes, (list, tuple)):
        out["routes"] = RouteSpec.parse({"routes": list(routes)})
    else:
        out["routes"] = _spec("routes", RouteSpec, routes)
    return out


def _spec(name: str, spec_class: type[TaskSpec], given: Any) -> TaskSpec:
    if isinstance(given, (TaskSpec, Mapping)):
        return spec_class.parse(given)
    raise InvalidInputError(
        f"{name}: on Ray Serve pass a {spec_class.__name__} or a mapping of its options, not a "
        f"{type(given).__name__} (each replica builds the task on its own scorer; {spec_class.__name__}.of(task) "
        "gives a configured task's options)."
    )


def ray_serve_options(options: RayServeOptions | None, fields: Mapping[str, Any]) -> RayServeOptions:
    """``options`` (default ``RayServeOptions()``) with ``fields`` replaced, every one checked.

    Args:
        options: The base options, or None.
        fields: Field names of :class:`RayServeOptions` and their values (a list for ``autoscale`` is taken as a tuple).

    Raises:
        InvalidInputError: An unknown field, or a value the options refuse.
    """
    base = options if options is not None else RayServeOptions()
    if not isinstance(base, RayServeOptions):
        raise InvalidInputError(f"options must be a RayServeOptions, got {type(base).__name__}.")
    known = {f.name for f in dataclasses.fields(RayServeOptions)}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise InvalidInputError(f"unknown Ray Serve option(s) {unknown}; known: {sorted(known)}.")
    given = dict(fields)
    if isinstance(given.get("autoscale"), list):
        given["autoscale"] = tuple(given["autoscale"])
    return dataclasses.replace(base, **given)
