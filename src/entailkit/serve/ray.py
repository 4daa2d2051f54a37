"""The HTTP app of :func:`~entailkit.serve.app.create_app` on Ray Serve replicas (extra ``ray-serve``).

Each replica is a Ray actor that loads the model once (:func:`entailkit.shared_scorer`) and serves the same
ASGI app as ``entailkit serve``: the guard (API key, body limits), the endpoints and a micro-batcher of its
own. Ray Serve's proxy takes the HTTP connections on every node and routes each request to a replica;
:func:`run_ray_serve` deploys, :class:`RayServer` reports and stops. Options are checked (and the task specs
and routes read) on the driver, before Ray starts.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any

from entailkit._optional import require
from entailkit._ray_env import start_ray
from entailkit.errors import EntailkitError, InvalidInputError, ModelLoadError
from entailkit.scorers.shared import shared_scorer
from entailkit.serve.app import create_app
from entailkit.serve.config import ServeConfig
from entailkit.serve.ray_options import (
    DEPLOYMENT,
    RayServeOptions,
    deployment_options,
    model_id,
    ray_serve_options,
    served_tasks,
)
from entailkit.serve.state import CheckArg, ClassifyArg, ModelArg, RerankArg, RoutesArg

__all__ = ["REPLICA_HEADER", "EntailkitReplica", "RayServeOptions", "RayServer", "replica_app", "run_ray_serve"]

logger = logging.getLogger(__name__)

REPLICA_HEADER = "x-entailkit-replica"
"""The response header that names the replica which answered (its Ray Serve replica id)."""
_CONTROLLER = ("SERVE_CONTROLLER_ACTOR", "serve")  # Ray Serve's controller actor: (name, namespace)


class _ReplicaHeader:
    """ASGI: the app, with ``x-entailkit-replica: <replica id>`` on every HTTP response."""

    def __init__(self, app: Any, replica: str) -> None:
        self.app = app
        self.state = app.app.state.entailkit
        self.replica = replica
        self._value = replica.encode("ascii", "replace")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_replica(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (REPLICA_HEADER.encode(), self._value)]}
            await send(message)

        await self.app(scope, receive, send_with_replica)


def replica_app(
    model: str | os.PathLike[str],
    config: ServeConfig,
    tasks: Mapping[str, Any],
    scorer_kwargs: Mapping[str, Any],
    threads: int,
) -> Any:
    """The app one replica serves: the model loaded once, ``create_app`` over it, the replica header.

    Args:
        model: The model id (loaded with ``shared_scorer(model, **scorer_kwargs)``).
        config: The server's options.
        tasks: ``create_app``'s ``rerank`` / ``check`` / ``classify`` / ``routes`` arguments.
        scorer_kwargs: ``shared_scorer`` arguments.
        threads: torch intra-op threads.

    Returns:
        The ASGI app (its lifespan starts the batcher).
    """
    import torch

    torch.set_num_threads(threads)
    replica = f"pid-{os.getpid()}"
    serve = sys.modules.get("ray.serve")  # imported in a replica; not imported here otherwise
    try:
        replica = serve.get_replica_context().replica_id.unique_id if serve is not None else replica
    except Exception:  # not in a Ray Serve replica (tests build the app directly)
        logger.debug("no Ray Serve replica context; naming the replica by its pid")
    scorer = shared_scorer(model, **dict(scorer_kwargs))
    app = create_app(scorer, config, **dict(tasks))
    logger.info("replica %s serving %s with %d torch thread(s)", replica, model, threads)
    return _ReplicaHeader(app, replica)


class EntailkitReplica:
    """The deployment's class: Ray Serve makes it the ingress of :func:`replica_app`'s app (see :func:`run_ray_serve`)."""

    def check_health(self) -> None:
        """Ray Serve's health check: the replica is healthy while its batcher's worker thread runs.

        Raises:
            RuntimeError: The worker thread is not running (Ray Serve then replaces the replica).
        """
        app = getattr(self, "app", None)
        state = getattr(app, "state", None)
        if state is not None and not state.batcher.alive:
            raise RuntimeError("the batcher's worker thread is not running")


class RayServer:
    """A running Serve application of entailkit: its URL, its replicas, and ``shutdown()``."""

    def __init__(self, name: str, url: str, *, api_key: str | None, started_ray: bool, started_serve: bool) -> None:
        """Hold what :func:`run_ray_serve` started (use that function, not this constructor).

        Args:
            name: The Serve application's name.
            url: Where the proxy serves it (``http://host:port/prefix``, no trailing slash).
            api_key: The key the app requires (for :meth:`replica_metrics`), or None.
            started_ray: Whether ``run_ray_serve`` started the Ray runtime (``shutdown`` then stops it).
            started_serve: Whether it started Ray Serve (``shutdown`` then stops Serve).
        """
        self.name = name
        self.url = url
        self.api_key = api_key
        self.started_ray = started_ray
        self.started_serve = started_serve

    def status(self) -> dict[str, int]:
        """Replicas by state (``{"RUNNING": 2}``, ``"STARTING"``, ``"STOPPING"``, ...), from ``serve.status()``."""
        serve = require("ray.serve", extra="ray-serve", package="ray[serve]")
        app = serve.status().applications.get(self.name)
        deployment = app.deployments.get(DEPLOYMENT) if app is not None else None
        return {str(k): int(v) for k, v in (deployment.replica_states if deployment is not None else {}).items()}

    def replicas(self) -> list[str]:
        """The names of the replica actors alive now (``SERVE_REPLICA::<app>#entailkit#<replica id>``, namespace ``serve``)."""
        ray = require("ray", extra="ray-serve", package="ray[serve]")
        prefix = f"SERVE_REPLICA::{self.name}#{DEPLOYMENT}#"
        found = ray.util.list_named_actors(all_namespaces=True)
        return sorted(a["name"] for a in found if a["namespace"] == _CONTROLLER[1] and a["name"].startswith(prefix))

    def replica_metrics(self, attempts: int | None = None) -> dict[str, str]:
        """``/metrics`` of each replica: the proxy picks the replica, so this asks until each has answered.

        The requests go in concurrent rounds of three per replica: Ray Serve's router may send request
        after request to the same idle replica (seen in CI: 20 in a row), and concurrent ones spread.

        Args:
            attempts: Requests to send at most (default 20 per replica).

        Returns:
            Replica id (as in the ``x-entailkit-replica`` header) -> its Prometheus text.
        """
        httpx = require("httpx", extra="serve")
        wanted = {name.rsplit("#", 1)[-1] for name in self.replicas()}
        headers = {"Connection": "close", **({"Authorization": f"Bearer {self.api_key}"} if self.api_key else {})}
        width = 3 * max(1, len(wanted))
        budget = attempts or 20 * max(1, len(wanted))
        seen: dict[str, str] = {}
        with ThreadPoolExecutor(max_workers=width) as pool:
            while budget > 0 and not wanted <= set(seen):
                batch = min(width, budget)
                budget -= batch
                calls = [
                    pool.submit(httpx.get, f"{self.url}/metrics", headers=headers, timeout=30) for _ in range(batch)
                ]
                for response in (call.result() for call in calls):
                    if response.status_code == 200:
                        seen[response.headers.get(REPLICA_HEADER, "?")] = response.text
        return seen

    def wait(self) -> None:
        """Block until Ctrl-C or SIGTERM (the CLI's ``entailkit serve --ray``)."""
        previous = signal.getsignal(signal.SIGTERM)

        def stop(*_: Any) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            while True:
                time.sleep(1.0)
        except KeyboardInterrupt:
            logger.info("stopping %s", self.name)
        finally:
            signal.signal(signal.SIGTERM, previous)

    def shutdown(self) -> None:
        """Delete the application (its replicas drain for ``graceful_timeout_s``); stop Serve and Ray if we started them."""
        serve = require("ray.serve", extra="ray-serve", package="ray[serve]")
        ray = require("ray", extra="ray-serve", package="ray[serve]")
        if not ray.is_initialized():
            return
        serve.delete(self.name)
        if self.started_serve or self.started_ray:
            serve.shutdown()
        if self.started_ray:
            ray.shutdown()

    def __enter__(self) -> RayServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.shutdown()


def run_ray_serve(
    model: ModelArg,
    config: ServeConfig | None = None,
    *,
    routes: RoutesArg = None,
    rerank: RerankArg = None,
    check: CheckArg = None,
    classify: ClassifyArg = None,
    options: RayServeOptions | None = None,
    **fields: Any,
) -> RayServer:
    """Deploy the HTTP app on Ray Serve replicas and return once they answer.

    Calling it again with the same ``name`` redeploys: Ray Serve replaces the replicas a few at a time (a
    rolling update; each call ships the deployment anew, so the replicas are replaced even when nothing
    changed), the others serving meanwhile.

    Args:
        model: The model id each replica loads (a local directory every node can read, or a hub id).
        config: The server's options; ``host`` / ``port`` are the Ray Serve proxy's (a Serve instance already
            running keeps its own), the API key defaults to ``$ENTAILKIT_API_KEY``.
        routes: A routes file, a list of routes, a RouteSpec or its mapping: enables ``/v1/route``.
        rerank: The rerank endpoints' RerankSpec or its options.
        check: ``/v1/check``'s CheckSpec or its options.
        classify: ``/v1/classify``'s ClassifySpec or its options.
        options: How to run on Ray (default ``RayServeOptions()``).
        **fields: :class:`RayServeOptions` fields over ``options`` (``replicas=2``, ``autoscale=(1, 4)``,
            ``address="auto"``, ``threads_per_replica=1``, ...).

    Returns:
        The running application: ``url``, ``status()``, ``replicas()``, ``shutdown()``.

    Raises:
        InvalidInputError: An unknown or bad option, a non-loopback host without an API key, a model that is
            not an id, or task options a spec refuses (all before Ray starts); or the replicas refused them.
        ModelLoadError: A local model path that does not exist (before Ray starts), or a model the replicas
            could not load (the replicas' message; Ray Serve tries each replica's start 3 times).
        EntailkitError: The replicas did not start for another reason (Ray Serve's message).
        MissingDependencyError: ``ray[serve]`` is not installed (``pip install 'entailkit[ray-serve]'``).
    """
    opts = ray_serve_options(options, fields)
    cfg = (config or ServeConfig()).with_env_key()
    cfg.check_exposure()
    source = model_id(model, opts.address)
    tasks = served_tasks(routes, rerank, check, classify)
    deploy = deployment_options(opts, cfg)
    serve = require("ray.serve", extra="ray-serve", package="ray[serve]")
    ray = require("ray", extra="ray-serve", package="ray[serve]")

    started_ray = start_ray(ray, opts.address, num_cpus=opts.num_cpus, runtime_env=None)
    started_serve = not _serve_running(ray)
    serve.start(http_options={"host": cfg.host, "port": cfg.port, "keep_alive_timeout_s": cfg.keep_alive_timeout_s})
    threads, kwargs = opts.threads_per_replica, dict(opts.scorer_kwargs)

    def build() -> Any:  # runs in each replica, once, when Ray Serve starts it
        return replica_app(source, cfg, tasks, kwargs, threads)

    deployment = serve.deployment(serve.ingress(build)(EntailkitReplica)).options(**deploy)
    # No access log line per request, as in `entailkit serve` (/metrics counts them).
    logging_config = {"enable_access_log": False}
    try:
        serve.run(deployment.bind(), name=opts.name, route_prefix=opts.route_prefix, logging_config=logging_config)
    except RuntimeError as exc:  # the replicas' constructor failed (Ray Serve gave up after its retries)
        raise _deploy_error(serve, opts.name, exc) from exc
    host = cfg.host if ":" not in cfg.host else f"[{cfg.host}]"
    prefix = opts.route_prefix.rstrip("/")
    server = RayServer(
        opts.name,
        f"http://{host}:{cfg.port}{prefix}",
        api_key=cfg.api_key,
        started_ray=started_ray,
        started_serve=started_serve,
    )
    logger.info("serving %s on Ray Serve at %s (%s)", source, server.url, server.status())
    return server


def _deploy_error(serve: Any, name: str, exc: RuntimeError) -> EntailkitError:
    """The replicas' own error (the last line of the deployment's message), as entailkit's error class."""
    try:
        deployment = serve.status().applications[name].deployments[DEPLOYMENT]
        lines = [line for line in str(deployment.message).splitlines() if line.strip()]
        reason = lines[-1].strip() if lines else str(exc)
    except Exception:  # no status: Ray's own message
        reason = str(exc)
    kind = next(
        (k for k in (ModelLoadError, InvalidInputError) if reason.startswith(f"entailkit.errors.{k.__name__}")), None
    )
    message = f"Ray Serve could not start the replicas of {name!r}: {reason}"
    return (kind or EntailkitError)(message)


def _serve_running(ray: Any) -> bool:
    """Whether a Ray Serve controller runs in the cluster already."""
    try:
        ray.get_actor(_CONTROLLER[0], namespace=_CONTROLLER[1])
    except ValueError:
        return False
    return True
