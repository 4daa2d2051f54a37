"""The tasks' async methods: the sync method run in a waiting thread against the shared batcher.

``arerank = async_method(rerank, items="documents")`` in a task class gives an ``async def`` with
exactly ``rerank``'s arguments and result. Each call runs the task's own sync logic on a shallow copy
of the task whose ``scorer`` is the :class:`~entailkit.batching.scoring.BatchingScorer` of
:func:`~entailkit.batching.shared.shared_batcher`, in a thread of
:func:`~entailkit.batching.shared.waiting_executor`: that thread checks input, tokenizes and waits,
while the batcher's worker merges the scorer calls of all concurrent coroutines into token-budget
model calls. The coroutine awaits the thread's future (``asyncio.wrap_future``), so the event loop
never runs the model. Reusing the sync code keeps one definition of each task's logic, so the
results are the sync ones by construction.

Cancelling the awaiting task cancels the call's cancel token: its queued jobs are dropped before the
next sub-call and other callers' jobs are untouched. At most ``max_queue`` calls per scorer are in
flight; one more raises :class:`~entailkit.errors.Overloaded` at once. A call whose ``items`` argument
is empty runs the sync method directly (it checks the other arguments and returns the empty result
without scoring), so it never touches a batcher. A lazy cache the copy fills (an attribute None on the
task, such as a Router's utterance index, built from its embedding scorer) is kept on the task.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import inspect
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from entailkit.batching.jobs import CancelToken, request_context
from entailkit.batching.shared import (
    batching_options,
    batching_scorer,
    shared_batcher,
    waiting_executor,
)
from entailkit.errors import Overloaded
from entailkit.scorers.base import Scorer

__all__ = ["BatchedTask", "async_method", "run_batched"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T", bound="BatchedTask")


class BatchedTask(Protocol):
    """A task whose model work goes through its ``scorer`` attribute (every task in ``entailkit.tasks``)."""

    scorer: Scorer


async def run_batched(task: T, call: Callable[[T], R]) -> R:
    """Run ``call(view)`` in a waiting thread, ``view`` being ``task`` on its scorer's shared batcher.

    Args:
        task: The configured task (its ``scorer`` is the real one).
        call: The sync work, given the batched copy of the task.

    Returns:
        What ``call`` returns.

    Raises:
        Overloaded: ``max_queue`` calls on this scorer are already in flight.
        asyncio.CancelledError: The awaiting task was cancelled (its queued jobs are dropped).
    """
    batcher = shared_batcher(task.scorer)
    view = copy.copy(task)
    view.scorer = batching_scorer(task.scorer)
    slot = batcher.admit()
    try:
        slot.__enter__()
    except Overloaded:
        limit = batching_options().max_queue
        raise Overloaded(
            f"{limit} async calls on this model are already in flight; await some before starting more, "
            "or raise the bound with entailkit.configure_batching(max_queue=...)."
        ) from None
    token = CancelToken()

    def work() -> R:
        with request_context(None, token):
            result = call(view)
        _keep_caches(task, view)
        return result

    try:
        future = waiting_executor().submit(work)
    except BaseException:
        slot.__exit__(None, None, None)
        raise
    future.add_done_callback(lambda _: slot.__exit__(None, None, None))  # also when cancelled unstarted
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        token.cancel("the awaiting task was cancelled")
        raise


def _keep_caches(task: Any, view: Any) -> None:
    """Give ``task`` the lazy caches its copy filled (a Router's utterance index), so they are built once."""
    mine = vars(task)
    for name, value in vars(view).items():
        if name != "scorer" and value is not None and mine.get(name, 0) is None:
            setattr(task, name, value)


def _is_empty(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 0


def async_method(
    method: Callable[Concatenate[T, P], R], *, items: str | None = None
) -> Callable[Concatenate[T, P], Coroutine[Any, Any, R]]:
    """The async twin of a task's sync ``method``: same arguments, same result, batched across coroutines.

    Args:
        method: The sync method (e.g. ``Reranker.rerank``).
        items: The argument holding the inputs to score; when it is an empty sequence the sync method runs
            directly and the batcher is not touched. None: always batched.
    """
    signature = inspect.signature(method)

    @functools.wraps(method)
    async def run(self: T, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if items is not None:
            bound = signature.bind_partial(self, *args, **kwargs)
            if items in bound.arguments and _is_empty(bound.arguments[items]):
                return method(self, *args, **kwargs)
        return await run_batched(self, lambda task: method(task, *args, **kwargs))

    run.__name__ = run.__qualname__ = f"a{method.__name__}"
    run.__doc__ = (
        f"Async ``{method.__name__}``: the same arguments and result; concurrent calls on one scorer are\n"
        "merged into shared model calls (see ``docs/async.md``).\n\n"
        "Raises:\n"
        f"    InvalidInputError: As ``{method.__name__}`` raises it.\n"
        "    Overloaded: Too many async calls on this scorer are in flight (``configure_batching(max_queue=)``).\n"
    )
    return run
