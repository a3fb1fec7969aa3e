"""The virtual clock on its own: targeted wake-ups, auto-advance, holds, external deadlines, timers.

Threads here wait on the clock and end when it moves; nothing sleeps in wall time for a set
duration, and no assertion is about how long anything took.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from sandbox import clock as clock_module
from sandbox.clock import NotifyingEvent, VirtualClock

START = datetime(2026, 1, 1, tzinfo=UTC)
JOIN_SECONDS = 30
"""A generous bound on a thread's end, only so that a broken clock fails the test instead of hanging it."""


@pytest.fixture
def clock() -> Iterator[VirtualClock]:
    clock = VirtualClock(start=START)
    clock_module.set_active(clock)
    try:
        yield clock
    finally:
        clock_module.set_active(None)


def _started(target: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def _joined(*threads: threading.Thread) -> None:
    for thread in threads:
        thread.join(JOIN_SECONDS)
        assert not thread.is_alive(), "a waiter never woke up"


def _until(condition: Callable[[], bool]) -> None:
    """Block until `condition` holds (another thread makes it true); fails rather than hangs."""
    done = threading.Event()
    for _ in range(JOIN_SECONDS * 1000):
        if condition():
            return
        done.wait(0.001)
    raise AssertionError("condition never held")


def _waiting(clock: VirtualClock, *events: threading.Event) -> None:
    _until(lambda: all(clock.is_waited_on(event) for event in events))


def test_sleepers_wake_in_virtual_order_and_the_clock_ends_at_the_last(clock: VirtualClock) -> None:
    woke: list[tuple[int, float]] = []
    lock = threading.Lock()

    events = {seconds: NotifyingEvent() for seconds in (30, 10, 20)}  # never set: only the clock ends them

    def sleeper(seconds: int) -> None:
        with clock.busy():  # as a state's thread does: once woken, it holds the clock until its work is done
            clock.wait_for(events[seconds], seconds)
            with lock:
                woke.append((seconds, clock.time() - START.timestamp()))

    with clock.busy():  # all three wait before the clock may move
        threads = [_started(lambda s=s: sleeper(s)) for s in events]
        _waiting(clock, *events.values())
    _joined(*threads)

    assert woke == [(10, 10), (20, 20), (30, 30)]
    assert clock.time() - START.timestamp() == 30


def test_setting_an_event_wakes_only_its_own_waiters(clock: VirtualClock) -> None:
    events = [NotifyingEvent() for _ in range(50)]
    results: dict[int, bool] = {}
    with clock.busy():  # nobody moves the clock meanwhile: only the events end these waits
        threads = [_started(lambda i=i: results.__setitem__(i, clock.wait_for(events[i], 3600)))
                   for i in range(len(events))]
        _waiting(clock, *events)
        before = clock.wake_ups
        events[7].set()
        _until(lambda: 7 in results)
        assert clock.wake_ups - before == 1
        for event in events:
            event.set()
        _joined(*threads)
    assert clock.wake_ups - before == len(events)
    assert all(results.values())
    assert clock.time() == START.timestamp()


def test_wake_ups_grow_with_waiters_not_with_their_square(clock: VirtualClock) -> None:
    events = [NotifyingEvent() for _ in range(400)]
    with clock.busy():
        threads = [_started(lambda e=e: clock.wait_for(e, 60)) for e in events]
        _waiting(clock, *events)
        before = clock.wake_ups
        for event in events:
            event.set()
        _joined(*threads)
    assert clock.wake_ups - before == len(events)


def test_a_pulse_wakes_its_waiter_like_a_threading_event(clock: VirtualClock) -> None:
    event = NotifyingEvent()
    result: list[bool] = []
    with clock.busy():
        thread = _started(lambda: result.append(clock.wait_for(event, 3600)))
        _waiting(clock, event)
        event.set()
        event.clear()
        _joined(thread)
    assert result == [True]


def test_a_plain_event_is_noticed_without_telling_the_clock(clock: VirtualClock) -> None:
    event = threading.Event()
    result: list[bool] = []
    with clock.busy():
        thread = _started(lambda: result.append(clock.wait_for(event, 3600)))
        _waiting(clock, event)
        event.set()  # threading.Event: no word to the clock; the waiter polls it
        _joined(thread)
    assert result == [True]
    assert clock.time() == START.timestamp()


def test_a_busy_hold_keeps_the_clock_still_and_its_release_lets_it_move(clock: VirtualClock) -> None:
    event = NotifyingEvent()
    with clock.busy():
        thread = _started(lambda: clock.wait_for(event, 60))
        _waiting(clock, event)
        with clock._lock:
            assert clock._jump_if_quiet() is None  # held: the driver waits to be told
        assert clock.time() == START.timestamp()
    _joined(thread)
    assert clock.time() == START.timestamp() + 60


def test_a_waiter_gives_its_hold_back_while_it_waits_and_takes_it_again(clock: VirtualClock) -> None:
    event = NotifyingEvent()
    inside: list[bool] = []

    def task() -> None:
        with clock.busy():
            clock.wait_for(event, 60)
            inside.append(clock.is_busy)

    with clock.busy():
        thread = _started(task)
        _waiting(clock, event)
        assert clock._inflight == 1  # this test's own hold only: the waiter gave its hold back
    _joined(thread)
    assert inside == [True]
    assert not clock.is_busy


def test_external_deadlines_wait_for_an_advance(clock: VirtualClock) -> None:
    event = NotifyingEvent()
    result: list[bool] = []
    thread = _started(lambda: result.append(clock.wait_for(event, 86400, external=True)))
    _waiting(clock, event)
    assert clock.pending_deadlines(external=True) == 1
    assert clock.next_deadline(include_external=False) is None
    with clock._lock:
        assert clock._jump_if_quiet() is None  # no internal deadline: nothing to jump to
    assert thread.is_alive()

    assert clock.advance_to_next()
    _joined(thread)
    assert result == [False]
    assert clock.time() == START.timestamp() + 86400
    assert clock.next_deadline() is None


def test_timers_fire_in_order_on_an_advance_each_holding_the_clock(clock: VirtualClock) -> None:
    fired: list[str] = []
    lock = threading.Lock()
    holds: list[bool] = []

    def timer(name: str) -> Callable[[], None]:
        def fire() -> None:
            with lock:
                fired.append(name)
                holds.append(clock.is_busy)
        return fire

    clock.call_later(20, timer("b"))
    clock.call_later(10, timer("a"))
    clock.call_later(30, timer("c"))
    assert clock.next_deadline() == START.timestamp() + 10

    clock.advance(seconds=25)
    _until(lambda: len(fired) == 2)
    assert sorted(fired) == ["a", "b"]
    assert holds == [True, True]
    assert clock.next_deadline() == START.timestamp() + 30
    assert clock.advance_to_next(include_external=False)
    _until(lambda: len(fired) == 3)
    _until(lambda: not clock.is_busy)
    assert not clock.advance_to_next()


def test_ended_waits_leave_no_deadline_behind(clock: VirtualClock) -> None:
    events = [NotifyingEvent() for _ in range(3000)]
    with clock.busy():
        threads = [_started(lambda e=e: clock.wait_for(e, 600)) for e in events]
        _waiting(clock, *events)
        for event in events:
            event.set()
        _joined(*threads)
    assert clock.next_deadline() is None
    assert len(clock._internal) < len(events)  # rebuilt without them once most had ended


def test_the_driver_thread_ends_when_nobody_waits(clock: VirtualClock) -> None:
    clock.sleep(5)
    driver = clock._driver
    _until(lambda: clock._driver is None and (driver is None or not driver.is_alive()))
    clock.sleep(5)  # and comes back for the next waiter
    assert clock.time() == START.timestamp() + 10


# -- in a sandbox ------------------------------------------------------------------------------------

def test_a_stopped_execution_leaves_its_wait_state_at_once() -> None:
    """StopExecution ends a Wait state there and then (moto pulses the program's event): the thread
    does not sit in the Wait until its deadline, and the clock has no reason to go there."""
    from pathlib import Path

    from sandbox.core import Sandbox

    fixture = Path(__file__).parent / "fixture" / "template.yaml"
    with Sandbox.from_template(fixture) as sb:
        until = datetime.fromtimestamp(sb.clock.time() + 30 * 86400, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with sb.clock.busy():  # the clock stays put: only the stop can end the Wait
            arn = sb.start("edge", {"case": "timestamp", "until": until})
            execution = sb._backend().describe_execution(arn)
            _until(lambda: getattr(execution, "exec_worker", None) is not None
                   and sb.clock.is_waited_on(execution.exec_worker.env.program_state_event))
            # Held here: once stopped, the execution may drop its worker before the test looks again.
            event = execution.exec_worker.env.program_state_event
            sb.sfn.stop_execution(executionArn=arn, error="Stopped", cause="by the test")
            _until(lambda: not sb.clock.is_waited_on(event))
            assert sb.clock.next_deadline(include_external=False) is None
        assert sb.wait(arn).status == "ABORTED"
