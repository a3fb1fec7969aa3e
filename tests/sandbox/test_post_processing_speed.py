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
