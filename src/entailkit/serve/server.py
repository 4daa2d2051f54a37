"""Running the app: ``serve`` (blocking, for the CLI) and ``BackgroundServer`` (a thread, for tests and
notebooks). Both use uvicorn with the socket limits of :mod:`entailkit.serve.connections`; at shutdown
the batcher gives requests in flight ``graceful_timeout_s`` to finish and drops the work left after it,
uvicorn waits for their responses, and the app's lifespan stops the worker."""

from __future__ import annotations

import logging
import math
import threading
import time
from types import TracebackType
from typing import Any

from entailkit._optional import require
from entailkit.errors import EntailkitError
from entailkit.serve.app import create_app
from entailkit.serve.config import ServeConfig
from entailkit.serve.connections import limited_protocol, socket_budget
from entailkit.serve.logs import install_rate_limit
from entailkit.serve.state import CheckArg, ClassifyArg, ModelArg, RerankArg, RoutesArg

__all__ = ["BackgroundServer", "serve"]

logger = logging.getLogger(__name__)


def _uvicorn_server(app: Any, config: ServeConfig, log_level: str) -> Any:
    """A uvicorn Server for ``app`` whose shutdown first starts the batcher's shutdown grace."""
    require("uvicorn", extra="serve")
    import uvicorn

    budget = socket_budget(config)
    logger.info(
        "limits: %d open requests, %d open connections (RLIMIT_NOFILE %s), %d estimated pairs per request, "
        "body %g s, headers %g s, keep-alive %g s",
        config.max_connections,
        budget.max_open,
        budget.nofile if budget.nofile is not None else "unlimited",
        config.max_request_pairs,
        config.body_timeout_s,
        config.header_timeout_s,
        config.keep_alive_timeout_s,
    )
    uvicorn_config = uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        log_level=log_level,
        # One second past the batcher's grace, so the requests whose work it dropped still get their 503.
        timeout_graceful_shutdown=math.ceil(config.graceful_timeout_s) + 1,
        timeout_keep_alive=max(1, math.ceil(config.keep_alive_timeout_s)),
        backlog=config.backlog,
        http=limited_protocol(budget.max_open, config.header_timeout_s),
        access_log=False,
        lifespan="on",
    )
    batcher = app.app.state.entailkit.batcher
    grace = config.graceful_timeout_s

    class _Server(uvicorn.Server):
        async def shutdown(self, sockets: Any = None) -> None:
            batcher.begin_shutdown(grace)
            await super().shutdown(sockets)

    return _Server(uvicorn_config)


def serve(
    scorer: ModelArg,
    config: ServeConfig | None = None,
    *,
    routes: RoutesArg = None,
    rerank: RerankArg = None,
    check: CheckArg = None,
    classify: ClassifyArg = None,
    log_level: str = "info",
) -> None:
    """Serve ``scorer`` until SIGINT / SIGTERM (then finish requests in flight and stop).

    Args:
        scorer: A Scorer, or a model id loaded once per process through :func:`entailkit.shared_scorer`.
        config: The server's options; the API key defaults to ``$ENTAILKIT_API_KEY``.
        routes: A routes YAML file (or what :func:`~entailkit.serve.app.create_app` takes): enables ``/v1/route``.
        rerank: The rerank endpoints' Reranker (on ``scorer``), its RerankSpec or options (see ``create_app``).
        check: ``/v1/check``'s GroundednessChecker, its CheckSpec or options.
        classify: ``/v1/classify``'s ZeroShotClassifier, its ClassifySpec or options.
        log_level: uvicorn's log level.

    Raises:
        InvalidInputError: A non-loopback host without an API key, a task on another scorer, or options
            a task refuses.
    """
    cfg = (config or ServeConfig()).with_env_key()
    cfg.check_exposure()
    app = create_app(scorer, cfg, routes=routes, rerank=rerank, check=check, classify=classify)
    server = _uvicorn_server(app, cfg, log_level)
    remove_filter = install_rate_limit(cfg.log_interval_s)
    try:
        server.run()
    finally:
        remove_filter()


class BackgroundServer:
    """The server in a background thread on ``config.host`` (port 0: a free port), e.g. for tests.

    ``with BackgroundServer(scorer) as server: Client(server.url)...``; ``stop()`` shuts down gracefully.
    """

    def __init__(
        self,
        scorer: ModelArg,
        config: ServeConfig | None = None,
        *,
        routes: RoutesArg = None,
        rerank: RerankArg = None,
        check: CheckArg = None,
        classify: ClassifyArg = None,
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        """Build the app and its uvicorn server (not started: call ``start()`` or use ``with``).

        Args:
            scorer: A Scorer, or a model id loaded once per process through :func:`entailkit.shared_scorer`.
            config: The server's options (its port is replaced by ``port``).
            routes: A routes YAML file (or what :func:`~entailkit.serve.app.create_app` takes): enables ``/v1/route``.
            rerank: The rerank endpoints' Reranker (on ``scorer``), its RerankSpec or options (see ``create_app``).
            check: ``/v1/check``'s GroundednessChecker, its CheckSpec or options.
            classify: ``/v1/classify``'s ZeroShotClassifier, its ClassifySpec or options.
            port: The port to bind; 0 picks a free one (``url`` tells which once started).
            log_level: uvicorn's log level.

        Raises:
            InvalidInputError: A non-loopback host without an API key, a task on another scorer, or options
                a task refuses.
        """
        base = config or ServeConfig()
        self.config = base.replace(port=port).with_env_key()
        self.config.check_exposure()
        self.app = create_app(scorer, self.config, routes=routes, rerank=rerank, check=check, classify=classify)
        self.server = _uvicorn_server(self.app, self.config, log_level)
        self._thread: threading.Thread | None = None
        self._remove_filter: Any = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise EntailkitError("the server is not started; call start() first.")
        host = self.config.host if ":" not in self.config.host else f"[{self.config.host}]"
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 30.0) -> BackgroundServer:
        """Run the server in a daemon thread and wait until it listens (``port`` and ``url`` are then set).

        Args:
            timeout: Seconds to wait for the server to start.

        Returns:
            This server.

        Raises:
            EntailkitError: The server thread died or did not start within ``timeout``.
        """
        self._remove_filter = install_rate_limit(self.config.log_interval_s)
        self._thread = threading.Thread(target=self.server.run, name="entailkit-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise EntailkitError(f"the server did not start on {self.config.host} within {timeout:g} s.")
            time.sleep(0.01)
        sockets = [sock for server in self.server.servers for sock in server.sockets]
        self.port = int(sockets[0].getsockname()[1])
        logger.info("entailkit server listening on %s", self.url)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Graceful: stop accepting, let requests in flight finish, drain the batcher.

        Args:
            timeout: Seconds to wait for the graceful shutdown; then uvicorn is forced to exit (5 s more).
        """
        if self._thread is None:
            return
        self.server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.server.force_exit = True
            self._thread.join(5)
        self._thread = None
        if self._remove_filter is not None:
            self._remove_filter()
            self._remove_filter = None

    def __enter__(self) -> BackgroundServer:
        return self.start() if self._thread is None else self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
