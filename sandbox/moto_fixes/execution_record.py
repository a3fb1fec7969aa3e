"""An execution's record as AWS shows it: complete once its status says it ended.

- moto sets an ended execution's status before its output (or error and cause), so
  a reader polling the status can see SUCCEEDED with no output yet. AWS never shows
  a half-written execution: here every field is written first, the status last.
- An aborted execution keeps the error and cause given to StopExecution (moto
  records them only for failures).
- An execution that is being started has no status yet in moto, and listing the
  executions at that moment crashes (`None.value`); AWS lists it as RUNNING.
- `$$.Execution.StartTime` is an ISO-8601 string on AWS; moto puts a datetime in
  the context object, which breaks any JSON payload built from it.
- `$$.Execution.RedriveCount` is 0 for an execution that was never redriven (the
  sandbox has no RedriveExecution); moto leaves it out, so reading it fails.

Whoever waits for executions to end (`wait_for_an_end`) is woken as soon as a status is
written, rather than finding it at its next poll.
"""

from __future__ import annotations

import datetime
import threading
from typing import Any

_installed = False
_ended = threading.Condition()
_ends = 0
"""Executions whose end status was written, in this process."""


def ends() -> int:
    """How many executions have ended so far: read it before checking a status, then `wait_for_an_end`."""
    return _ends


def wait_for_an_end(seen: int, timeout: float) -> None:
    """Sleep until an execution ends after `ends()` was `seen`, or `timeout` seconds passed."""
    with _ended:
        _ended.wait_for(lambda: _ends != seen, timeout)


def _announce_end() -> None:
    global _ends
    with _ended:
        _ends += 1
        _ended.notify_all()


def _iso(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value


def _reflect_execution_status(self: Any) -> None:
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.asl.eval.program_state import (
        ProgramEnded,
        ProgramError,
        ProgramStopped,
        ProgramTimedOut,
    )
    from moto.stepfunctions.parser.backend import execution as execution_module

    execution = self.execution
    state = execution.exec_worker.env.program_state()
    execution.stop_date = execution_module.datetime.datetime.now(tz=datetime.UTC)
    if isinstance(state, ProgramEnded):
        execution.output = execution.exec_worker.env.states.get_input()
        status = ExecutionStatus.SUCCEEDED
    elif isinstance(state, ProgramStopped):
        execution.error, execution.cause = state.error or None, state.cause or None
        status = ExecutionStatus.ABORTED
    elif isinstance(state, ProgramError):
        assert state.error is not None  # a program ends in error with its details
        execution.error, execution.cause = state.error.get("error"), state.error.get("cause")
        status = ExecutionStatus.FAILED
    elif isinstance(state, ProgramTimedOut):
        status = ExecutionStatus.TIMED_OUT
    else:
        raise RuntimeWarning(f"Execution ended with unsupported ProgramState type '{type(state)}'.")
    execution.exec_status = status
    _announce_end()


def install() -> None:
    """Status written last (RUNNING while starting); StopExecution's details kept; StartTime as text, RedriveCount 0."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.backend import execution_worker
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    BaseExecutionWorkerCommunication._reflect_execution_status = _reflect_execution_status
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.backend.execution import Execution

    Execution.status = property(lambda self: (self.exec_status or ExecutionStatus.RUNNING).value)  # type: ignore[assignment]
    environment = execution_worker.ExecutionWorker._get_evaluation_environment

    def with_iso_start_time(self: Any) -> Any:
        env = environment(self)
        execution = env.states.context_object.context_object_data["Execution"]
        execution["StartTime"] = _iso(execution.get("StartTime"))
        execution.setdefault("RedriveCount", 0)
        return env

    execution_worker.ExecutionWorker._get_evaluation_environment = with_iso_start_time
    _installed = True
