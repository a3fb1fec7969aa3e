"""A TestState request, read and checked as the Step Functions API checks it.

Messages are AWS's own, word for word, so a test that asserts on them passes offline and
against AWS alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sandbox.fakes._api import AwsError

INSPECTION_LEVELS = ("INFO", "DEBUG", "TRACE")
FIELD_VALIDATION_MODES = ("STRICT", "PRESENT", "NONE")
STATE_TYPES = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")
SINGLE_STATE_NAME = "StateName"
"""The name AWS gives a state tested alone (its `$$.State.Name`)."""
_MOCK_REQUIRED = ("Map", "Parallel")
_MOCK_REFUSED = ("Pass", "Fail", "Succeed", "Choice", "Wait")


def validation_error(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def invalid_definition(reason: str) -> AwsError:
    return AwsError("InvalidDefinition", f"Invalid State Machine Definition: '{reason}'")


@dataclass(frozen=True)
class Mock:
    """`mock`: the service's answer in place of the call (a result or an error)."""

    result: Any = None
    has_result: bool = False
    error: str | None = None
    cause: str | None = None
    field_validation_mode: str = "STRICT"

    @property
    def is_error(self) -> bool:
        return self.error is not None


@dataclass(frozen=True)
class StateConfiguration:
    """`stateConfiguration`: where in its retries or Map iterations the state is taken to be."""

    retrier_retry_count: int = 0
    error_caused_by_state: str | None = None
    map_iteration_failure_count: int | None = None
    map_item_reader_data: Any = None


@dataclass(frozen=True)
class TestStateRequest:
    """Everything TestState was asked, parsed; `state` is the state's own definition."""

    __test__ = False  # not a pytest test class, despite its name

    state_name: str
    state: dict[str, Any]
    query_language: str
    input: Any
    inspection_level: str = "INFO"
    role_arn: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    reveal_secrets: bool = False
    mock: Mock | None = None
    configuration: StateConfiguration = field(default_factory=StateConfiguration)

    @property
    def state_type(self) -> str:
        return str(self.state["Type"])


def parse_request(params: dict[str, Any]) -> TestStateRequest:
    """The request botocore sent (already checked against the API model), checked as AWS checks it."""
    state_name, state, query_language = _selected_state(params["definition"], params.get("stateName"))
    mock = _mock(params.get("mock"))
    request = TestStateRequest(
        state_name=state_name,
        state=state,
        query_language=query_language,
        input=_json_field(params.get("input", "{}"), "InvalidExecutionInput", "Input"),
        inspection_level=params.get("inspectionLevel", "INFO"),
        role_arn=params.get("roleArn"),
        variables=_json_object(params.get("variables"), "Variables"),
        context=_json_object(params.get("context"), "Context"),
        reveal_secrets=bool(params.get("revealSecrets", False)),
        mock=mock,
        configuration=_configuration(params.get("stateConfiguration") or {}),
    )
    _check_combination(request)
    return request


def _selected_state(definition_text: str, state_name: str | None) -> tuple[str, dict[str, Any], str]:
    try:
        definition = json.loads(definition_text)
    except ValueError as error:
        raise invalid_definition(f"INVALID_JSON_DESCRIPTION: {error}") from None
    if not isinstance(definition, dict):
        raise invalid_definition("SCHEMA_VALIDATION_FAILED: The definition must be a JSON object")
    if state_name is None:
        if "States" in definition:
            raise validation_error("stateName must be specified when the definition is a state machine")
        name = SINGLE_STATE_NAME
        state, query_language = definition, "JSONPath"
    else:
        states = definition.get("States")
        if not isinstance(states, dict) or state_name not in states:
            raise validation_error("State not found in definition")
        name, state = state_name, states[state_name]
        query_language = str(definition.get("QueryLanguage", "JSONPath"))
    if not isinstance(state, dict) or state.get("Type") not in STATE_TYPES:
        where = f"/States/{name}/Type" if state_name else "/Type"
        raise invalid_definition(f"SCHEMA_VALIDATION_FAILED: The field 'Type' should have one of these values: "
                                 f"[{', '.join(STATE_TYPES)}] at {where}")
    return name, state, str(state.get("QueryLanguage", query_language))


def _mock(mock: dict[str, Any] | None) -> Mock | None:
    if not mock:
        return None
    if "result" in mock and "errorOutput" in mock:
        raise validation_error("A test mock should have only one of the following fields: [result, errorOutput].")
    mode = mock.get("fieldValidationMode", "STRICT")
    if "errorOutput" in mock:
        error_output = mock["errorOutput"]
        return Mock(error=error_output.get("error", ""), cause=error_output.get("cause"), field_validation_mode=mode)
    if "result" not in mock:
        raise validation_error("A test mock should have one of the following fields: [result, errorOutput].")
    try:
        result = json.loads(mock["result"])
    except ValueError:
        raise validation_error("Mocked result must be valid JSON") from None
    return Mock(result=result, has_result=True, field_validation_mode=mode)


def _configuration(config: dict[str, Any]) -> StateConfiguration:
    reader_data = config.get("mapItemReaderData")
    return StateConfiguration(
        retrier_retry_count=int(config.get("retrierRetryCount", 0)),
        error_caused_by_state=config.get("errorCausedByState"),
        map_iteration_failure_count=config.get("mapIterationFailureCount"),
        map_item_reader_data=None if reader_data is None else _json_field(reader_data, "ValidationException",
                                                                          "mapItemReaderData"),
    )


def _check_combination(request: TestStateRequest) -> None:
    """The rules that tie fields together (which states take a mock, what a mock must look like)."""
    mock, kind, config = request.mock, request.state_type, request.configuration
    if mock is None:
        if kind in _MOCK_REQUIRED:
            raise AwsError("InvalidDefinition", "TestState API does not support Map or Parallel states. "
                           "Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]")
        if config.map_iteration_failure_count is not None:
            raise validation_error("TestState does not support MapIterationFailureCount when a mock is not specified.")
        if kind == "Task" and _needs_mock(str(request.state.get("Resource", ""))):
            raise validation_error("TestState only supports Activity tasks and the .sync and .waitForTaskToken "
                                   "integration patterns when a mock is specified")
        if kind == "Task" and not request.role_arn:
            raise validation_error("RoleArn must be specified when testing a Task state")
        return
    if kind in _MOCK_REFUSED:
        raise validation_error(f"State type '{kind}' is not supported when a mock is specified")
    if request.reveal_secrets:
        raise validation_error("TestState does not support RevealSecrets when a mock is specified.")
    if not mock.has_result:
        return
    if kind == "Map":
        _check_map_result(request, mock.result)
    elif kind == "Parallel":
        _check_parallel_result(request.state, mock.result)


def _needs_mock(resource: str) -> bool:
    """An Activity or a task that waits for the outside world: TestState can only take its answer from a mock."""
    return ":activity:" in resource or resource.endswith((".sync", ".sync:2", ".waitForTaskToken"))


def _check_map_result(request: TestStateRequest, result: Any) -> None:
    if "ResultWriter" in request.state:
        if not isinstance(result, dict):
            raise validation_error("Mocked result must be a JSON object.")
        return
    if not isinstance(result, list):
        raise validation_error("Mocked result must be an array.")
    failures = request.configuration.map_iteration_failure_count
    if failures is not None and failures > len(result):
        raise validation_error("Map iteration failure count must be less than or equal to the number of "
                               "Map iterations")


def _check_parallel_result(state: dict[str, Any], result: Any) -> None:
    if not isinstance(result, list):
        raise validation_error("Mocked result must be an array.")
    if len(result) != len(state.get("Branches") or []):
        raise validation_error("Mocked result must contain the same number of items as number of Parallel branches.")


def _json_field(text: str, code: str, name: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise AwsError(code, f"{name} must be valid JSON") from None


def _json_object(text: str | None, name: str) -> dict[str, Any]:
    if text is None:
        return {}
    value = _json_field(text, "ValidationException", name)
    if not isinstance(value, dict):
        raise validation_error(f"{name} must be a JSON object")
    return value
