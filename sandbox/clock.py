"""A virtual clock for offline executions.

Step Functions workflows wait a lot: Wait states, Retry back-off, polling loops,
task timeouts, humans who answer a callback a day later. Offline, none of that
should cost wall time, yet the order of events must stay what AWS would produce.

The clock is a tiny discrete-event scheduler. Every waiter registers a virtual
deadline and blocks. When the sandbox is quiet (no service call or Lambda in
flight, nothing happened for a couple of wall milliseconds), the clock jumps to
the earliest *internal* deadline and wakes whoever it belongs to. Deadlines that
wait for the outside world (a callback token, a human approval) are *external*:
the clock never jumps to them by itself; a test or the CLI advances to them on
purpose, which is how a 24-hour approval timeout is exercised.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time as _wall
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

QUIET_SECONDS = 0.002
"""Wall time with no activity after which the sandbox counts as idle."""


@dataclass(eq=False)
class _Waiter:
    """A thread waiting on the clock, and the holds it gave back for the wait."""

    event: threading.Event
    held: int
    restored: bool = False


@dataclass(order=True)
class _Deadline:
    at: float
    seq: int
    external: bool = field(compare=False)
    callback: Callable[[], None] | None = field(compare=False, default=None)
    event: threading.Event | None = field(compare=False, default=None)
    done: bool = field(compare=False, default=False)
    waiter: _Waiter | None = field(compare=False, default=None)

    @property
    def pending(self) -> bool:
        return not self.done and not (self.event is not None and self.event.is_set())


class VirtualClock:
    """Virtual UTC time shared by every execution of one sandbox."""

    def __init__(self, start: datetime | None = None, quiet_seconds: float = QUIET_SECONDS) -> None:
        start = start or datetime.now(UTC)
        self._now = start.timestamp()
        self._quiet = quiet_seconds
        self._cond = threading.Condition()
        self._deadlines: list[_Deadline] = []
        self._seq = itertools.count()
        self._inflight = 0
        self._waiters: dict[int, list[_Waiter]] = {}
        """Threads waiting on an event, by the event's id: whoever sets it hands their holds back."""
        self._held = threading.local()
        self._last_activity = _wall.monotonic()

    # -- reading -----------------------------------------------------------
    def time(self) -> float:
        """Virtual seconds since the epoch."""
        return self._now

    def now(self) -> datetime:
        """Virtual time as an aware UTC datetime."""
        return datetime.fromtimestamp(self._now, UTC)

    # -- activity ----------------------------------------------------------
    def touch(self) -> None:
        """Record that something happened; the clock stays put for a moment."""
        self._last_activity = _wall.monotonic()

    @contextmanager
    def busy(self) -> Iterator[None]:
        """Hold the clock still while real work (a task, a handler) runs on this thread.

        A busy thread that then waits on the clock (a task that sleeps or hangs)
        releases its hold for the duration of that wait.
        """
        with self._cond:
            self._inflight += 1
            self._held.depth = getattr(self._held, "depth", 0) + 1
        try:
            yield
        finally:
            self._release_hold()

    def reserve(self) -> None:
        """Hold the clock now for a thread about to start; that thread calls `adopted()`.

        A thread can take a moment to start: a hold taken only once it runs would leave a
        gap in which the clock may jump past what the new thread was about to do.
        """
        with self._cond:
            self._inflight += 1

    def unreserve(self) -> None:
        """Drop a hold `reserve()` took that no thread adopted (it bridged a hand-over)."""
        self._release(depth=0)

    @contextmanager
    def adopted(self) -> Iterator[None]:
        """Make the hold `reserve()` took this thread's own, until the block ends."""
        self._held.depth = getattr(self._held, "depth", 0) + 1
        try:
            yield
        finally:
            self._release_hold()

    @contextmanager
    def released(self) -> Iterator[None]:
        """Give this thread's busy hold back while it only waits for other threads.

        A Distributed Map holds the clock while it reads its items and starts its children,
        then waits for them: their Wait states and Retry back-offs need the clock to move.
        """
        with self._cond:
            held = getattr(self._held, "depth", 0)
            self._inflight -= held
            self.touch()
            self._cond.notify_all()
        try:
            yield
        finally:
            with self._cond:
                self._inflight += held
                self.touch()

    # -- waiting -----------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        """Block the calling thread for `seconds` of virtual time."""
        if seconds <= 0:
            return
        self.wait_for(threading.Event(), seconds)

    def wait_for(self, event: threading.Event, timeout: float | None, *, external: bool = False) -> bool:
        """Wait until `event` is set or `timeout` virtual seconds pass; True when set.

        `external` marks a wait for the outside world (a callback token): the clock
        does not jump to its deadline on its own.
        """
        if event.is_set():
            return True
        deadline = None
        with self._cond:
            waiter = _Waiter(event, getattr(self._held, "depth", 0))
            self._inflight -= waiter.held
            self._waiters.setdefault(id(event), []).append(waiter)
            try:
                if timeout is not None:
                    deadline = self._schedule(self._now + max(float(timeout), 0.0), external, event=event,
                                              waiter=waiter)
                while not event.is_set():
                    if deadline is not None and self._now >= deadline.at:
                        return event.is_set()
                    # A setter may not notify our condition: the timed wait polls the event too.
                    if not self._cond.wait(self._quiet) and not event.is_set():
                        self._maybe_jump()
                return True
            finally:
                # Always take the hold back, even when the wait itself failed (unless a waker already did).
                self._restore(waiter)
                self._waiters[id(event)].remove(waiter)
                if not self._waiters[id(event)]:
                    del self._waiters[id(event)]
                if deadline is not None:
                    deadline.done = True
                self.touch()

    def _restore(self, waiter: _Waiter) -> None:
        """Give a waiter its holds back. Lock held.

        Done by whoever wakes it (the thread setting its event, the clock passing its
        deadline) rather than by the waiter once it runs again: in between, a quiet moment
        could let the clock jump past what the waiter is about to do.
        """
        if not waiter.restored:
            waiter.restored = True
            self._inflight += waiter.held

    def woken(self, event: threading.Event) -> None:
        """`event` was just set: its waiters hold the clock again from now, and wake up."""
        with self._cond:
            for waiter in self._waiters.get(id(event), ()):
                self._restore(waiter)
            self.touch()
            self._cond.notify_all()

    def call_at(self, at: datetime | float, callback: Callable[[], None]) -> None:
        """Run `callback` when virtual time reaches `at` (a service's own timer)."""
        when = at.timestamp() if isinstance(at, datetime) else float(at)
        with self._cond:
            self._schedule(when, external=False, callback=callback)
            self._cond.notify_all()

    def call_later(self, seconds: float, callback: Callable[[], None]) -> None:
        self.call_at(self._now + seconds, callback)

    # -- moving ------------------------------------------------------------
    def advance(self, seconds: float = 0, *, to: datetime | None = None, **delta: float) -> None:
        """Move virtual time forward on purpose (external deadlines included)."""
        target = to.timestamp() if to else self._now + seconds + timedelta(**delta).total_seconds()
        self._move_to(target)

    def next_deadline(self, *, include_external: bool = True) -> float | None:
        with self._cond:
            pending = [d for d in self._deadlines if d.pending and (include_external or not d.external)]
            return min((d.at for d in pending), default=None)

    def advance_to_next(self, *, include_external: bool = True) -> bool:
        """Jump to the earliest pending deadline; False when nothing is pending."""
        target = self.next_deadline(include_external=include_external)
        if target is None:
            return False
        self._move_to(max(target, self._now))
        return True

    def is_waited_on(self, event: threading.Event) -> bool:
        """Whether a thread is blocked on the clock waiting for `event` right now."""
        with self._cond:
            return bool(self._waiters.get(id(event)))

    @property
    def is_busy(self) -> bool:
        """Real work (a task, a handler, a service timer) is running right now."""
        return self._inflight > 0

    # -- internals ---------------------------------------------------------
    def _run_timer(self, callback: Callable[[], None]) -> None:
        with self.adopted():  # _set_now reserved the hold
            callback()

    def _release_hold(self) -> None:
        """End this thread's busy hold (see `busy`); waiters may move the clock again."""
        self._release(depth=1)

    def _release(self, depth: int) -> None:
        with self._cond:
            self._inflight -= 1
            self._held.depth = getattr(self._held, "depth", 0) - depth
            self.touch()
            self._cond.notify_all()

    def notify(self) -> None:
        """Wake waiters now (an event they wait for was set)."""
        with self._cond:
            self.touch()
            self._cond.notify_all()

    def _schedule(self, at: float, external: bool, callback: Callable[[], None] | None = None,
                  event: threading.Event | None = None, waiter: _Waiter | None = None) -> _Deadline:
        deadline = _Deadline(at, next(self._seq), external, callback, event, waiter=waiter)
        heapq.heappush(self._deadlines, deadline)
        return deadline

    def _prune(self) -> None:
        while self._deadlines and not self._deadlines[0].pending:
            heapq.heappop(self._deadlines)

    def _maybe_jump(self) -> None:
        """Called with the lock held by a waiter that saw no activity for a while."""
        if self._inflight > 0 or _wall.monotonic() - self._last_activity < self._quiet:
            return
        self._prune()
        internal = [d for d in self._deadlines if d.pending and not d.external]
        if not internal:
            return
        self._set_now(min(d.at for d in internal))

    def _move_to(self, target: float) -> None:
        with self._cond:
            self._set_now(max(target, self._now))

    def _set_now(self, target: float) -> None:
        """Move to `target`, firing timers due on the way, in order. Lock held."""
        while True:
            self._prune()
            # All the timers due by `target` at once, in order: a restore of 10,000 objects has
            # 10,000 due together, and looking for the earliest one again after each is quadratic.
            # (A timer's thread cannot add an earlier one meanwhile: it needs the lock held here.)
            due = sorted(d for d in self._deadlines if d.pending and d.callback and d.at <= target)
            if not due:
                break
            for timer in due:
                timer.done = True
                self._now = max(self._now, timer.at)
                callback = timer.callback
                assert callback is not None
                # Timers run on their own thread (they may call services that touch the clock),
                # busy from now: nothing moves past them until their work is done.
                self._inflight += 1
                threading.Thread(target=self._run_timer, args=(callback,), name="sandbox-timer", daemon=True).start()
        self._now = max(self._now, target)
        for deadline in self._deadlines:
            if deadline.waiter is not None and deadline.pending and deadline.at <= self._now:
                self._restore(deadline.waiter)  # its wait is over: it holds again from now
        self.touch()
        self._cond.notify_all()


_active: VirtualClock | None = None


def active() -> VirtualClock | None:
    """The clock of the sandbox that is running now, if any."""
    return _active


def set_active(clock: VirtualClock | None) -> None:
    global _active
    _active = clock
