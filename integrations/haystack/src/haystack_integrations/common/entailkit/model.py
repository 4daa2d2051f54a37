"""Lazy, shared model loading for the components: a model id in, an entailkit task out at warm-up.

A component holds only the model id (what ``to_dict`` writes); ``warm_up`` loads it through
``entailkit.shared_scorer`` (one scorer per model id and options, shared with every other surface) and
builds the task on it. ``warm_up_async`` does the same in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from entailkit.errors import InvalidInputError

__all__ = ["LazyTask", "LazyWarmUp", "check_load_options", "check_model"]

_Task = TypeVar("_Task")
_KINDS = (None, "cross-encoder", "gliclass", "embedding")


def check_model(model: Any, owner: str, name: str = "model") -> str:
    """The model id as a str (a ``Path`` becomes its string), or an InvalidInputError naming ``owner``."""
    if isinstance(model, os.PathLike):
        model = os.fspath(model)
    if not isinstance(model, str) or not model.strip():
        raise InvalidInputError(
            f"{owner} needs {name}= a local model directory or a hub id "
            f"(e.g. 'MoritzLaurer/deberta-v3-base-zeroshot-v2.0'), got {model!r:.80}."
        )
    return str(model)


def check_kind(kind: Any, owner: str) -> str | None:
    """``kind`` when it is one entailkit knows (None: read from the model's config)."""
    if kind not in _KINDS:
        raise InvalidInputError(
            f"{owner}: kind must be None, 'cross-encoder', 'gliclass' or 'embedding', got {kind!r}."
        )
    return kind  # type: ignore[no-any-return]


def check_load_options(options: Any, owner: str) -> dict[str, Any]:
    """``load_scorer`` options (device, dtype, batch_size, ...) as a plain dict with str keys."""
    if options is None:
        return {}
    if not isinstance(options, Mapping) or not all(isinstance(key, str) for key in options):
        raise InvalidInputError(
            f"{owner}: load_options must be a dict of entailkit.load_scorer options "
            f"(e.g. {{'device': 'cpu'}}), got {type(options).__name__}."
        )
    return dict(options)


class LazyTask(Generic[_Task]):
    """An entailkit task built on first use from a model id: ``get()`` in sync code, ``aget()`` in async."""

    def __init__(
        self,
        model: Any,
        build: Callable[[Any], _Task],
        *,
        owner: str,
        kind: Any = None,
        load_options: Any = None,
    ) -> None:
        """Check the model id and options now; load nothing yet.

        Args:
            model: A local model directory or a hub id.
            build: Makes the task from the loaded scorer (e.g. ``spec.build``).
            owner: The component's class name, for errors.
            kind: The kind the model is loaded as (None: read from its config).
            load_options: Extra ``entailkit.load_scorer`` options.

        Raises:
            InvalidInputError: A blank or non-str model id, an unknown kind, or options that are not a dict.
        """
        self.model = check_model(model, owner)
        self.kind = check_kind(kind, owner)
        self.load_options = check_load_options(load_options, owner)
        self._build = build
        self._task: _Task | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the model is loaded and the task built."""
        return self._task is not None

    def get(self) -> _Task:
        """The task, loading the shared scorer and building the task on first call (blocking)."""
        if self._task is None:
            with self._lock:
                if self._task is None:
                    from entailkit import shared_scorer

                    scorer = shared_scorer(self.model, self.kind, **self.load_options)
                    self._task = self._build(scorer)
        return self._task

    async def aget(self) -> _Task:
        """``get`` for coroutines: the first load runs in a worker thread, so the loop keeps running."""
        if self._task is not None:
            return self._task
        return await asyncio.to_thread(self.get)


class LazyWarmUp:
    """Haystack's ``warm_up`` / ``warm_up_async`` for a component whose task is the LazyTask ``_lazy``."""

    _lazy: LazyTask[Any]

    def warm_up(self) -> None:
        """Load the model (shared with every component naming the same id) and build the task."""
        self._lazy.get()

    async def warm_up_async(self) -> None:
        """``warm_up`` in a worker thread, so ``Pipeline.run_async`` keeps its event loop running."""
        await self._lazy.aget()
