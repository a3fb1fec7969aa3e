"""How far a sandbox's work has got, what it still waits on, and a progress line for long runs.

`snapshot(sb)` counts what moves while executions run: history events of the running
executions, Map items finished (inline and Distributed), executions started and ended, service
calls made, virtual time. Two equal snapshots a while apart mean nothing moved: that is how `Sandbox.settle` tells a
long healthy run from a hung one. `pending(sb)` names what a hung run waits on, for its error
message. `ProgressLine` shows snapshots on stderr the way tqdm does: one line rewritten in
place on a terminal, a line every few seconds otherwise (CI logs, pipes).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TextIO

from sandbox.moto_fixes import map_pool

SHOW_AFTER_SECONDS: Final[float] = 2.0
"""A run shorter than this shows no progress at all."""
LOG_EVERY_SECONDS: Final[float] = 10.0
"""Off a terminal, one progress line per this many seconds."""
REDRAW_EVERY_SECONDS: Final[float] = 0.2


@dataclass(frozen=True)
class Snapshot:
    running: int
    ended: int
    events: int
    """History events of the running executions."""
    items_done: int
    """Items done of the Maps (inline or Distributed) running now."""
    items_total: int
    virtual_time: float
    service_calls: int
    """Made by the executions (and timers, handlers) so far: a long state such as an ItemReader paging moves too."""

    def moved_since(self, other: Snapshot | None) -> bool:
        return other is None or self != other


def _environment(execution: Any) -> Any:
    return getattr(getattr(execution, "exec_worker", None), "env", None)


def _map_runs(env: Any) -> list[Any]:
    manager = getattr(env, "map_run_record_pool_manager", None)
    return manager.get_all() if manager is not None else []


def _items_done(record: Any) -> int:
    counter = record.item_counter
    return counter.succeeded.get() + counter.failed.get() + counter.timed_out.get() + counter.aborted.get()


def _events(env: Any) -> list[dict[str, Any]]:
    manager = getattr(env, "event_manager", None)
    return list(getattr(manager, "_history_event_list", ())) if manager is not None else []


EndedPrefixes = dict[str, tuple[list[Any], int]]
"""By state machine ARN: its list of executions when last read, and how many of the first ones had ended."""


def snapshot(sb: Any, ended: EndedPrefixes | None = None) -> Snapshot:
    """What the sandbox `sb` has done so far (cheap enough to take several times a second).

    `ended`: kept by a caller that takes snapshots again and again (see `Patience`): an ended
    execution never runs again and moto only appends to a machine's executions, so each snapshot
    reads from the first execution the previous one found running, not all ten thousand of a story.
    """
    ended = {} if ended is None else ended
    running: list[Any] = []
    count = 0
    for machine in sb._backend().state_machines:
        executions = machine.executions
        seen, first = ended.get(machine.arn, (None, 0))
        if seen is not executions:
            first = 0
        first_running = None
        for index in range(first, len(executions)):
            # The status field (None while starting), not moto's status property: cheaper over thousands.
            if getattr(executions[index].exec_status, "value", "RUNNING") == "RUNNING":
                running.append(executions[index])
                first_running = index if first_running is None else first_running
        ended[machine.arn] = (executions, len(executions) if first_running is None else first_running)
        count += len(executions)
    events = 0
    for execution in running:
        manager = getattr(_environment(execution), "event_manager", None)
        events += len(getattr(manager, "_history_event_list", ()))
    items_done, items_total = map_pool.items_in_progress()
    return Snapshot(running=len(running), ended=count - len(running), events=events,
                    items_done=items_done, items_total=items_total, virtual_time=sb.clock.time(),
                    service_calls=sb.service_calls)


def _open_states(history: list[dict[str, Any]]) -> list[str]:
    """States entered and not yet exited, innermost last."""
    open_states: list[str] = []
    for event in history:
        entered = event.get("stateEnteredEventDetails")
        exited = event.get("stateExitedEventDetails")
        if entered:
            open_states.append(entered["name"])
        elif exited and exited["name"] in open_states:
            last = len(open_states) - 1 - open_states[::-1].index(exited["name"])
            del open_states[last]
    return open_states


NAMED_EXECUTIONS = 10
"""Running executions named in a message about what is pending; the rest are counted."""


def pending(sb: Any) -> list[str]:
    """One phrase per running execution: where it is and what it waits for."""
    phrases = []
    slugs = {machine.arn: slug for slug, machine in sb.state_machines.items()}
    running = sb._backend()._get_executions("RUNNING")
    for execution in running[:NAMED_EXECUTIONS]:
        slug = slugs.get(execution.state_machine_arn, execution.state_machine_arn.rsplit(":", 1)[-1])
        env = _environment(execution)
        if env is None:
            phrases.append(f"{slug} {execution.name}: not started")
            continue
        states = _open_states(_events(env))
        where = f"in {' > '.join(states)}" if states else "between states"
        waits = []
        tokens = sb.pending_task_tokens(execution.execution_arn)
        if tokens:
            waits.append(f"{len(tokens)} task token{'s' if len(tokens) > 1 else ''} nobody answered "
                         "(SendTaskSuccess/SendTaskFailure; --approve/--reject on the command line)")
        for record in _map_runs(env):
            total = record.item_counter.total.get()
            if _items_done(record) < total:
                waits.append(f"Map Run {_items_done(record):,}/{total:,} items")
        phrases.append(f"{slug} {execution.name} {where}" + (f", waiting on {'; '.join(waits)}" if waits else ""))
    if len(running) > NAMED_EXECUTIONS:
        phrases.append(f"{len(running) - NAMED_EXECUTIONS:,} more executions running")
    deadline = sb.clock.next_deadline(include_external=True)
    if deadline is not None and deadline > sb.clock.time():
        phrases.append(f"next clock deadline in {deadline - sb.clock.time():,.0f} virtual s")
    return phrases


def describe(snap: Snapshot) -> str:
    """`3,412/10,000 items (34%), 1 running, 5 ended, 1,204 events`."""
    parts = []
    if snap.items_total:
        parts.append(f"{snap.items_done:,}/{snap.items_total:,} items ({snap.items_done * 100 // snap.items_total}%)")
    parts.append(f"{snap.running:,} running")
    parts.append(f"{snap.ended:,} ended")
    if snap.events:
        parts.append(f"{snap.events:,} events")
    return ", ".join(parts)


class Patience:
    """When a wait on the sandbox gives up: after `wall_timeout` s, or `stall_timeout` s in which nothing moved.

    Either may be None (no such limit). `check()` is called from the wait's poll loop: it takes a
    snapshot now and then, hands it to `on_progress`, and returns why to give up (or None).
    """

    SNAPSHOT_EVERY_SECONDS: Final[float] = 0.5
    LONGEST_PAUSE_SECONDS: Final[float] = 0.025

    def __init__(self, sb: Any, *, wall_timeout: float | None, stall_timeout: float | None = None,
                 on_progress: Callable[[Snapshot], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._sb, self._clock = sb, clock
        self._wall_timeout, self._stall_timeout, self._on_progress = wall_timeout, stall_timeout, on_progress
        self._started = self._moved_at = self._taken_at = clock()
        self._last: Snapshot | None = None
        self._ended: EndedPrefixes = {}

    def check(self) -> str | None:
        now = self._clock()
        if self._wall_timeout is not None and now - self._started > self._wall_timeout:
            return f"still running after {self._wall_timeout:g} s of wall time"
        if self._stall_timeout is None and self._on_progress is None:
            return None
        if now - self._taken_at >= self.SNAPSHOT_EVERY_SECONDS or self._last is None:
            self._taken_at = now
            snap = snapshot(self._sb, self._ended)
            if snap.moved_since(self._last):
                self._last, self._moved_at = snap, now
            if self._on_progress is not None:
                self._on_progress(snap)
        if self._stall_timeout is not None and now - self._moved_at > self._stall_timeout:
            return f"nothing moved for {self._stall_timeout:g} s of wall time"
        return None

    def pause(self, shortest: float, sleep: Callable[[float], None] = time.sleep) -> None:
        """Sleep between two polls: briefly at first, longer as the wait goes on.

        A poll reads every execution and takes the GIL from the executions it waits for: a long
        run is polled every 25 ms, a short one stays as quick to notice its end as before.
        `sleep` may end early (e.g. when an execution ends).
        """
        elapsed = self._clock() - self._started
        sleep(max(shortest, min(self.LONGEST_PAUSE_SECONDS, elapsed / 100)))

    def reason(self, why: str) -> str:
        """`why`, with what is still pending."""
        waiting = pending(self._sb)
        return f"{why}; pending: {' | '.join(waiting)}" if waiting else why


class ProgressLine:
    """Snapshots shown on a stream (stderr) once a run has taken `SHOW_AFTER_SECONDS`."""

    def __init__(self, stream: TextIO | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._clock = clock
        self._started = clock()
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._last_shown: float | None = None
        self._width = 0

    def update(self, snap: Snapshot) -> None:
        now = self._clock()
        elapsed = now - self._started
        if elapsed < SHOW_AFTER_SECONDS:
            return
        every = REDRAW_EVERY_SECONDS if self._tty else LOG_EVERY_SECONDS
        if self._last_shown is not None and now - self._last_shown < every:
            return
        self._last_shown = now
        line = f"sandbox: {describe(snap)} [{elapsed:,.0f} s]"
        if self._tty:
            self._stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
        else:
            self._stream.write(line + "\n")
        self._stream.flush()

    def close(self) -> None:
        """On a terminal, wipe the line so the run's own output starts clean."""
        if self._tty and self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0
