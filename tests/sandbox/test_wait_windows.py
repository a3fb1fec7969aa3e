"""A wait for a window that opened earlier ends where the window ends, however the clock moves meanwhile.

A heartbeat window runs from the last beat. Working out "what is left of it" from one reading of the
clock, then waiting that long, lets the deadline slip when another thread (a test's `advance`, a timer)
moves the clock in between: a missed heartbeat then never timed out.
"""

from __future__ import annotations

import threading
import time

from sandbox import clock as clock_module
from sandbox.moto_fixes import heartbeat


class _ClockMovedRightAfterEachRead(clock_module.VirtualClock):
    """A clock that another thread moves on by `slip` s just after each reading."""

    def __init__(self, slip: float) -> None:
        super().__init__()
        self.slip = slip

    def time(self) -> float:
        now = super().time()
        self.advance(self.slip)
        return now


def _until_waited_on(clock: clock_module.VirtualClock) -> None:
    give_up = time.monotonic() + 10
    while clock.pending_deadlines(external=True) == 0:
        assert time.monotonic() < give_up, "the heartbeat wait never started"
        time.sleep(0.001)


def test_a_heartbeat_window_ends_heartbeat_seconds_after_the_last_beat_though_the_clock_moved() -> None:
    from moto.stepfunctions.parser.asl.eval.callback.callback import HeartbeatEndpoint

    heartbeat.install()
    clock = _ClockMovedRightAfterEachRead(slip=0)
    start = clock.time()
    endpoint = HeartbeatEndpoint(heartbeat_seconds=60)
    endpoint._sandbox_last_beat = start + 50  # type: ignore[attr-defined]
    clock.advance(100)
    clock.slip = 5
    clock_module.set_active(clock)
    beat: list[bool] = []
    waiting = threading.Thread(target=lambda: beat.append(endpoint.clear_and_wait()), daemon=True)
    try:
        waiting.start()
        _until_waited_on(clock)
        assert clock.next_deadline() == start + 110
    finally:
        clock.slip = 0
        endpoint.notify()
        waiting.join()
        clock_module.set_active(None)
    assert beat == [True]
