"""Map workers take their items in a loop, not one recursive call per item.

moto's Map workers (inline Map, Distributed Map's item processor and its legacy iterator) take
the next item by calling themselves again after each one, so a worker's stack grows by a few
frames per item: one worker over 10,000 items hit RecursionError (the JSONata fix raises the
limit to 10,000) and the Map Run never ended. AWS runs up to 40 inline iterations at once and
Distributed Maps over millions of items; the same steps run here in a loop, so any number of
items works. Order of steps, frames and events per item are moto's.

The item pools of the Maps running now are also tracked (`items_in_progress`), so a long run can
show how many items are done out of how many (moto's Map Run counters count an item only once a
worker takes it).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

_installed = False
_pools: weakref.WeakSet[Any] = weakref.WeakSet()


def _iterative(open_job_frame: str, end_frame: str, *, links_next_event: bool) -> Callable[..., None]:
    """A worker's `_eval_pool` as a loop; `open_job_frame`/`end_frame` name the frame methods that variant uses."""

    def eval_pool(self: Any, job: Any, worker_frame: Any) -> None:
        while job is not None:
            job_frame = getattr(worker_frame, open_job_frame)()
            self._eval_job(env=job_frame, job=job)
            getattr(worker_frame, end_frame)(job_frame)
            # The worker stops at a failed item, or when the Map is stopped.
            if isinstance(job.job_output, Exception) or self.stopped():
                break
            next_job = self._job_pool.next_job()
            if next_job is None:
                if links_next_event:  # the Map's next event follows the worker's last one
                    worker_frame.event_history_context.source_event_id = (
                        job_frame.event_history_context.last_published_event_id)
                break
            self._job_pool.close_job(job)
            job = next_job
        # The worker's frame ends before its last job closes: the Map waits on jobs, not on workers.
        getattr(self._env, end_frame)(worker_frame)
        if job is not None:
            self._job_pool.close_job(job)

    return eval_pool


def items_in_progress() -> tuple[int, int]:
    """(items done, items) over the Maps (inline or Distributed) whose items are not all done yet."""
    done = total = 0
    for pool in list(_pools):
        closed, size = len(pool._closed_jobs), pool._jobs_number
        if closed < size and pool.get_worker_exception() is None:
            done, total = done + closed, total + size
    return done, total


def _tracked(init: Callable[..., None]) -> Callable[..., None]:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        _pools.add(self)

    return __init__


def install() -> None:
    """Replace the recursive `_eval_pool` of moto's three Map workers (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (
        distributed_item_processor_worker as item_processor,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iteration_worker import (
        IterationWorker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iterator import (
        distributed_iterator_worker as iterator,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.job import JobPool

    IterationWorker._eval_pool = _iterative("open_inner_frame", "close_frame", links_next_event=True)
    item_processor.DistributedItemProcessorWorker._eval_pool = _iterative(
        "open_inner_frame", "delete_frame", links_next_event=False)
    iterator.DistributedIteratorWorker._eval_pool = _iterative("open_frame", "delete_frame", links_next_event=False)
    JobPool.__init__ = _tracked(JobPool.__init__)
    _installed = True
