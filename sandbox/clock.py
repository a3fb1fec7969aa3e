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

Wake-ups are targeted: each waiter blocks on a wake-up of its own, set only by
whoever concerns it (the thread setting its event, the clock passing its
deadline), and deadlines sit in heaps. Ten thousand executions waiting at once
then cost what each one's own wake-ups cost, not ten thousand times that. One
thread, the clock's driver, watches for quiet moments while anybody waits.
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
COMPACT_AFTER = 1024
"""Ended waits whose deadlines may stay in the heaps before the heaps are rebuilt without them."""
PACE_LIMIT = 4
"""Threads holding the clock beyond which a timer (or a caller outside the sandbox) starting more work waits."""
PACE_POLL_SECONDS = 0.0005
PACE_STALL_SECONDS = 0.05
"""Wall time without any holder letting go after which `pace` stops waiting (they wait for something else)."""
PACE_PAUSE_SECONDS = 1.0
"""After such a stall, `pace` waits for nobody for this long."""


_hand_back_hooks = threading.local()


@contextmanager
def on_hand_back(callback: Callable[[], None]) -> Iterator[None]:
    """Call `callback` each time this thread is about to give its hold back: a wait on the clock, or a wait
    for other threads (`released`). It runs while the thread still holds the clock, so what it starts (a
    thread reserving its own hold) is running before the clock may move."""
    previous = getattr(_hand_back_hooks, "callback", None)
    _hand_back_hooks.callback = callback
    try:
        yield
    finally:
        _hand_back_hooks.callback = previous


def _before_hand_back() -> None:
    callback = getattr(_hand_back_hooks, "callback", None)
    if callback is not None:
        callback()


class NotifyingEvent(threading.Event):
    """An Event that tells the active clock when it is set, so its waiters on the clock wake at once.

    A plain `threading.Event` waited on through the clock works too, but its waiter has to poll it.
    """

    def set(self) -> None:
        super().set()
        clock = active()
        if clock is not None:
            clock.woken(self)


@dataclass(eq=False)
class _Waiter:
    """A thread waiting on the clock, and the holds it gave back for the wait."""

    event: threading.Event
    held: int
    wake: threading.Event = field(default_factory=threading.Event)
    """Set by whoever concerns this waiter only: its event's setter, the clock passing its deadline."""
    restored: bool = False
    signalled: bool = False
    """Its event was set while it waited (it may be cleared again at once: a pulse still counts)."""
    wake_ups: int = 0


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
        self._last_now: tuple[float, datetime] = (self._now, datetime.fromtimestamp(self._now, UTC))
        """The instant `now()` gave last, with the seconds it was made from (datetimes are immutable)."""
        self._quiet = quiet_seconds
        self._lock = threading.Lock()
        self._driver_cond = threading.Condition(self._lock)
        """Only the driver waits on it: told when the clock may be able to move."""
        self._driver: threading.Thread | None = None
        self._internal: list[_Deadline] = []
        self._external: list[_Deadline] = []
        self._ended_waits = 0
        """Deadlines of waits that ended before them, possibly still in the heaps."""
        self._seq = itertools.count()
        self._inflight = 0
        self._waiting = 0
        self._waiters: dict[int, list[_Waiter]] = {}
        """Threads waiting on an event, by the event's id: whoever sets it hands their holds back."""
        self._held = threading.local()
        self._last_activity = _wall.monotonic()
        self._unpaced_until = 0.0
        self.wake_ups = 0
        """Wake-ups sent to waiters so far (one per waiter concerned: the measure of targeted wake-ups)."""

    # -- reading -----------------------------------------------------------
    def time(self) -> float:
        """Virtual seconds since the epoch."""
        return self._now

    def now(self) -> datetime:
        """Virtual time as an aware UTC datetime."""
        # Virtual time stands still between moves: every history event of a Map child asks for the same instant.
        seconds, moment = self._last_now
        if seconds != self._now:
            seconds = self._now
            moment = datetime.fromtimestamp(seconds, UTC)
            self._last_now = (seconds, moment)  # one tuple: threads read and replace it whole
        return moment

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
        with self._lock:
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
        with self._lock:
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
        _before_hand_back()
        with self._lock:
            held = getattr(self._held, "depth", 0)
            self._inflight -= held
            self.touch()
            self._driver_cond.notify()
        try:
            yield
        finally:
            with self._lock:
                self._inflight += held
                self.touch()

    # -- waiting -----------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        """Block the calling thread for `seconds` of virtual time."""
        if seconds <= 0:
            return
        self.wait_for(NotifyingEvent(), seconds)

    def wait_for(self, event: threading.Event, timeout: float | None, *, external: bool = False,
                 until: float | None = None) -> bool:
        """Wait until `event` is set or `timeout` virtual seconds pass; True when set.

        `until`, instead of `timeout`, is a deadline in virtual time: for a window that opened
        earlier (a task's start, the last heartbeat). Another thread may move the clock between
        reading it and this call; a deadline worked out from that reading would then slip.
        `external` marks a wait for the outside world (a callback token): the clock
        does not jump to its deadline on its own. A `NotifyingEvent` wakes its waiter
        at once; any other event is polled every quiet period by its own waiter.
        """
        if event.is_set():
            return True
        _before_hand_back()
        deadline = None
        with self._lock:
            waiter = _Waiter(event, getattr(self._held, "depth", 0))
            self._inflight -= waiter.held
            self._waiters.setdefault(id(event), []).append(waiter)
            self._waiting += 1
            if until is None and timeout is not None:
                until = self._now + max(float(timeout), 0.0)
            if until is not None:
                deadline = self._schedule(max(until, self._now), external, event=event, waiter=waiter)
            self._driver_cond.notify()  # the holds it gave back may leave the clock free to move
            self._start_driver()
        poll = None if isinstance(event, NotifyingEvent) else self._quiet
        try:
            while True:
                waiter.wake.clear()  # before looking: a wake-up from now on is not lost
                if waiter.signalled or event.is_set():
                    return True
                if deadline is not None and self._now >= deadline.at:
                    return False
                waiter.wake.wait(poll)
        finally:
            with self._lock:
                # Always take the hold back, even when the wait itself failed (unless a waker already did).
                self._restore(waiter)
                waiters = self._waiters[id(event)]
                waiters.remove(waiter)
                if not waiters:
                    del self._waiters[id(event)]
                self._waiting -= 1
                if deadline is not None and not deadline.done:
                    deadline.done = True
                    self._ended_waits += 1
                    self._compact()
                if not self._waiting:
                    self._driver_cond.notify()  # nobody waits: the driver ends
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

    def _wake(self, waiter: _Waiter) -> None:
        """Its wait is over: it holds the clock again from now, and runs. Lock held."""
        self._restore(waiter)
        waiter.wake_ups += 1
        self.wake_ups += 1
        waiter.wake.set()

    def woken(self, event: threading.Event) -> None:
        """`event` was just set: its waiters (only them) hold the clock again from now, and wake up."""
        with self._lock:
            for waiter in self._waiters.get(id(event), ()):
                waiter.signalled = True
                self._wake(waiter)
            self.touch()

    def call_at(self, at: datetime | float, callback: Callable[[], None]) -> None:
        """Run `callback` when virtual time reaches `at` (a service's own timer)."""
        when = at.timestamp() if isinstance(at, datetime) else float(at)
        with self._lock:
            self._schedule(when, external=False, callback=callback)

    def call_later(self, seconds: float, callback: Callable[[], None]) -> None:
        self.call_at(self._now + seconds, callback)

    # -- moving ------------------------------------------------------------
    def advance(self, seconds: float = 0, *, to: datetime | None = None, **delta: float) -> None:
        """Move virtual time forward on purpose (external deadlines included)."""
        target = to.timestamp() if to else self._now + seconds + timedelta(**delta).total_seconds()
        self._move_to(target)

    def next_deadline(self, *, include_external: bool = True) -> float | None:
        with self._lock:
            heads = [self._head(self._internal)] + ([self._head(self._external)] if include_external else [])
            return min((head.at for head in heads if head is not None), default=None)

    def pending_deadlines(self, *, external: bool) -> int:
        """How many external (or internal) deadlines are pending: e.g. a callback Task waiting for its token."""
        with self._lock:
            return sum(1 for d in (self._external if external else self._internal) if d.pending)

    def advance_to_next(self, *, include_external: bool = True) -> bool:
        """Jump to the earliest pending deadline; False when nothing is pending."""
        target = self.next_deadline(include_external=include_external)
        if target is None:
            return False
        self._move_to(max(target, self._now))
        return True

    def is_waited_on(self, event: threading.Event) -> bool:
        """Whether a thread is blocked on the clock waiting for `event` right now."""
        with self._lock:
            return bool(self._waiters.get(id(event)))

    def holds(self) -> bool:
        """Whether the calling thread holds the clock (a busy block, a thread that evaluates states, a timer)."""
        return getattr(self._held, "depth", 0) > 0

    @property
    def is_busy(self) -> bool:
        """Real work (a task, a handler, a service timer) is running right now."""
        return self._inflight > 0

    def pace(self, limit: int = PACE_LIMIT, *, stall_seconds: float = PACE_STALL_SECONDS) -> None:
        """Let the threads already at work go on before this one starts more (an execution from an event).

        Every execution is a thread. A service timer that sends ten thousand S3 events starts ten
        thousand of them at once, and thousands of runnable threads cost far more than their work
        (each wakes at every switch interval to ask for the GIL): the same story ran four times
        slower. So a thread that evaluates no state (a timer, for which the clock holds still, or a
        caller outside the sandbox) waits, in wall time only, while more than `limit` other threads
        hold the clock. An execution's own thread never waits (others may be waiting for it); a
        thread waiting on the clock holds nothing; and if no holder lets go for `stall_seconds`
        (they wait for something else), it stops waiting for a while. Virtual time and the order of
        events do not change: only how many executions run at once.
        """
        if self.holds() and not getattr(self._held, "timer", False):
            return
        if _wall.monotonic() < self._unpaced_until:
            return
        own = getattr(self._held, "depth", 0)
        fewest, since = self._inflight - own, _wall.monotonic()
        while self._inflight - own > limit:
            _wall.sleep(PACE_POLL_SECONDS)
            others, now = self._inflight - own, _wall.monotonic()
            if others < fewest:
                fewest, since = others, now
            elif now - since > stall_seconds:
                self._unpaced_until = now + PACE_PAUSE_SECONDS
                return

    # -- internals ---------------------------------------------------------
    def _run_timer(self, callback: Callable[[], None]) -> None:
        self._held.timer = True
        try:
            with self.adopted():  # _set_now reserved the hold
                callback()
        finally:
            self._held.timer = False

    def _release_hold(self) -> None:
        """End this thread's busy hold (see `busy`); waiters may move the clock again."""
        self._release(depth=1)

    def _release(self, depth: int) -> None:
        with self._lock:
            self._inflight -= 1
            self._held.depth = getattr(self._held, "depth", 0) - depth
            self.touch()
            if self._inflight <= 0:
                self._driver_cond.notify()

    def _schedule(self, at: float, external: bool, callback: Callable[[], None] | None = None,
                  event: threading.Event | None = None, waiter: _Waiter | None = None) -> _Deadline:
        """Lock held."""
        deadline = _Deadline(at, next(self._seq), external, callback, event, waiter=waiter)
        heapq.heappush(self._external if external else self._internal, deadline)
        if not external:
            self._driver_cond.notify()  # maybe a new earliest stop
        return deadline

    @staticmethod
    def _head(heap: list[_Deadline]) -> _Deadline | None:
        """The earliest pending deadline of `heap`, dropping ended ones on the way. Lock held."""
        while heap and not heap[0].pending:
            heapq.heappop(heap)
        return heap[0] if heap else None

    def _compact(self) -> None:
        """Rebuild the heaps without ended waits once they are most of them (tasks that ended before their timeout)."""
        if self._ended_waits < COMPACT_AFTER or self._ended_waits * 2 < len(self._internal) + len(self._external):
            return
        for heap in (self._internal, self._external):
            heap[:] = [d for d in heap if d.pending]
            heapq.heapify(heap)
        self._ended_waits = 0

    def _start_driver(self) -> None:
        """Someone waits: make sure a driver watches for quiet moments. Lock held."""
        if self._driver is None:
            self._driver = threading.Thread(target=self._drive, name="sandbox-clock", daemon=True)
            self._driver.start()

    def _drive(self) -> None:
        """While anybody waits on the clock: jump to the earliest internal deadline whenever the sandbox is quiet."""
        with self._lock:
            try:
                while self._waiting:
                    self._driver_cond.wait(self._jump_if_quiet())
            finally:
                self._driver = None

    def _jump_if_quiet(self) -> float | None:
        """Jump if nothing holds the clock and nothing happened for a quiet period. Lock held.

        Returns how long to wait before looking again: None until told (by a hold given back,
        a new deadline, a waiter leaving).
        """
        if self._inflight > 0:
            return None
        head = self._head(self._internal)
        if head is None:
            return None
        idle = _wall.monotonic() - self._last_activity
        if idle < self._quiet:
            return self._quiet - idle
        self._set_now(head.at)
        return self._quiet

    def _move_to(self, target: float) -> None:
        with self._lock:
            self._set_now(max(target, self._now))

    def _pop_due(self, target: float) -> _Deadline | None:
        """The earliest pending deadline at or before `target`, off its heap. Lock held."""
        heads = [(head, heap) for heap in (self._internal, self._external) if (head := self._head(heap)) is not None]
        if not heads:
            return None
        head, heap = min(heads, key=lambda pair: pair[0])
        if head.at > target:
            return None
        return heapq.heappop(heap)

    def _set_now(self, target: float) -> None:
        """Move to `target`, firing timers and ending waits due on the way, in order. Lock held.

        A timer's thread cannot add an earlier deadline meanwhile: it needs the lock held here.
        """
        while (due := self._pop_due(target)) is not None:
            self._now = max(self._now, due.at)
            if due.callback is not None:
                due.done = True
                # Timers run on their own thread (they may call services that touch the clock),
                # busy from now: nothing moves past them until their work is done.
                self._inflight += 1
                threading.Thread(target=self._run_timer, args=(due.callback,), name="sandbox-timer",
                                 daemon=True).start()
            elif due.waiter is not None:
                self._wake(due.waiter)  # its wait is over
        self._now = max(self._now, target)
        self.touch()


_active: VirtualClock | None = None


def active() -> VirtualClock | None:
    """The clock of the sandbox that is running now, if any."""
    return _active


def set_active(clock: VirtualClock | None) -> None:
    global _active
    _active = clock
