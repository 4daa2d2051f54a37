"""``entailkit serve``: an HTTP API (Cohere / Jina / TEI rerank shapes, check, classify, route) with
dynamic micro-batching, and a Python client. Needs the ``serve`` extra (FastAPI, uvicorn, httpx) except
for the client, which needs httpx only; ``run_ray_serve`` runs the same app on Ray Serve replicas (the
``ray-serve`` extra)."""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Client": "entailkit.serve.client",
    "ServerError": "entailkit.errors",
    "ServeConfig": "entailkit.serve.config",
    "create_app": "entailkit.serve.app",
    "serve": "entailkit.serve.server",
    "BackgroundServer": "entailkit.serve.server",
    "MicroBatcher": "entailkit.batching.batcher",
    "BatchingScorer": "entailkit.batching.scoring",
    "RayServeOptions": "entailkit.serve.ray",
    "run_ray_serve": "entailkit.serve.ray",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'entailkit.serve' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
