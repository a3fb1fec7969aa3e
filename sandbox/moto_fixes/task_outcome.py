"""Task outcomes planned by a `FaultPlan` replace the service call inside moto's own Task evaluation.

On AWS a Task's failure is the service's: TaskScheduled and TaskStarted are recorded, then a
TaskFailed (LambdaFunctionFailed for a plain Lambda ARN) that Retry counts and Catch routes, and
a result goes through ResultSelector, ResultPath and OutputPath. Step Functions Local answers
MockConfigFile test cases the same way, numbering responses by attempt, and starts a test case
on `StartExecution` of `<state machine ARN>#<test case>`. moto 5.2.5 carries a copy of that
feature that never loads a file and indexes responses by `$$.State.RetryCount`, so a
Choice-driven poll loop would get response "0" forever; these seams bypass it and ask the
execution's plan (`sandbox.faults`) instead. With no plans in use, every Task runs for real.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from moto.moto_api._internal import mock_random
from moto.stepfunctions.exceptions import InvalidName
from moto.stepfunctions.parser.api import (
    HistoryEventType,
    LambdaFunctionFailedEventDetails,
    TaskFailedEventDetails,
)
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
    CustomErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
    StatesErrorName,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
    StateTaskService,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_activitiy import StateTaskActivity
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import (
    StateTaskLambda,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
from moto.stepfunctions.parser.mocking.mock_config import MockedResponse, MockedResponseReturn
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from sandbox.faults import FaultPlan, MockConfigError, _Fail, _Outcome, _Return
from sandbox.moto_fixes.subclasses import with_subclasses

_HANG_POLL_SECONDS: Final[float] = 0.05
"""Bound on how late the default hang notices its frame ended (moto pulses, rather than holds, its event)."""

_PENDING_ATTR: Final[str] = "_sandbox_fault_pending"
_PATCHED_MARK: Final[str] = "__sandbox_faults__"

_plan_for: Callable[[str], FaultPlan | None] | None = None
_install_lock = threading.Lock()


@dataclass(frozen=True)
class _Pending:
    """The outcome chosen for one attempt, parked on the attempt's Environment frame."""

    state: StateTask
    outcome: _Outcome


def use_plans(plan_for: Callable[[str], FaultPlan | None]) -> None:
    """Route every Task attempt through `plan_for(execution_arn)` (the plan that applies to it, if any).

    Calling again only swaps the resolver, so sandboxes can be created and dropped freely.
    """
    global _plan_for
    with _install_lock:
        _plan_for = plan_for


def install() -> None:
    """Patch moto's Task evaluation once per process; inert until `use_plans` names a resolver."""
    with _install_lock:
        if not getattr(Environment.get_current_mocked_response, _PATCHED_MARK, False):
            _patch_moto()


def _patch_moto() -> None:
    """Three seams, all in moto 5.2.5's Task evaluation:

    * `_eval_execution` of StateTaskService (every optimised, aws-sdk and callback
      integration), StateTaskLambda (plain Lambda ARN) and StateTaskActivity: count the attempt and park
      the planned outcome on the attempt's frame.
    * `Environment.is_mocked_mode` / `get_current_mocked_response`: the places where moto
      already swaps the service call for a canned answer (after TaskScheduled/TaskStarted,
      before the call, and skipping the wait of a `.waitForTaskToken`/`.sync` task). They
      now answer from the parked outcome instead of moto's RetryCount-indexed test case.
    * `_from_error` of every Task class that defines one: several (DynamoDB, SQS, ...)
      rename any non-ClientError to a generic service error, which would hide the
      injected error name from Retry/Catch.
    """
    for task_class in (StateTaskService, StateTaskLambda, StateTaskActivity):
        task_class._eval_execution = _planned_execution(task_class.__dict__["_eval_execution"])  # type: ignore[assignment]
    for any_task_class in with_subclasses(StateTask):
        if "_from_error" in any_task_class.__dict__:
            any_task_class._from_error = _injected_errors_first(any_task_class.__dict__["_from_error"])
    Environment.is_mocked_mode = _is_mocked_mode
    Environment.get_current_mocked_response = _current_mocked_response
    StepFunctionsParserBackend.start_execution = _test_case_start(StepFunctionsParserBackend.start_execution)


def _test_case_start(original: Callable[..., Any]) -> Callable[..., Any]:
    """StartExecution on `<state machine ARN>#<test case>`, as Step Functions Local takes it.

    The test case's rules are bound to the new execution's ARN before it starts (its first
    Task may run at once), so other executions of the same state machine run for real.
    """
    def start_execution(backend: Any, state_machine_arn: str, name: str | None = None,
                        *args: Any, **kwargs: Any) -> Any:
        base_arn, marked, test_case = state_machine_arn.partition("#")
        plan = _plan_for(base_arn) if marked and _plan_for is not None else None
        if plan is None:
            return original(backend, state_machine_arn, name, *args, **kwargs)
        state_machine = backend.describe_state_machine(base_arn)
        name = name or str(mock_random.uuid4())
        execution_arn = f"{base_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"
        try:
            plan.start_test_case(state_machine.name, test_case, execution_arn)
        except MockConfigError as error:
            raise InvalidName(f"Invalid mock test case name {test_case!r} for state machine "
                              f"{state_machine.name!r}: {error}") from error
        return original(backend, base_arn, name, *args, **kwargs)

    return start_execution


def _planned_execution(original: Callable[[Any, Environment], None]) -> Callable[[Any, Environment], None]:
    def _eval_execution(self: StateTask, env: Environment) -> None:
        outcome = _planned_outcome(self, env)
        if outcome is None:
            original(self, env)
            return
        setattr(env, _PENDING_ATTR, _Pending(state=self, outcome=outcome))
        try:
            original(self, env)
        finally:
            setattr(env, _PENDING_ATTR, None)

    setattr(_eval_execution, _PATCHED_MARK, True)
    return _eval_execution


def _planned_outcome(state: StateTask, env: Environment) -> _Outcome | None:
    """Ask the execution's plan (found by ARN from the context object) for this attempt's outcome."""
    resolver = _plan_for
    if resolver is None:
        return None
    context = env.states.context_object.context_object_data
    execution_arn = context["Execution"]["Id"]
    plan = resolver(execution_arn)
    if plan is None:
        return None
    return plan.next_outcome(execution_arn, context["StateMachine"]["Name"], state.name)


def _injected_errors_first(original: Callable[..., FailureEvent]) -> Callable[..., FailureEvent]:
    def _from_error(self: StateTask, env: Environment, ex: Exception) -> FailureEvent:
        if isinstance(ex, _InjectedFailure):
            return ex.failure_event
        return original(self, env, ex)

    setattr(_from_error, _PATCHED_MARK, True)
    return _from_error


def _is_mocked_mode(self: Environment) -> bool:
    """True only while an attempt with a planned outcome runs; moto's own test cases are ignored."""
    return getattr(self, _PENDING_ATTR, None) is not None


def _current_mocked_response(self: Environment) -> MockedResponse:
    """Return a mocked result to moto, or raise the planned failure/timeout as the service call would."""
    pending: _Pending | None = getattr(self, _PENDING_ATTR, None)
    if pending is None:
        raise RuntimeError("sandbox.moto_fixes.task_outcome: no planned outcome for this Task attempt")
    outcome = pending.outcome
    if isinstance(outcome, _Return):
        return MockedResponseReturn(range_start=0, range_end=0, payload=outcome.payload)
    if isinstance(outcome, _Fail):
        raise _InjectedFailure(_failed_event(pending.state, self, outcome))
    _hang(self)
    if isinstance(self.program_state(), ProgramStopped):
        # StopExecution released the hang: any exception would turn ABORTED into FAILED
        # (moto records the last error), so the abandoned attempt ends quietly instead.
        return MockedResponseReturn(range_start=0, range_end=0, payload={})
    raise _InjectedFailure(_timed_out_event(pending.state, self))


setattr(_current_mocked_response, _PATCHED_MARK, True)


class _InjectedFailure(FailureEventException):
    """A planned failure; its own type lets the patched `_from_error`s pass it through untouched."""


class _AnyErrorName(ErrorName):
    """For a `States.*` name moto's grammar does not know; CustomErrorName refuses the prefix."""


def _error_name(error: str) -> ErrorName:
    """States.* names must be StatesErrorName so `States.TaskFailed` retriers treat them as AWS does."""
    if not error.startswith("States."):
        return CustomErrorName(error)
    try:
        return StatesErrorName.from_name(error)
    except ValueError:
        return _AnyErrorName(error)


def _failed_event(state: StateTask, env: Environment, outcome: _Fail) -> FailureEvent:
    """TaskFailed with resource details, or LambdaFunctionFailed for a plain Lambda ARN, as AWS records."""
    cause = {"cause": outcome.cause} if outcome.cause else {}
    if isinstance(state, StateTaskLambda):
        event_type = HistoryEventType.LambdaFunctionFailed
        details = EventDetails(
            lambdaFunctionFailedEventDetails=LambdaFunctionFailedEventDetails(error=outcome.error, **cause)
        )
    else:
        event_type = HistoryEventType.TaskFailed
        resource: dict[str, str] = {}
        if isinstance(state, StateTaskService):
            resource = {"resource": state._get_sfn_resource(), "resourceType": state._get_sfn_resource_type()}
        details = EventDetails(
            taskFailedEventDetails=TaskFailedEventDetails(error=outcome.error, **cause, **resource)
        )
    return FailureEvent(
        env=env, error_name=_error_name(outcome.error), event_type=event_type, event_details=details
    )


def _timed_out_event(state: StateTask, env: Environment) -> FailureEvent:
    """The event the task kind itself reports on States.Timeout (TaskTimedOut / LambdaFunctionTimedOut)."""
    if isinstance(state, StateTaskLambda):
        return state._from_error(env=env, ex=TimeoutError())
    return state._get_timed_out_failure_event(env)


_hanging = threading.local()


def attempt_ended() -> threading.Event:
    """Inside `on_hang`: the event set once the hanging attempt is abandoned.

    moto abandons it when its TimeoutSeconds wait gives up, or when the execution stops
    or fails. A virtual clock's `on_hang` waits on this event on its own terms (releasing
    its hold on the clock) instead of blocking the busy task thread.
    """
    ended: threading.Event | None = getattr(_hanging, "ended", None)
    if ended is None:
        raise RuntimeError("attempt_ended() is only meaningful inside FaultPlan.on_hang")
    return ended


def _watch_frame(env: Environment, ended: threading.Event) -> None:
    """Set `ended` when the attempt's frame stops running.

    moto pulses `program_state_event` (set, then clear at once), so a pulse can fall between
    two waits: the bounded wait re-checks the frame's state instead of trusting the event.
    """
    while env.is_running():
        env.program_state_event.wait(_HANG_POLL_SECONDS)
    ended.set()


def _hang(env: Environment) -> None:
    """Never answer: run the plan's `on_hang`, else block until the attempt is abandoned.

    Whatever this thread raises afterwards is discarded by moto, which has already
    recorded the timeout (or the stop) by then.
    """
    ended = threading.Event()
    watcher = threading.Thread(target=_watch_frame, args=(env, ended), name="sandbox-hang-watch", daemon=True)
    watcher.start()
    plan = _plan_of(env)
    if plan is None or plan.on_hang is None:
        ended.wait()
        return
    _hanging.ended = ended
    try:
        plan.on_hang()
    finally:
        _hanging.ended = None


def may_hang(state: StateTask, env: Environment) -> bool:
    """Whether the plan that applies to this execution may make an attempt of `state` hang."""
    plan = _plan_of(env)
    return plan is not None and plan.may_hang(state.name)


def _plan_of(env: Environment) -> FaultPlan | None:
    resolver = _plan_for
    if resolver is None:
        return None
    return resolver(env.states.context_object.context_object_data["Execution"]["Id"])
