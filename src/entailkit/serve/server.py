"""Running the app: ``serve`` (blocking, for the CLI) and ``BackgroundServer`` (a thread, for tests and
notebooks). Both use uvicorn, whose graceful shutdown lets requests in flight finish; the app's lifespan
then drains the batcher."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from entailkit._optional import require
from entailkit.errors import EntailkitError
from entailkit.scorers.base import Scorer
from entailkit.serve.app import create_app
from entailkit.serve.config import ServeConfig

logger = logging.getLogger(__name__)


def _uvicorn_config(app: Any, config: ServeConfig, log_level: str) -> Any:
    uvicorn = require("uvicorn", extra="serve")
    return uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        log_level=log_level,
        timeout_graceful_shutdown=int(config.graceful_timeout_s) or None,
        access_log=False,
        lifespan="on",
    )


def serve(
    scorer: Scorer,
    config: ServeConfig | None = None,
    *,
    routes: str | Path | None = None,
    log_level: str = "info",
) -> None:
    """Serve ``scorer`` until SIGINT / SIGTERM (then finish requests in flight and stop)."""
    uvicorn = require("uvicorn", extra="serve")
    cfg = (config or ServeConfig()).with_env_key()
    cfg.check_exposure()
    app = create_app(scorer, cfg, routes=routes)
    uvicorn.Server(_uvicorn_config(app, cfg, log_level)).run()


class BackgroundServer:
    """The server in a background thread on ``config.host`` (port 0: a free port), e.g. for tests.

    ``with BackgroundServer(scorer) as server: Client(server.url)...``; ``stop()`` shuts down gracefully.
    """

    def __init__(
        self,
        scorer: Scorer,
        config: ServeConfig | None = None,
        *,
        routes: str | Path | None = None,
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        uvicorn = require("uvicorn", extra="serve")
        base = config or ServeConfig()
        from dataclasses import replace

        self.config = replace(base, port=port).with_env_key()
        self.config.check_exposure()
        self.app = create_app(scorer, self.config, routes=routes)
        self.server = uvicorn.Server(_uvicorn_config(self.app, self.config, log_level))
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise EntailkitError("the server is not started; call start() first.")
        host = self.config.host if ":" not in self.config.host else f"[{self.config.host}]"
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 30.0) -> BackgroundServer:
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
        """Graceful: stop accepting, let requests in flight finish, drain the batcher."""
        if self._thread is None:
            return
        self.server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.server.force_exit = True
            self._thread.join(5)
        self._thread = None

    def __enter__(self) -> BackgroundServer:
        return self.start() if self._thread is None else self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
