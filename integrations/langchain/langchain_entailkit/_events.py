"""Send entailkit scores to LangChain callbacks as custom events, so tracers (LangSmith, ...) record them."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManager,
    BaseCallbackManager,
    CallbackManager,
    Callbacks,
)

logger = logging.getLogger(__name__)


def emit(callbacks: Callbacks, name: str, data: Any) -> None:
    """``on_custom_event(name, data)`` on the handlers in ``callbacks`` (attached to the parent run)."""
    if not callbacks:
        return
    manager = (
        callbacks
        if isinstance(callbacks, CallbackManager)
        else CallbackManager.configure(inheritable_callbacks=_handlers(callbacks))
    )
    if not manager.handlers:
        return
    manager.on_custom_event(name, data, run_id=manager.parent_run_id or uuid.uuid4())


async def aemit(callbacks: Callbacks, name: str, data: Any) -> None:
    """Async ``emit``: awaits the async handlers."""
    if not callbacks:
        return
    if isinstance(callbacks, AsyncCallbackManager):
        manager = callbacks
    else:
        manager = AsyncCallbackManager.configure(inheritable_callbacks=_handlers(callbacks))
    if not manager.handlers:
        return
    await manager.on_custom_event(name, data, run_id=manager.parent_run_id or uuid.uuid4())


def _handlers(callbacks: Callbacks) -> Any:
    if isinstance(callbacks, BaseCallbackManager):
        return callbacks.handlers
    return callbacks
