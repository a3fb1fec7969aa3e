"""An execution always ends, and can always be stopped.

- moto runs each execution on a worker thread; an unexpected Python exception there
  (a definition that fails to parse, an interpreter bug) kills the thread and leaves the
  execution RUNNING forever, with an empty history. AWS reports an internal failure as
  the execution failing with `States.Runtime` and a cause: here the crash is recorded as
  that (ExecutionStarted, then ExecutionFailed in the history), and the execution ends
  FAILED, so a synchronous caller gets its answer at once.
- StopExecution calls `env.set_stop` on the worker's environment, which does not exist
  until the worker thread has parsed the definition (AttributeError on None), and which
  ignores a stop until the program has begun. AWS aborts any RUNNING execution: here the
  stop waits for the worker to begin (a few milliseconds) and then stops it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any, Final

from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent

STATES_RUNTIME: Final[str] = "States.Runtime"
BEGIN_WALL_SECONDS: Final[float] = 5.0
"""How long a stop waits for a just-started worker to begin its program (wall time)."""
_POLL_SECONDS: Final[float] = 0.001
_TERMINAL_EVENTS: Final[frozenset[str]] = frozenset(
    {"ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"}
)

_installed = False
_log = logging.getLogger("moto.stepfunctions.parser")


def crash_cause(error: BaseException) -> str:
    """The cause recorded for an internal failure, in the form moto gives a state's unexpected exception."""
    return f"{type(error).__name__}({error})"


class CrashedProgram(EvalComponent):
    """Stands in for a program that could not be built: evaluating it fails the execution."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def eval(self, env: Any) -> None:
        record_crash(env, self.error)

    def _eval_body(self, env: Any) -> None:  # pragma: no cover - eval is overridden
        record_crash(env, self.error)


def record_crash(env: Any, error: BaseException) -> None:
    """Fail the program with States.Runtime and close its history, unless it already ended there."""
    from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    history = env.event_manager.get_event_history()
    if history and _event_type(history[-1]) in _TERMINAL_EVENTS:
        return
    details = ExecutionFailedEventDetails(error=STATES_RUNTIME, cause=crash_cause(error))
    env.set_error(details)
    env.event_manager.add_event(
        context=env.event_history_context,
        event_type=HistoryEventType.ExecutionFailed,
        event_details=EventDetails(executionFailedEventDetails=details),
    )


def _event_type(event: dict[str, Any]) -> str:
    kind = event["type"]
    return getattr(kind, "value", kind)


def _fail_execution(worker: Any, error: BaseException, logic: Callable[[Any], None]) -> None:
    """The worker crashed: record it in the history and end the execution FAILED.

    A crash before the environment existed runs the worker's own start again with the crash as
    its program, so the history still opens with ExecutionStarted.
    """
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.backend import execution as execution_module

    _log.error("execution worker crashed", exc_info=error)
    if worker.env is None:
        worker._get_evaluation_entrypoint = lambda: CrashedProgram(error)
        try:
            logic(worker)
            return
        except Exception:  # building the environment is what crashed: write the failure directly
            _log.exception("recording a crashed execution failed")
    if worker.env is not None:
        record_crash(worker.env, error)
        try:
            worker._execution_communication.terminated()
            return
        except Exception:  # recording the end is what crashed: write the failure directly
            _log.exception("recording the end of a crashed execution failed")
    execution = getattr(worker._execution_communication, "execution", None)
    if execution is None:
        return
    execution.error, execution.cause = STATES_RUNTIME, crash_cause(error)
    execution.stop_date = execution_module.datetime.datetime.now(tz=UTC)
    execution.exec_status = ExecutionStatus.FAILED  # last: readers poll the status


def _has_begun(worker: Any) -> bool:
    """The program runs (a stop can reach it), or the execution already ended (a crash before its program)."""
    env = worker.env
    if env is not None and env.program_state() is not None:
        return True
    execution = getattr(worker._execution_communication, "execution", None)
    status = getattr(execution, "exec_status", None)
    return status is not None and getattr(status, "value", status) != "RUNNING"


def install() -> None:
    """Crashed executions end FAILED States.Runtime; StopExecution works from the first moment (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    entrypoint = ExecutionWorker._get_evaluation_entrypoint

    def _get_evaluation_entrypoint(self: Any) -> Any:
        try:
            return entrypoint(self)
        except Exception as error:  # the definition cannot be evaluated: the execution starts, then fails
            return CrashedProgram(error)

    logic = ExecutionWorker._execution_logic

    def _execution_logic(self: Any) -> None:
        try:
            logic(self)
        except Exception as error:
            _fail_execution(self, error, logic)

    def stop(self: Any, stop_date: Any, error: str | None, cause: str | None) -> None:
        deadline = time.monotonic() + BEGIN_WALL_SECONDS
        while not _has_begun(self) and time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
        if self.env is not None:
            self.env.set_stop(stop_date=stop_date, cause=cause, error=error)

    ExecutionWorker._get_evaluation_entrypoint = _get_evaluation_entrypoint
    ExecutionWorker._execution_logic = _execution_logic
    ExecutionWorker.stop = stop
    _installed = True
