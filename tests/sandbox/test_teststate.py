"""TestState offline: the Step Functions API for one state, answered as AWS answers it.

Each test states the AWS behaviour it checks; the shapes and messages are those of the
TestState API reference (https://docs.aws.amazon.com/step-functions/latest/apireference/API_TestState.html)
and of "Using TestState API to test a state"
(https://docs.aws.amazon.com/step-functions/latest/dg/test-state-isolation.html).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sandbox.core import Sandbox
from sandbox.session import shared_client
from sandbox.teststate.result import TestStateResult

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
ROLE = "arn:aws:iam::123456789012:role/TestStateRole"
LAMBDA_TASK = {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "foo", "Payload.$": "$"},
    "Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2},
              {"ErrorEquals": ["MockException"], "IntervalSeconds": 1, "MaxAttempts": 5, "BackoffRate": 2.0}],
    "Catch": [{"ErrorEquals": ["Other"], "Next": "Elsewhere"},
              {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "HandleError"}],
    "End": True,
}
MAP = {"Type": "Map", "ItemsPath": "$.items", "ToleratedFailureCount": 1, "MaxConcurrency": 2,
       "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": True}}},
       "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "TooManyFailures"}],
       "End": True}
MACHINE = {
    "StartAt": "Route",
    "States": {
        "Route": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Big"}],
                  "Default": "Small"},
        "Big": {"Type": "Pass", "Result": {"size": "big"}, "ResultPath": "$.verdict", "End": True},
        "Small": {"Type": "Fail", "Error": "TooSmall", "Cause": "n is 5 or less"},
    },
}


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox.from_template(TEMPLATE) as sandbox:
        yield sandbox


def call(sb: Sandbox, state: dict[str, Any], input: Any = None, **request: Any) -> TestStateResult:
    request.setdefault("inspectionLevel", "DEBUG")
    response = sb.sfn.test_state(definition=json.dumps(state), input=json.dumps({} if input is None else input),
                                 **request)
    return TestStateResult.of(response)


def refused(sb: Sandbox, state: dict[str, Any], **request: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        sb.sfn.test_state(definition=json.dumps(state), **request)
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def test_pass_state_reports_each_step_of_its_data_flow_at_debug(sb: Sandbox) -> None:
    """A JSONPath Pass reports input, afterInputPath, afterParameters, afterResultSelector, afterResultPath."""
    state = {"Type": "Pass", "InputPath": "$.order", "Parameters": {"id.$": "$.id"}, "ResultPath": "$.picked",
             "Next": "Ship"}
    result = call(sb, state, {"order": {"id": 7, "lines": 2}})
    assert result.status == "SUCCEEDED"
    assert result.next_state == "Ship"
    # ResultPath places the result into the state's own input, not into what InputPath selected.
    assert result.output == {"order": {"id": 7, "lines": 2}, "picked": {"id": 7}}
    assert result.inspection == {
        "input": {"order": {"id": 7, "lines": 2}}, "afterInputPath": {"id": 7, "lines": 2},
        "afterParameters": {"id": 7}, "afterResultSelector": {"id": 7},
        "afterResultPath": {"order": {"id": 7, "lines": 2}, "picked": {"id": 7}},
    }
    assert isinstance(result.response["output"], str)  # the API answers JSON text


def test_info_level_answers_without_inspection_data(sb: Sandbox) -> None:
    result = call(sb, {"Type": "Pass", "End": True}, {"a": 1}, inspectionLevel="INFO")
    assert result.response == {"status": "SUCCEEDED", "output": '{"a":1}'}


def test_task_with_a_mocked_result_runs_it_through_result_selector_and_result_path(sb: Sandbox) -> None:
    state = {**LAMBDA_TASK, "ResultSelector": {"answer.$": "$.Payload.answer"}, "ResultPath": "$.task"}
    mocked = {"Payload": {"answer": 42}, "StatusCode": 200}
    result = call(sb, state, {"q": "?"}, mock={"result": json.dumps(mocked)})
    assert result.status == "SUCCEEDED"
    assert result.output == {"q": "?", "task": {"answer": 42}}
    assert result.inspection["afterParameters"] == {"FunctionName": "foo", "Payload": {"q": "?"}}
    assert result.inspection["result"] == mocked
    assert result.inspection["afterResultSelector"] == {"answer": 42}
    assert result.next_state is None  # an End state has no next state


def test_mocked_error_matching_a_retrier_is_retriable_with_its_backoff(sb: Sandbox) -> None:
    """The second retrier matches; after 3 retries AWS would wait IntervalSeconds x BackoffRate^3 = 8 s."""
    result = call(sb, LAMBDA_TASK, {"q": 1}, mock={"errorOutput": {"error": "MockException", "cause": "boom"}},
                  stateConfiguration={"retrierRetryCount": 3})
    assert (result.status, result.error, result.cause) == ("RETRIABLE", "MockException", "boom")
    assert result.error_details == {"retryIndex": 1, "retryBackoffIntervalSeconds": 8}
    assert result.output is None


def test_retrier_spent_falls_through_to_the_first_matching_catcher(sb: Sandbox) -> None:
    result = call(sb, LAMBDA_TASK, {"q": 1}, mock={"errorOutput": {"error": "MockException", "cause": "boom"}},
                  stateConfiguration={"retrierRetryCount": 5})
    assert (result.status, result.error, result.next_state) == ("CAUGHT_ERROR", "MockException", "HandleError")
    assert result.error_details == {"retryIndex": 1, "catchIndex": 1}
    assert result.output == {"q": 1, "error": {"Error": "MockException", "Cause": "boom"}}


def test_uncaught_error_fails_the_state(sb: Sandbox) -> None:
    state = {key: value for key, value in LAMBDA_TASK.items() if key != "Catch"}
    result = call(sb, state, mock={"errorOutput": {"error": "MockException", "cause": "boom"}},
                  stateConfiguration={"retrierRetryCount": 5})
    assert (result.status, result.error, result.cause) == ("FAILED", "MockException", "boom")
    assert result.error_details == {"retryIndex": 1}


def test_max_delay_seconds_caps_the_backoff(sb: Sandbox) -> None:
    retrier = {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "BackoffRate": 3.0, "MaxAttempts": 9,
               "MaxDelaySeconds": 60}
    state = {**LAMBDA_TASK, "Retry": [retrier]}
    result = call(sb, state, mock={"errorOutput": {"error": "Any"}}, stateConfiguration={"retrierRetryCount": 4})
    assert result.error_details == {"retryIndex": 0, "retryBackoffIntervalSeconds": 60}


def test_named_state_of_a_whole_definition(sb: Sandbox) -> None:
    definition = json.dumps(MACHINE)
    big = TestStateResult.of(sb.sfn.test_state(definition=definition, stateName="Route", input='{"n": 9}'))
    small = TestStateResult.of(sb.sfn.test_state(definition=definition, stateName="Route", input='{"n": 2}'))
    fail = TestStateResult.of(sb.sfn.test_state(definition=definition, stateName="Small", input="{}"))
    assert (big.status, big.next_state, big.output) == ("SUCCEEDED", "Big", {"n": 9})
    assert small.next_state == "Small"
    assert (fail.status, fail.error, fail.cause) == ("FAILED", "TooSmall", "n is 5 or less")


def test_pass_with_result_reports_its_result(sb: Sandbox) -> None:
    result = TestStateResult.of(sb.sfn.test_state(definition=json.dumps(MACHINE), stateName="Big",
                                                  input='{"n": 9}', inspectionLevel="TRACE"))
    assert result.output == {"n": 9, "verdict": {"size": "big"}}
    assert result.inspection == {"input": {"n": 9}, "result": {"size": "big"},
                                 "afterResultSelector": {"size": "big"},
                                 "afterResultPath": {"n": 9, "verdict": {"size": "big"}}}


@pytest.mark.parametrize(("failures", "status", "next_state"), [(1, "SUCCEEDED", None),
                                                                 (2, "CAUGHT_ERROR", "TooManyFailures")])
def test_map_iteration_failures_beyond_the_tolerance_fail_the_map(sb: Sandbox, failures: int, status: str,
                                                                   next_state: str | None) -> None:
    result = call(sb, MAP, {"items": [1, 2, 3]}, mock={"result": "[1, 2, 3]"},
                  stateConfiguration={"mapIterationFailureCount": failures})
    assert (result.status, result.next_state) == (status, next_state)
    assert result.inspection["maxConcurrency"] == 2
    assert result.inspection["toleratedFailureCount"] == 1
    assert result.inspection["afterItemsPath"] == [1, 2, 3]
    if status == "CAUGHT_ERROR":
        assert result.error == "States.ExceedToleratedFailureThreshold"
        assert result.error_details == {"catchIndex": 0}
    else:
        assert result.output == [1, 2, 3]


def test_map_without_a_tolerance_ignores_the_failure_count(sb: Sandbox) -> None:
    state = {key: value for key, value in MAP.items() if key != "ToleratedFailureCount"}
    result = call(sb, state, {"items": [1, 2]}, mock={"result": "[0, 0]"},
                  stateConfiguration={"mapIterationFailureCount": 2})
    assert result.status == "SUCCEEDED"


def test_parallel_takes_the_mocked_branch_results(sb: Sandbox) -> None:
    branch = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    state = {"Type": "Parallel", "Branches": [branch, branch], "ResultPath": "$.both", "End": True}
    result = call(sb, state, {"k": 1}, mock={"result": '[{"b": 1}, {"b": 2}]'})
    assert result.output == {"k": 1, "both": [{"b": 1}, {"b": 2}]}


def test_jsonata_task_reports_arguments_and_assigned_variables(sb: Sandbox) -> None:
    state = {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
             "Arguments": {"FunctionName": "foo", "Payload": "{% $states.input.n * $factor %}"},
             "Assign": {"doubled": "{% $states.result.Payload %}"}, "Output": "{% $states.result.Payload + 1 %}",
             "End": True}
    result = call(sb, state, {"n": 4}, variables=json.dumps({"factor": 2}),
                  mock={"result": json.dumps({"Payload": 8, "StatusCode": 200})})
    assert result.status == "SUCCEEDED"
    assert result.output == 9
    assert result.inspection["afterArguments"] == {"FunctionName": "foo", "Payload": 8}
    assert result.inspection["variables"] == {"factor": 2, "doubled": 8}


def test_wait_state_does_not_wait(sb: Sandbox) -> None:
    before = sb.clock.time()
    result = call(sb, {"Type": "Wait", "Seconds": 86_400, "Next": "Later"}, {"x": 1})
    assert (result.status, result.next_state, result.output) == ("SUCCEEDED", "Later", {"x": 1})
    assert sb.clock.time() == before


def test_context_object_fields_can_be_given(sb: Sandbox) -> None:
    state = {"Type": "Pass", "Parameters": {"name.$": "$$.Execution.Name", "token.$": "$$.Task.Token"}, "End": True}
    result = call(sb, state, context=json.dumps({"Execution": {"Name": "my-run"}, "Task": {"Token": "t-1"}}))
    assert result.output == {"name": "my-run", "token": "t-1"}


def test_task_without_a_mock_calls_the_sandbox_service(sb: Sandbox) -> None:
    """Unmocked, the Task calls moto (here DynamoDB) as an execution's Task would."""
    table = sb.stack.resources["DocumentProcessedObjectsTable"].name
    state = {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
             "Parameters": {"TableName": table, "Item": {"pk": {"S.$": "$.key"}}}, "ResultPath": None,
             "End": True}
    result = call(sb, state, {"key": "from-test-state"}, roleArn=ROLE)
    assert result.status == "SUCCEEDED"
    stored = shared_client(sb.region, "dynamodb").get_item(TableName=table, Key={"pk": {"S": "from-test-state"}})
    assert stored["Item"] == {"pk": {"S": "from-test-state"}}


@pytest.mark.parametrize(("mock", "message"), [
    ({"Entries": "not-a-list"}, "Field 'Entries' must be an array"),
    ({"Entries": [{"EventId": 1}]}, "Field 'EventId' must be a string"),
    ({"FailedEntryCount": "0"}, "Field 'FailedEntryCount' must be a number"),
])
def test_strict_mode_refuses_a_result_that_does_not_fit_the_api(sb: Sandbox, mock: Any, message: str) -> None:
    state = {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents", "Parameters": {"Entries": []},
             "End": True}
    code, text = refused(sb, state, input="{}", mock={"result": json.dumps(mock)})
    assert (code, text) == ("ValidationException", f"Mock result schema validation error: {message}")


def test_strict_requires_required_fields_present_does_not(sb: Sandbox) -> None:
    state = {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
             "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:x"}, "End": True}
    _code, text = refused(sb, state, input="{}", mock={"result": "{}"})
    assert text == "Mock result schema validation error: Required field 'ExecutionArn' is missing"
    present = call(sb, state, mock={"result": "{}", "fieldValidationMode": "PRESENT"})
    unchecked = call(sb, state, mock={"result": '{"StartDate": true}', "fieldValidationMode": "NONE"})
    assert (present.status, unchecked.status) == ("SUCCEEDED", "SUCCEEDED")


def test_fields_the_api_does_not_define_are_accepted(sb: Sandbox) -> None:
    result = call(sb, LAMBDA_TASK, mock={"result": '{"random": "json"}'})
    assert result.output == {"random": "json"}


@pytest.mark.parametrize(("state", "request_fields", "code", "message"), [
    (MAP, {}, "InvalidDefinition", "TestState API does not support Map or Parallel states. Supported state types "
                                   "include: [Task, Wait, Pass, Succeed, Fail, Choice]"),
    ({"Type": "Pass", "End": True}, {"mock": {"result": "{}"}}, "ValidationException",
     "State type 'Pass' is not supported when a mock is specified"),
    (LAMBDA_TASK, {"mock": {"result": "{}", "errorOutput": {"error": "E"}}}, "ValidationException",
     "A test mock should have only one of the following fields: [result, errorOutput]."),
    (LAMBDA_TASK, {"mock": {"result": "{not json"}}, "ValidationException", "Mocked result must be valid JSON"),
    (LAMBDA_TASK, {"mock": {"result": "{}"}, "revealSecrets": True}, "ValidationException",
     "TestState does not support RevealSecrets when a mock is specified."),
    (LAMBDA_TASK, {}, "ValidationException", "RoleArn must be specified when testing a Task state"),
    (MAP, {"mock": {"result": "{}"}}, "ValidationException", "Mocked result must be an array."),
    (MAP, {"mock": {"result": "[1]"}, "stateConfiguration": {"mapIterationFailureCount": 2}}, "ValidationException",
     "Map iteration failure count must be less than or equal to the number of Map iterations"),
    ({"Type": "Pass", "End": True}, {"stateConfiguration": {"mapIterationFailureCount": 1}}, "ValidationException",
     "TestState does not support MapIterationFailureCount when a mock is not specified."),
    ({"Type": "Parallel", "Branches": [MACHINE], "End": True}, {"mock": {"result": "[1, 2]"}},
     "ValidationException", "Mocked result must contain the same number of items as number of Parallel branches."),
    ({"Type": "Sleep", "End": True}, {}, "InvalidDefinition",
     "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The field 'Type' should have one of these "
     "values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map] at /Type'"),
    ({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True},
     {"roleArn": ROLE}, "ValidationException", "TestState only supports Activity tasks and the .sync and "
                                               ".waitForTaskToken integration patterns when a mock is specified"),
])
def test_requests_aws_refuses_are_refused_with_its_words(sb: Sandbox, state: dict[str, Any],
                                                         request_fields: dict[str, Any], code: str,
                                                         message: str) -> None:
    assert refused(sb, state, input="{}", **request_fields) == (code, message)


def test_unknown_state_name_and_bad_input_are_refused(sb: Sandbox) -> None:
    definition = json.dumps(MACHINE)
    with pytest.raises(ClientError, match="State not found in definition"):
        sb.sfn.test_state(definition=definition, stateName="Nope", input="{}")
    with pytest.raises(ClientError) as raised:
        sb.sfn.test_state(definition=definition, stateName="Route", input="{bad")
    assert raised.value.response["Error"]["Code"] == "InvalidExecutionInput"
    with pytest.raises(ClientError) as raised:
        sb.sfn.test_state(definition="{not json", input="{}")
    assert raised.value.response["Error"]["Code"] == "InvalidDefinition"


def test_a_mock_applies_to_its_test_only(sb: Sandbox) -> None:
    """The mock is bound to the test's own run: the fault plan keeps nothing of it afterwards."""
    call(sb, LAMBDA_TASK, mock={"result": "{}"})
    assert sb.faults is not None
    assert not [rule for rule in sb.faults._rules if rule.execution_arn]


@pytest.mark.parametrize(("resource", "mocked", "output"), [
    ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", {"approved": True}, {"approved": True}),
    ("arn:aws:states:::states:startExecution.sync:2", {"Output": "{}", "Status": "SUCCEEDED"},
     {"Output": "{}", "Status": "SUCCEEDED"}),
    ("arn:aws:states:us-east-1:123456789012:activity:review", {"reviewed": 1}, {"reviewed": 1}),
    ("arn:aws:lambda:us-east-1:123456789012:function:legacy", {"Payload": {"n": 2}, "StatusCode": 200}, {"n": 2}),
])
def test_tasks_that_wait_for_the_outside_world_take_their_answer_from_the_mock(
        sb: Sandbox, resource: str, mocked: dict[str, Any], output: Any) -> None:
    """Callbacks, .sync jobs and Activities do not wait: the mock is their answer (a plain Lambda ARN's is Invoke's)."""
    state = {"Type": "Task", "Resource": resource, "Parameters": {"in.$": "$"}, "End": True}
    result = call(sb, state, {"k": 1}, mock={"result": json.dumps(mocked), "fieldValidationMode": "NONE"})
    assert (result.status, result.output) == ("SUCCEEDED", output)
