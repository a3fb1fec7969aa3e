"""Run one state as TestState does: one attempt, with its Retry and Catch judged, not run.

The state is built by moto's own ASL preprocessor and evaluated by the same components an
execution uses (paths, Parameters/Arguments, intrinsics, JSONata, service integrations, the
sandbox's fixes and in-process Lambdas). What TestState changes is around the state:

* a mocked result or error replaces the service call through the fault plan, the very seam a
  MockConfigFile test case uses (a Map or Parallel takes its mocked result as its own);
* an error that a retrier matches ends the test RETRIABLE with the back-off AWS would wait,
  unless `retrierRetryCount` says that retrier is spent; a catcher ends it CAUGHT_ERROR with
  the catcher's output and `Next`;
* Wait states do not wait.
"""

from __future__ import annotations

import copy
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from moto.stepfunctions.parser.api import HistoryEventType, StateMachineType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.catch.catch_outcome import CatchOutcome
from moto.stepfunctions.parser.asl.component.common.catch.catcher_outcome import CatcherOutcomeCaught
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.common.retry.retry_outcome import RetryOutcome
from moto.stepfunctions.parser.asl.component.program.program import Program
from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
    StateTaskService,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.evaluation_details import AWSExecutionDetails
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext
from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded, ProgramError
from moto.stepfunctions.parser.asl.eval.states import ContextObjectData, ExecutionData, StateMachineData
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser, ASLParserException

from sandbox.faults import FaultPlan
from sandbox.teststate.inspection import Inspection, instrument
from sandbox.teststate.request import TestStateRequest, invalid_definition

EXCEEDED_TOLERANCE_CAUSE = "The specified tolerated failure threshold was exceeded"


@dataclass
class Outcome:
    """What happened, in the terms of TestState's response."""

    status: str = "SUCCEEDED"
    output: Any = None
    has_output: bool = False
    error: str | None = None
    cause: str | None = None
    next_state: str | None = None
    error_details: dict[str, Any] = field(default_factory=dict)


class _Retriable(Exception):
    """Raised out of the state's Retry handling: the test stops where AWS would wait to retry."""

    def __init__(self, failure: FailureEvent) -> None:
        super().__init__("retriable")
        self.failure = failure


@dataclass(frozen=True)
class Scope:
    """Where the state runs: the sandbox's account, region and fault plan."""

    account_id: str
    region: str
    plan: FaultPlan


def run_state(request: TestStateRequest, scope: Scope) -> tuple[Outcome, Inspection]:
    state = _built_state(request)
    env = _environment(request, scope)
    inspection = Inspection(request.query_language)
    inspection.record("input", request.input)
    instrument(state, inspection)
    outcome = Outcome()
    execution_arn = env.states.context_object.context_object_data["Execution"]["Id"]
    if isinstance(state, ExecutionState):
        _judge_retry_and_catch(state, request, outcome)
    _apply_mock(state, request, scope.plan, execution_arn, inspection)
    if request.state_type == "Wait":
        state.wait_function._wait_interval = lambda *_args, **_kwargs: None  # type: ignore[attr-defined]
    try:
        _evaluate(state, env, outcome)
    finally:
        scope.plan.forget(execution_arn)
    if request.variables or env.variable_store.get_assigned_variables():
        inspection.record("variables", _variables_of(env))
    return outcome, inspection


def _built_state(request: TestStateRequest) -> CommonStateField:
    """The state as moto builds it inside a one-state machine (its Next need not exist to be built)."""
    machine = {"QueryLanguage": request.query_language, "StartAt": request.state_name,
               "States": {request.state_name: request.state}}
    try:
        program, _tree = AmazonStateLanguageParser.parse(json.dumps(machine))
    except ASLParserException as error:
        raise invalid_definition(f"SCHEMA_VALIDATION_FAILED: {'; '.join(map(str, error.errors))}") from None
    except Exception as error:  # the preprocessor rejects values the grammar let through
        raise invalid_definition(f"SCHEMA_VALIDATION_FAILED: {error}") from None
    return cast(Program, program).states.states[request.state_name]


def _environment(request: TestStateRequest, scope: Scope) -> Environment:
    name = f"TestState-{uuid.uuid4().hex[:12]}"
    machine_arn = f"arn:aws:states:{scope.region}:{scope.account_id}:stateMachine:{name}"
    role_arn = request.role_arn or f"arn:aws:iam::{scope.account_id}:role/TestState"
    context = ContextObjectData(  # type: ignore[typeddict-item]  # State, Task, Map: moto declares them, AWS adds them later
        Execution=ExecutionData(Id=f"arn:aws:states:{scope.region}:{scope.account_id}:express:{name}:{name}",
                                Input=copy.deepcopy(request.input), Name=name, RoleArn=role_arn,
                                StartTime=datetime.now(UTC).isoformat()),
        StateMachine=StateMachineData(Id=machine_arn, Name=name),
    )
    for key, value in request.context.items():
        existing = context.get(key)
        context[key] = {**existing, **value} if isinstance(existing, dict) and isinstance(value, dict) else value
    env = Environment(
        aws_execution_details=AWSExecutionDetails(account=scope.account_id, region=scope.region, role_arn=role_arn),
        execution_type=StateMachineType.STANDARD, context=context,
        event_history_context=EventHistoryContext.of_program_start(), cloud_watch_logging_session=None,
        activity_store={},
    )
    env.states.reset(input_value=copy.deepcopy(request.input))
    for variable, value in request.variables.items():
        env.variable_store.set(variable, value)
    env.variable_store.reset_tracing()
    env.next_state_name = request.state_name
    return env


def _evaluate(state: CommonStateField, env: Environment, outcome: Outcome) -> None:
    try:
        state.eval(env)
    except _Retriable as retriable:
        outcome.status = "RETRIABLE"
        _set_error(outcome, retriable.failure)
        return
    except FailureEventException as failure:
        outcome.status = "FAILED"
        _set_error(outcome, failure.failure_event)
        return
    program_state = env.program_state()
    if isinstance(program_state, ProgramError):
        assert program_state.error is not None  # the interpreter ends in error with its details
        outcome.status = "FAILED"
        outcome.error = program_state.error.get("error")
        outcome.cause = program_state.error.get("cause")
        return
    outcome.output, outcome.has_output = env.states.get_input(), True
    if not isinstance(program_state, ProgramEnded) and env.next_state_name != state.name:
        outcome.next_state = env.next_state_name
    if outcome.status == "CAUGHT_ERROR" and outcome.next_state is None:
        outcome.next_state = env.next_state_name


def _set_error(outcome: Outcome, failure: FailureEvent) -> None:
    details = cast("dict[str, Any]", next(iter(failure.event_details.values()), {}) if failure.event_details else {})
    outcome.error = details.get("error", failure.error_name.error_name if failure.error_name else None)
    outcome.cause = details.get("cause")


# -- Retry and Catch, judged once ---------------------------------------------------------------
def _judge_retry_and_catch(state: ExecutionState, request: TestStateRequest, outcome: Outcome) -> None:
    """Replace the state's retry/catch handling by TestState's verdicts (instance attributes only)."""
    retry_count = request.configuration.retrier_retry_count

    def handle_retry(env: Environment, failure_event: FailureEvent) -> RetryOutcome:
        assert state.retry is not None
        for index, retrier in enumerate(state.retry.retriers):
            env.stack.append(failure_event.error_name)
            retrier.error_equals.eval(env)
            if not env.stack.pop():
                continue
            outcome.error_details["retryIndex"] = index
            if retry_count >= retrier.max_attempts.attempts:
                return RetryOutcome.CannotRetry
            outcome.error_details["retryBackoffIntervalSeconds"] = backoff_seconds(retrier, retry_count)
            raise _Retriable(failure_event)
        return RetryOutcome.NoRetrier

    def handle_catch(env: Environment, failure_event: FailureEvent) -> None:
        assert state.catch is not None
        env.stack.append(failure_event)
        for index, catcher in enumerate(state.catch.catchers):
            catcher.eval(env)
            if isinstance(env.stack.pop(), CatcherOutcomeCaught):
                outcome.status = "CAUGHT_ERROR"
                outcome.error_details["catchIndex"] = index
                _set_error(outcome, failure_event)
                env.stack.append(CatchOutcome.Caught)
                return
        env.stack.append(CatchOutcome.NotCaught)

    state._handle_retry = handle_retry  # type: ignore[method-assign]
    state._handle_catch = handle_catch  # type: ignore[method-assign]


def backoff_seconds(retrier: Any, retry_count: int) -> int:
    """The wait before retry number `retry_count + 1`: IntervalSeconds x BackoffRate^count, capped, jittered."""
    interval = retrier.interval_seconds.seconds * retrier.backoff_rate.rate ** retry_count
    interval = min(interval, retrier.max_delay_seconds.max_delays_seconds)
    if retrier.jitter_strategy.jitter_strategy.name == "FULL":
        # bandit B311: a retry's jittered wait, as AWS draws it, not a security value
        interval = random.uniform(0, interval)  # nosec B311
    return int(interval)


# -- mocks ---------------------------------------------------------------------------------------
def _apply_mock(state: CommonStateField, request: TestStateRequest, plan: FaultPlan, execution_arn: str,
                inspection: Inspection) -> None:
    mock = request.mock
    if mock is None:
        return
    if isinstance(state, StateTaskService | StateTaskLambda):
        # The seam a MockConfigFile test case uses: the call is replaced after TaskScheduled, as on AWS.
        answer = {"Throw": {"Error": mock.error, "Cause": mock.cause or ""}} if mock.is_error else \
            {"Return": _lambda_response(mock.result) if isinstance(state, StateTaskLambda) else mock.result}
        plan.mock(request.state_name, {"0": answer}, execution_arn=execution_arn)
        return

    def mocked_execution(env: Environment) -> None:
        if request.state_type == "Map":
            _evaluate_map_fields(state, request.state, env, inspection)
        elif isinstance(state, StateTask):  # an Activity: its input is computed, no worker is asked
            state._eval_parameters(env=env)
        if mock.is_error:
            raise FailureEventException(_failure(env, mock.error or "", mock.cause))
        if request.state_type == "Map":
            _check_tolerance(request, env)
        env.stack.append(copy.deepcopy(mock.result))

    state._eval_execution = mocked_execution  # type: ignore[attr-defined]


def _lambda_response(result: Any) -> dict[str, Any]:
    """A plain Lambda ARN's mock is Lambda's Invoke response too; the state's result is its Payload."""
    response = dict(result) if isinstance(result, dict) else {}
    response.setdefault("Payload", None)
    return response


def _evaluate_map_fields(state: Any, spec: dict[str, Any], env: Environment, inspection: Inspection) -> None:
    """The Map's own fields that TestState reports (items, concurrency), evaluated as the Map would."""
    state.max_concurrency_decl.eval(env=env)
    inspection.record_number("maxConcurrency", env.stack.pop())
    if state.item_reader is None:
        if state.items_path is not None:
            state.items_path.eval(env=env)
            inspection.record("afterItemsPath", env.stack.pop())
        elif state.items is not None:
            state.items.eval(env=env)
            env.stack.pop()
    if "ToleratedFailureCount" in spec:
        inspection.record_number("toleratedFailureCount", spec["ToleratedFailureCount"])
    if "ToleratedFailurePercentage" in spec:
        inspection.record_number("toleratedFailurePercentage", float(spec["ToleratedFailurePercentage"]))


def _check_tolerance(request: TestStateRequest, env: Environment) -> None:
    """`mapIterationFailureCount` iterations failed: beyond the tolerated count or share, the Map fails."""
    failures = request.configuration.map_iteration_failure_count
    spec, result = request.state, request.mock.result if request.mock else []
    if not failures:
        return
    over_count = "ToleratedFailureCount" in spec and failures > int(spec["ToleratedFailureCount"])
    share = failures * 100 / max(len(result), 1)
    over_share = "ToleratedFailurePercentage" in spec and share > float(spec["ToleratedFailurePercentage"])
    if over_count or over_share:
        raise FailureEventException(_failure(env, StatesErrorNameType.StatesExceedToleratedFailureThreshold.to_name(),
                                             EXCEEDED_TOLERANCE_CAUSE))


def _failure(env: Environment, error: str, cause: str | None) -> FailureEvent:
    error_name = StatesErrorName.from_name(error) if error.startswith("States.") else CustomErrorName(error)
    details = TaskFailedEventDetails(error=error)
    if cause is not None:
        details["cause"] = cause
    return FailureEvent(env=env, error_name=error_name, event_type=HistoryEventType.TaskFailed,
                        event_details=EventDetails(taskFailedEventDetails=details))  # type: ignore[typeddict-item]  # one key, as AWS


def _variables_of(env: Environment) -> dict[str, Any]:
    store = env.variable_store
    return {**store._outer_scope, **store._inner_scope}
