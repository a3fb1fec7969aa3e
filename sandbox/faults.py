"""Fault injection and Step Functions Local MockConfigFile answers for Task states.

Retry and Catch are the part of a workflow that is hardest to exercise: the
failures they exist for (throttling, a flaky dependency, a service that never
answers) do not happen on demand. A `FaultPlan` makes them happen on demand, per
Task state, per attempt, without touching the state machine definition:

    plan = FaultPlan()
    plan.fail("Notify", "SNS.ThrottledException", "Rate exceeded", times=2)
    plan.load_mock_config("MockConfigFile.json", "OrderFlow", "RetryPath")

A planned outcome replaces the service call itself, inside moto's own Task
evaluation, so everything around the call stays real: TaskScheduled and
TaskStarted are recorded, a failure is a TaskFailed event (LambdaFunctionFailed
for a plain Lambda ARN, as on AWS) that Retry counts and Catch routes, and a
mocked result still goes through ResultSelector, ResultPath and OutputPath.

Attempts are counted once per Task evaluation, per execution and per state
(retries, loop passes, Map iterations all count), which is the Step Functions
Local rule for MockConfigFile response numbers. moto 5.2.5 carries a copy of that
feature that never loads a file and indexes responses by `$$.State.RetryCount`,
so a Choice-driven poll loop would get response "0" forever; it is bypassed.

`install(plan_for)` patches moto (pinned at 5.2.5) once per process; every Task
then asks `plan_for(execution_arn)` which plan, if any, applies to it.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NamedTuple

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

__all__ = [
    "HANG",
    "MOCK_CONFIG_ENV",
    "FaultPlan",
    "Injection",
    "MockConfigError",
    "attempt_ended",
    "install",
    "load_mock_config",
]

MOCK_CONFIG_ENV: Final[str] = "SFN_MOCK_CONFIG"
"""Where Step Functions Local (and a new FaultPlan) find the MockConfigFile for `#<test case>` starts."""

HANG: Final[str] = "(hang)"
"""The `error` recorded in `FaultPlan.injected` for an attempt that was made to hang."""

_HANG_POLL_SECONDS: Final[float] = 0.05
"""Bound on how late the default hang notices its frame ended (moto pulses, rather than holds, its event)."""

_PENDING_ATTR: Final[str] = "_sandbox_fault_pending"
_PATCHED_MARK: Final[str] = "__sandbox_faults__"
_TASK_FACTORY_MODULE: Final[str] = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_factory"
)


class MockConfigError(ValueError):
    """A MockConfigFile that Step Functions Local would reject, or a test case it does not define."""


class Injection(NamedTuple):
    """One planned outcome that replaced a service call.

    `attempt` is 0-based (the MockConfigFile numbering); `error` is the injected error
    name, `None` for a mocked Return, `HANG` for a hang.
    """

    execution_arn: str
    state: str
    attempt: int
    error: str | None


@dataclass(frozen=True)
class _Fail:
    error: str
    cause: str


@dataclass(frozen=True)
class _Return:
    payload: Any


@dataclass(frozen=True)
class _Hang:
    pass


_Outcome = _Fail | _Return | _Hang


@dataclass(frozen=True)
class _Rule:
    """Outcomes for one state: `outcomes[n]` answers attempt n; `repeat_last` extends the list."""

    state: str
    state_machine: str | None
    outcomes: tuple[_Outcome, ...]
    repeat_last: bool
    execution_arn: str | None = None
    """Only this execution (a `<state machine ARN>#<test case>` start); None: every execution."""

    def outcome_for(self, state_machine: str, attempt: int, execution_arn: str) -> _Outcome | None:
        if self.state_machine is not None and self.state_machine != state_machine:
            return None
        if self.execution_arn is not None and self.execution_arn != execution_arn:
            return None
        if attempt < len(self.outcomes):
            return self.outcomes[attempt]
        return self.outcomes[-1] if self.repeat_last else None


def _repeated(outcome: _Outcome, times: int | None) -> tuple[tuple[_Outcome, ...], bool]:
    """`times=None` means every attempt: one outcome repeated forever."""
    if times is None:
        return (outcome,), True
    if times < 1:
        raise ValueError(f"times must be at least 1 (or None for always), got {times}")
    return (outcome,) * times, False


class FaultPlan:
    """Planned answers for the Task states of the executions one sandbox owns.

    Rules are consulted newest first, so a later `fail` can override a mock loaded
    earlier. Attempt counters live per (execution ARN, state), so a new execution
    always starts at attempt 0.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._attempts: dict[tuple[str, str], int] = {}
        self.injected: list[Injection] = []
        self.mock_config: str | os.PathLike[str] | Mapping[str, Any] | None = os.environ.get(MOCK_CONFIG_ENV)
        """The MockConfigFile a `<state machine ARN>#<test case>` start reads (Step Functions Local
        reads the file named by SFN_MOCK_CONFIG; so does a new plan)."""
        self.aliases: dict[str, tuple[str, ...]] = {}
        """Other names a MockConfigFile may give a state machine under StateMachines (the sandbox
        adds each workflow's slug and logical ID: the deployed name depends on the stack)."""
        self.on_hang: Callable[[], None] | None = None
        """Called on the task's thread instead of the default hang (block until the attempt is
        abandoned). A virtual clock sets it to wait on `attempt_ended()` without holding the
        clock; it may also raise TimeoutError to report States.Timeout at once."""

    # -- planning ------------------------------------------------------------
    def fail(
        self,
        state: str,
        error: str,
        cause: str = "",
        times: int | None = None,
        state_machine: str | None = None,
    ) -> FaultPlan:
        """Make `state` fail with `error`/`cause` on its first `times` attempts (None: every attempt)."""
        outcomes, repeat = _repeated(_Fail(error=error, cause=cause), times)
        return self._add(_Rule(state, state_machine, outcomes, repeat))

    def hang(self, state: str, times: int | None = None, state_machine: str | None = None) -> FaultPlan:
        """Make `state` never answer on its first `times` attempts, so its TimeoutSeconds fires.

        A hang without TimeoutSeconds lasts until the execution is stopped (it then ends ABORTED).
        """
        outcomes, repeat = _repeated(_Hang(), times)
        return self._add(_Rule(state, state_machine, outcomes, repeat))

    def mock(
        self, state: str, mocked_response: Mapping[str, Any], state_machine: str | None = None,
        execution_arn: str | None = None,
    ) -> FaultPlan:
        """Answer `state` with one MockedResponses entry: `{"0": {"Return": ...}, "1-2": {"Throw": ...}}`.

        Past the last numbered response the last one repeats, so a mock of "0" alone answers
        every Map iteration or loop pass.
        """
        outcomes = _outcomes_from_mocked_response(state, mocked_response)
        return self._add(_Rule(state, state_machine, outcomes, repeat_last=True, execution_arn=execution_arn))

    def load_mock_config(
        self, source: str | os.PathLike[str] | Mapping[str, Any], state_machine: str, test_case: str,
        execution_arn: str | None = None,
    ) -> FaultPlan:
        """Mock the states that `test_case` of `state_machine` lists; other states run for real.

        The rules apply only to executions of a state machine with that name, or, given
        `execution_arn`, to that one execution whatever name the file gives its state machine
        (how a `<state machine ARN>#<test case>` start uses them).
        """
        config = _read_mock_config(source)
        only = None if execution_arn else state_machine
        for state, response_name in _test_case_states(config, state_machine, test_case).items():
            mocked_response = _mocked_response_named(config, response_name)
            self.mock(state, mocked_response, state_machine=only, execution_arn=execution_arn)
        return self

    def start_test_case(self, state_machine: str, test_case: str, execution_arn: str) -> None:
        """Apply `test_case` of `mock_config` to the execution about to start as `execution_arn`."""
        if self.mock_config is None:
            raise MockConfigError(
                f"test case {test_case!r} asked for, but no MockConfigFile is set "
                f"({MOCK_CONFIG_ENV} or the sandbox's mock_config)")
        config = _read_mock_config(self.mock_config)
        listed = config.get("StateMachines", {})
        accepted = (state_machine, *self.aliases.get(state_machine, ()))
        key = next((name for name in accepted if name in listed), None)
        if key is None:
            raise MockConfigError(
                f"no state machine under StateMachines is named {' or '.join(dict.fromkeys(accepted))} "
                f"(the file has: {', '.join(listed) or 'none'})")
        self.load_mock_config(config, key, test_case, execution_arn=execution_arn)

    def clear(self) -> None:
        """Forget every rule, attempt counter and injection record."""
        with self._lock:
            self._rules.clear()
            self._attempts.clear()
            self.injected.clear()

    def attempts(self, execution_arn: str, state: str) -> int:
        """How many times `state` has been evaluated in that execution so far."""
        with self._lock:
            return self._attempts.get((execution_arn, state), 0)

    def _add(self, rule: _Rule) -> FaultPlan:
        with self._lock:
            self._rules.append(rule)
        return self

    # -- answering ------------------------------------------------------------
    def next_outcome(self, execution_arn: str, state_machine: str, state: str) -> _Outcome | None:
        """Count one attempt of `state` and return what should replace its service call, if anything."""
        with self._lock:
            key = (execution_arn, state)
            attempt = self._attempts.get(key, 0)
            self._attempts[key] = attempt + 1
            outcome = self._outcome_for(execution_arn, state_machine, state, attempt)
            if outcome is not None:
                self.injected.append(Injection(execution_arn, state, attempt, _recorded_error(outcome)))
            return outcome

    def _outcome_for(self, execution_arn: str, state_machine: str, state: str, attempt: int) -> _Outcome | None:
        for rule in reversed(self._rules):
            if rule.state == state:
                outcome = rule.outcome_for(state_machine, attempt, execution_arn)
                if outcome is not None:
                    return outcome
        return None


def _recorded_error(outcome: _Outcome) -> str | None:
    if isinstance(outcome, _Fail):
        return outcome.error
    return HANG if isinstance(outcome, _Hang) else None


def load_mock_config(
    source: str | os.PathLike[str] | Mapping[str, Any],
    state_machine: str,
    test_case: str,
    plan: FaultPlan | None = None,
) -> FaultPlan:
    """Load one MockConfigFile test case into `plan` (a new plan if None) and return it."""
    return (plan or FaultPlan()).load_mock_config(source, state_machine, test_case)


# -- MockConfigFile parsing ------------------------------------------------------


def _read_mock_config(source: str | os.PathLike[str] | Mapping[str, Any]) -> Mapping[str, Any]:
    """A dict is used as is; anything else is a path to the JSON file."""
    if isinstance(source, Mapping):
        return source
    with Path(source).open(encoding="utf-8") as handle:
        loaded = json.load(handle)
    if not isinstance(loaded, dict):
        raise MockConfigError(f"{source}: a MockConfigFile is a JSON object")
    return loaded


def _test_case_states(config: Mapping[str, Any], state_machine: str, test_case: str) -> Mapping[str, str]:
    machine = config.get("StateMachines", {}).get(state_machine)
    if machine is None:
        raise MockConfigError(f"no state machine {state_machine!r} under StateMachines")
    states = machine.get("TestCases", {}).get(test_case)
    if states is None:
        raise MockConfigError(f"no test case {test_case!r} for state machine {state_machine!r}")
    return states


def _mocked_response_named(config: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    mocked_response = config.get("MockedResponses", {}).get(name)
    if mocked_response is None:
        raise MockConfigError(f"no MockedResponses entry {name!r}")
    return mocked_response


def _parse_range(key: str) -> tuple[int, int]:
    """Key "3" is invocation 3; key "1-2" is invocations 1 to 2 inclusive."""
    first, _, last = key.strip().partition("-")
    try:
        start, end = int(first), int(last or first)
    except ValueError:
        raise MockConfigError(f"invocation key {key!r} is neither 'n' nor 'n-m'") from None
    if start < 0 or end < start:
        raise MockConfigError(f"invocation range {key!r} is empty or negative")
    return start, end


def _outcome_from(where: str, response: Mapping[str, Any]) -> _Outcome:
    """Each numbered response holds exactly one of Return (the service result) or Throw."""
    if ("Return" in response) == ("Throw" in response):
        raise MockConfigError(f"{where}: needs exactly one of Return or Throw")
    if "Return" in response:
        return _Return(payload=response["Return"])
    throw = response["Throw"]
    if not isinstance(throw, Mapping) or not throw.get("Error"):
        raise MockConfigError(f"{where}: Throw needs an Error")
    return _Fail(error=str(throw["Error"]), cause=str(throw.get("Cause", "")))


def _outcomes_from_mocked_response(state: str, mocked_response: Mapping[str, Any]) -> tuple[_Outcome, ...]:
    """Expand numbered ranges into one outcome per invocation; they must run 0, 1, 2... without gaps."""
    ranges = sorted((_parse_range(key), key) for key in mocked_response)
    outcomes: list[_Outcome] = []
    for (start, end), key in ranges:
        if start != len(outcomes):
            raise MockConfigError(
                f"mock for {state!r}: invocation {len(outcomes)} missing or overlapping ({key!r})"
            )
        outcome = _outcome_from(f"mocked response for {state!r}, key {key!r}", mocked_response[key])
        outcomes.extend([outcome] * (end - start + 1))
    if not outcomes:
        raise MockConfigError(f"mocked response for {state!r} defines no invocation")
    return tuple(outcomes)


# -- the moto hook -----------------------------------------------------------------

_plan_for: Callable[[str], FaultPlan | None] | None = None
_install_lock = threading.Lock()


@dataclass(frozen=True)
class _Pending:
    """The outcome chosen for one attempt, parked on the attempt's Environment frame."""

    state: StateTask
    outcome: _Outcome


def install(plan_for: Callable[[str], FaultPlan | None]) -> None:
    """Route every Task attempt through `plan_for(execution_arn)`; patching happens once per process.

    Calling again only swaps the resolver, so sandboxes can be created and dropped freely.
    """
    global _plan_for
    with _install_lock:
        _plan_for = plan_for
        if not getattr(Environment.get_current_mocked_response, _PATCHED_MARK, False):
            _patch_moto()


def _patch_moto() -> None:
    """Three seams, all in moto 5.2.5's Task evaluation:

    * `_eval_execution` of StateTaskService (every optimised, aws-sdk and callback
      integration), StateTaskLambda (plain Lambda ARN) and StateTaskActivity: count the
      attempt and park the planned outcome on the attempt's frame.
    * `Environment.is_mocked_mode` / `get_current_mocked_response`: the places where moto
      already swaps the service call for a canned answer (after TaskScheduled/TaskStarted,
      before the call, and skipping the wait of a `.waitForTaskToken`/`.sync` task). They
      now answer from the parked outcome instead of moto's RetryCount-indexed test case.
    * `_from_error` of every Task class that defines one: several (DynamoDB, SQS, ...)
      rename any non-ClientError to a generic service error, which would hide the
      injected error name from Retry/Catch.
    """
    for task_class in (StateTaskService, StateTaskLambda, StateTaskActivity):
        task_class._eval_execution = _planned_execution(task_class.__dict__["_eval_execution"])
    for task_class in _task_classes():
        if "_from_error" in task_class.__dict__:
            task_class._from_error = _injected_errors_first(task_class.__dict__["_from_error"])
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


def _task_classes() -> list[type[StateTask]]:
    """StateTask and all its subclasses; the factory import guarantees every service class is loaded."""
    importlib.import_module(_TASK_FACTORY_MODULE)
    found: list[type[StateTask]] = [StateTask]
    for task_class in found:
        found.extend(sub for sub in task_class.__subclasses__() if sub not in found)
    return found


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
        raise RuntimeError("sandbox.faults: no planned outcome for this Task attempt")
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


def _plan_of(env: Environment) -> FaultPlan | None:
    resolver = _plan_for
    if resolver is None:
        return None
    return resolver(env.states.context_object.context_object_data["Execution"]["Id"])
