"""What makes thousands of event-started executions cheaper changes no result (work counted, never timed)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from moto.stepfunctions.parser.api import ExecutionStatus

from sandbox.core import Sandbox

FIXTURE = Path(__file__).parent / "fixture" / "template.yaml"


class _Ended:
    """An execution that ended; once seen ended, reading it again is what the poll must not do."""

    def __init__(self) -> None:
        self.read = 0

    @property
    def exec_status(self) -> ExecutionStatus:
        self.read += 1
        return ExecutionStatus.SUCCEEDED


def _polled(monkeypatch: pytest.MonkeyPatch, executions: list[Any]) -> Sandbox:
    sb = Sandbox.from_template(FIXTURE)
    machine = SimpleNamespace(arn="arn:aws:states:us-east-1:123456789012:stateMachine:m", executions=executions)
    monkeypatch.setattr(sb, "_backend", lambda: SimpleNamespace(state_machines=[machine]))
    return sb


def test_a_poll_reads_each_ended_execution_once(monkeypatch: pytest.MonkeyPatch) -> None:
    ended = [_Ended() for _ in range(1000)]
    running = SimpleNamespace(exec_status=ExecutionStatus.RUNNING)
    executions: list[Any] = [*ended, running]
    sb = _polled(monkeypatch, executions)
    assert sb._any_running() and sb._any_running()
    running.exec_status = ExecutionStatus.SUCCEEDED
    assert not sb._any_running()
    starting = SimpleNamespace(exec_status=None)  # appended, its worker not started yet: running
    executions.append(starting)
    assert sb._any_running()
    starting.exec_status = ExecutionStatus.FAILED
    assert not sb._any_running() and not sb._any_running()
    assert {execution.read for execution in ended} == {1}


def test_an_execution_still_running_behind_ended_ones_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    first = SimpleNamespace(exec_status=ExecutionStatus.RUNNING)
    second = SimpleNamespace(exec_status=ExecutionStatus.RUNNING)
    sb = _polled(monkeypatch, [first, second])
    assert sb._any_running()
    first.exec_status = ExecutionStatus.SUCCEEDED
    assert sb._any_running()
    second.exec_status = ExecutionStatus.ABORTED
    assert not sb._any_running()


def test_a_machine_made_again_under_the_same_arn_is_read_from_its_start(monkeypatch: pytest.MonkeyPatch) -> None:
    sb = _polled(monkeypatch, [SimpleNamespace(exec_status=ExecutionStatus.SUCCEEDED) for _ in range(3)])
    assert not sb._any_running()
    again = SimpleNamespace(arn="arn:aws:states:us-east-1:123456789012:stateMachine:m",
                            executions=[SimpleNamespace(exec_status=ExecutionStatus.RUNNING)])
    monkeypatch.setattr(sb, "_backend", lambda: SimpleNamespace(state_machines=[again]))
    assert sb._any_running()


_EVENT = {"version": "0", "id": "1", "detail-type": "Object Restore Completed", "source": "aws.s3",
          "account": "123456789012", "time": "2026-12-05T00:00:00Z", "region": "us-east-1",
          "resources": ["arn:aws:s3:::archive"],
          "detail": {"bucket": {"name": "archive"}, "object": {"key": "a/1.bin", "size": 3},
                     "source-storage-class": "DEEP_ARCHIVE"}}


@pytest.mark.parametrize("pattern", [
    None,
    {"source": ["aws.s3"]},
    {"source": ["aws.s3"], "detail-type": ["Object Restore Completed"], "detail": {"bucket": {"name": ["archive"]}}},
    {"detail-type": ["Object Created"]},
    {"detail": {"object": {"key": [{"prefix": "a/"}]}}},
    {"detail": {"object": {"key": [{"prefix": "b/"}]}}},
    {"detail": {"object": {"size": [{"numeric": [">", 2]}]}}},
    {"detail": {"object": {"version-id": [{"exists": False}]}}},
    {"detail": {"source-storage-class": [{"anything-but": ["GLACIER"]}]}},
    {"$or": [{"source": ["aws.ec2"]}, {"detail": {"bucket": {"name": ["archive"]}}}]},
    {"resources": ["arn:aws:s3:::archive"]},
])
def test_rules_match_an_event_flattened_once_as_moto_matches_it(pattern: dict[str, Any] | None) -> None:
    import json

    from moto.events.models import EventPattern

    from sandbox import routing

    loaded = EventPattern.load(json.dumps(pattern) if pattern is not None else None)
    assert routing._matches(loaded, routing._flattened(_EVENT)) == loaded.matches_event(_EVENT)  # type: ignore[arg-type]


def test_an_event_is_flattened_once_for_every_rule_of_its_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import boto3
    from moto import mock_aws

    from sandbox import routing
    from sandbox.clock import VirtualClock

    started: list[tuple[str, str]] = []
    with mock_aws():
        events = boto3.client("events", region_name="us-east-1")
        for name, source in (("one", "aws.s3"), ("two", "aws.s3"), ("three", "aws.ec2")):
            events.put_rule(Name=name, EventPattern=json.dumps({"source": [source]}))
            events.put_targets(Rule=name, Targets=[{"Id": "t", "Arn": f"arn:aws:states:us-east-1:123456789012:"
                                                                      f"stateMachine:{name}"}])
        router = routing.EventRouter(VirtualClock(), "us-east-1", "123456789012",
                                     lambda arn, text: started.append((arn, text)), lambda arn, event: None)
        flattened: list[Any] = []
        flatten = routing._flattened
        monkeypatch.setattr(routing, "_flattened", lambda event: flattened.append(event) or flatten(event))
        router.put("default", _EVENT)
    assert sorted(arn.rsplit(":", 1)[-1] for arn, _ in started) == ["one", "two"]
    assert json.loads(started[0][1]) == _EVENT
    assert len(flattened) == 1


# -- pacing: executions started from events do not all run at once ------------------------------------------------


class _Holders:
    """Threads at work (each holds the clock) until told, one at a time, to stop."""

    def __init__(self, clock: Any, count: int) -> None:
        import threading

        self.clock, self.gates, self.threads = clock, [threading.Event() for _ in range(count)], []
        entered = threading.Barrier(count + 1)
        for gate in self.gates:
            thread = threading.Thread(target=self._work, args=(gate, entered), daemon=True)
            thread.start()
            self.threads.append(thread)
        entered.wait()

    def _work(self, gate: Any, entered: Any) -> None:
        with self.clock.busy():
            entered.wait()
            gate.wait()

    def let_one_go(self) -> None:
        index = next(i for i, gate in enumerate(self.gates) if not gate.is_set())
        self.gates[index].set()
        self.threads[index].join()

    def let_all_go(self) -> None:
        for gate, thread in zip(self.gates, self.threads, strict=True):
            gate.set()
            thread.join()


class _WallTime:
    """The clock module's wall time, moved by its own sleeps; each sleep can do something (a holder stops)."""

    def __init__(self, on_sleep: Any = None) -> None:
        self.now, self.sleeps, self.on_sleep = 1000.0, 0, on_sleep

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep()


@pytest.fixture
def clock_and_holders(monkeypatch: pytest.MonkeyPatch) -> Any:
    from sandbox import clock as clock_module

    clock = clock_module.VirtualClock()
    holders = _Holders(clock, 6)
    wall = _WallTime(holders.let_one_go)
    monkeypatch.setattr(clock_module, "_wall", wall)
    yield clock, holders, wall
    holders.let_all_go()


def test_a_caller_outside_the_sandbox_waits_until_no_more_than_the_limit_hold_the_clock(
        clock_and_holders: Any) -> None:
    clock, _, wall = clock_and_holders
    clock.pace(4, stall_seconds=60)
    assert (wall.sleeps, clock._inflight) == (2, 4)


def test_a_timer_waits_for_the_others_but_not_for_itself(clock_and_holders: Any) -> None:
    import threading

    clock, _, wall = clock_and_holders
    seen: list[tuple[int, int]] = []
    done = threading.Event()

    def timer() -> None:
        clock.pace(4, stall_seconds=60)
        seen.append((wall.sleeps, clock._inflight))
        done.set()

    clock.call_later(1, timer)
    clock.advance(1)
    assert done.wait(10)
    assert seen == [(2, 5)]  # four others beside the timer's own hold


def test_an_executions_own_thread_never_waits(clock_and_holders: Any) -> None:
    clock, _, wall = clock_and_holders
    with clock.busy():
        clock.pace(4, stall_seconds=60)
    assert wall.sleeps == 0


def test_holders_that_never_let_go_stop_the_wait_for_a_while(monkeypatch: pytest.MonkeyPatch) -> None:
    from sandbox import clock as clock_module

    clock = clock_module.VirtualClock()
    holders = _Holders(clock, 6)
    wall = _WallTime()
    monkeypatch.setattr(clock_module, "_wall", wall)
    try:
        clock.pace(4, stall_seconds=0.01)
        assert 0 < wall.sleeps < 100
        stalled = wall.sleeps
        clock.pace(4, stall_seconds=0.01)  # right after a stall: no wait at all
        assert wall.sleeps == stalled
    finally:
        holders.let_all_go()


# -- what a running sandbox keeps is not scanned again at every full collection ---------------------------------------


def test_a_full_collection_while_a_sandbox_runs_freezes_its_survivors_until_the_sandbox_stops() -> None:
    import gc

    from sandbox import engine

    kept = [{"history": [{"id": n}]} for n in range(1000)]  # what ended executions keep
    was_enabled = gc.isenabled()
    engine.freeze_provisioned()
    try:
        frozen = gc.get_freeze_count()
        later = [[n] for n in range(1000)]  # kept since the sandbox started (lists stay tracked)
        gc.collect(0)
        # A young collection freezes nothing (another thread's frees may shrink the frozen set meanwhile).
        assert gc.get_freeze_count() < frozen + len(later)
        gc.collect()
        assert gc.get_freeze_count() >= frozen + len(later)
    finally:
        engine.thaw()
    assert gc.get_freeze_count() == 0
    assert engine._freeze_survivors not in gc.callbacks
    assert gc.isenabled() == was_enabled
    assert kept and later
