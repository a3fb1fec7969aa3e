"""Step Functions semantics the sandbox restores in moto's interpreter, each stated as AWS's behaviour.

Every test names, in its docstring, the AWS documentation page the behaviour comes from. One
sandbox (the conformance template: an account, a region and nothing else) runs them all.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sandbox.core import Sandbox
from sandbox.moto_fixes.item_batcher import ItemBatcher, batch_items, split_item_batchers
from sandbox.moto_fixes.json_strings import json_string_value
from tests.conformance.runner import ROLE_ARN, TEMPLATE

DOCS = "https://docs.aws.amazon.com/step-functions/latest/dg/"


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox.from_template(TEMPLATE) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def no_leftover_mocks(sb: Sandbox) -> Iterator[None]:
    yield
    sb.faults.clear()
    sb.fakes.http.responders.clear()


def execute(sb: Sandbox, definition: dict[str, Any], payload: Any = None) -> dict[str, Any]:
    """Create a machine, run it to its end, return DescribeExecution's answer."""
    arn = sb.sfn.create_state_machine(name=f"t-{uuid.uuid4().hex[:12]}", definition=json.dumps(definition),
                                      roleArn=ROLE_ARN)["stateMachineArn"]
    execution = sb.sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload or {}))["executionArn"]
    sb.wait(execution)
    return sb.sfn.describe_execution(executionArn=execution)


def single(state: dict[str, Any], query_language: str | None = None) -> dict[str, Any]:
    definition = {"StartAt": "S", "States": {"S": {**state, "End": True}}}
    return {**definition, "QueryLanguage": query_language} if query_language else definition


def output_of(described: dict[str, Any]) -> Any:
    assert described["status"] == "SUCCEEDED", (described.get("error"), described.get("cause"))
    return json.loads(described["output"])


# -- JSONata ----------------------------------------------------------------------------------------


def test_a_string_result_is_returned_as_json_text(sb: Sandbox) -> None:
    """DescribeExecution's `output` is JSON text: a string result reads `"HelloWorld"` (quotes
    included), never bare `HelloWorld` (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html)."""
    described = execute(sb, single({"Type": "Pass", "Output": "{% $parse('\"HelloWorld\"') %}"}, "JSONata"))
    assert described["output"] == '"HelloWorld"'


def test_range_of_one_number_is_that_number(sb: Sandbox) -> None:
    """`$range(1, 9, 9)` gives the single-item sequence `1`, not `[1]` (JSONata's sequence rule;
    https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html)."""
    assert output_of(execute(sb, single({"Type": "Pass", "Output": "{% $range(1, 9, 9) %}"}, "JSONata"))) == 1


def test_an_assigned_quote_compares_equal_in_jsonata(sb: Sandbox) -> None:
    """A variable assigned the JSON string `"\\""` holds one quote character
    (https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html)."""
    definition = {"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"q": "\""}, "Next": "B"},
        "B": {"Type": "Pass", "Output": "{% $q = '\"' %}", "End": True}}}
    assert output_of(execute(sb, definition)) is True


def test_jsonata_causes_name_the_field(sb: Sandbox) -> None:
    """The States.QueryEvaluationError cause names the field the expression was written in
    (`specified for the field 'Output/result'`; https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html)."""
    described = execute(sb, single({"Type": "Pass", "Output": {"result": "{% $states.input.missing %}"}}, "JSONata"))
    assert described["error"] == "States.QueryEvaluationError"
    assert described["cause"].endswith(
        "The JSONata expression '$states.input.missing' specified for the field 'Output/result' "
        "returned nothing (undefined).")


def test_a_choice_condition_cause_names_its_rule(sb: Sandbox) -> None:
    """A Choice rule's Condition is named `Choices[i]/Condition` in the cause
    (https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html)."""
    definition = {"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n > 1 %}", "Next": "E"},
                                            {"Condition": "{% $sum(['a']) %}", "Next": "E"}], "Default": "E"},
        "E": {"Type": "Succeed"}}}
    described = execute(sb, definition, {"n": 0})
    assert "specified for the field 'Choices[1]/Condition' threw an error during evaluation" in described["cause"]


# -- variables ------------------------------------------------------------------------------------


def test_output_path_reads_the_value_from_before_the_states_assign(sb: Sandbox) -> None:
    """Assigned values are visible from the next state on: the assigning state's OutputPath still
    reads the previous value (https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html)."""
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"answer": 42}, "Next": "B"},
        "B": {"Type": "Pass", "Assign": {"answer": 7}, "OutputPath": "$answer", "Next": "C"},
        "C": {"Type": "Pass", "Parameters": {"before.$": "$", "after.$": "$answer"}, "End": True}}}
    assert output_of(execute(sb, definition)) == {"before": 42, "after": 7}


def test_variables_inside_intrinsic_functions(sb: Sandbox) -> None:
    """`States.Format('{}', $x)` and `States.StringToJson($json)` read workflow variables
    (https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html)."""
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"x": "hi", "json": "{\"a\":1}"}, "Next": "B"},
        "B": {"Type": "Pass", "End": True, "Parameters": {
            "f.$": "States.Format('{}', $x)", "j.$": "States.StringToJson($json)"}}}}
    assert output_of(execute(sb, definition)) == {"f": "hi", "j": {"a": 1}}


def test_string_tokens_are_read_as_json() -> None:
    """Definitions are JSON: `\\"`, `\\/` and `\\u0041` in a string are one character each
    (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-amazon-states-language.html)."""
    assert json_string_value('"a\\"b\\/\\u0041"') == 'a"b/A'
    assert json_string_value("$.plain") == "$.plain"


# -- context object ---------------------------------------------------------------------------------


def test_redrive_count_is_zero(sb: Sandbox) -> None:
    """`$$.Execution.RedriveCount` is 0 for an execution never redriven
    (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html)."""
    described = execute(sb, single({"Type": "Pass", "Parameters": {"r.$": "$$.Execution.RedriveCount"}}))
    assert output_of(described) == {"r": 0}


# -- Map --------------------------------------------------------------------------------------------


def test_map_catch_to_a_fail_without_error_fails_with_no_error_name(sb: Sandbox) -> None:
    """A Fail state without Error fails the execution with no error name, also when reached from a
    Map's Catch after a nameless iteration failure (https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html)."""
    definition = {"StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail"}}},
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "X"}], "End": True},
        "X": {"Type": "Fail"}}}
    described = execute(sb, definition, [1])
    assert described["status"] == "FAILED"
    assert "error" not in described


def test_map_items_not_an_array_cause_prints_the_json_value(sb: Sandbox) -> None:
    """`Map state input must be an array but was: 1`: the value as JSON
    (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html)."""
    definition = single({"Type": "Map", "ItemsPath": "$.a",
                         "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}})
    described = execute(sb, definition, {"a": {"k": 1}})
    assert described["error"] == "States.QueryEvaluationError"
    assert described["cause"].endswith('Map state input must be an array but was: {"k":1}')


def _distributed(extra: dict[str, Any], processor: dict[str, Any] | None = None) -> dict[str, Any]:
    states = processor or {"P": {"Type": "Pass", "End": True}}
    return single({"Type": "Map", **extra, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}, "StartAt": next(iter(states)),
        "States": states}})


def test_item_batcher_gives_each_child_items_and_batch_input(sb: Sandbox) -> None:
    """With ItemBatcher each child gets `{"Items": [...], "BatchInput": {...}}`, items selected
    one by one first (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html)."""
    definition = _distributed({
        "ItemsPath": "$.keys", "ItemSelector": {"key.$": "$$.Map.Item.Value"},
        "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"bucket.$": "$.bucket", "fixed": 1}}})
    output = output_of(execute(sb, definition, {"keys": ["a", "b", "c"], "bucket": "bk"}))
    assert output == [{"Items": [{"key": "a"}, {"key": "b"}], "BatchInput": {"bucket": "bk", "fixed": 1}},
                      {"Items": [{"key": "c"}], "BatchInput": {"bucket": "bk", "fixed": 1}}]


def test_item_batcher_limits() -> None:
    """MaxItemsPerBatch and MaxInputBytesPerBatch both bound a batch; an item alone over the byte
    limit still makes a batch (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html)."""
    assert batch_items([1, 2, 3], (2, 262144), None) == [{"Items": [1, 2]}, {"Items": [3]}]
    assert batch_items(["aaaa", "bbbb", "c" * 50], (None, 30), None) == [
        {"Items": ["aaaa", "bbbb"]}, {"Items": ["c" * 50]}]
    assert ItemBatcher({"MaxItemsPerBatchPath": "$.n"}).limits({"n": 3}) == (3, 262144)
    text, batchers = split_item_batchers(json.dumps(_distributed({"ItemBatcher": {"MaxItemsPerBatch": 1}})))
    assert "ItemBatcher" not in text and batchers == {"S": ItemBatcher({"MaxItemsPerBatch": 1})}


def test_distributed_map_definitions_aws_accepts_are_created(sb: Sandbox) -> None:
    """EXPRESS children and an integer ToleratedFailurePercentage are valid ASL
    (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html)."""
    definition = _distributed({"ToleratedFailurePercentage": 5})
    assert output_of(execute(sb, definition, [1])) == [1]


# -- errors -----------------------------------------------------------------------------------------


def test_error_equals_accepts_states_names_moto_does_not_know(sb: Sandbox) -> None:
    """ErrorEquals may name any `States.` error (`States.Http.Socket`, raised by HTTP Tasks); it
    matches exactly that name (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)."""
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [{"StartAt": "F", "States": {
            "F": {"Type": "Fail", "Error": "States.Http.Socket"}}}],
              "Catch": [{"ErrorEquals": ["States.Other"], "Next": "Wrong"},
                        {"ErrorEquals": ["States.Http.Socket"], "Next": "Right"}], "End": True},
        "Wrong": {"Type": "Pass", "Result": "wrong", "End": True},
        "Right": {"Type": "Pass", "Result": "right", "End": True}}}
    assert output_of(execute(sb, definition)) == "right"


def test_choice_without_match_fails_with_no_choice_matched(sb: Sandbox) -> None:
    """A Choice state with no matching rule and no Default fails with States.NoChoiceMatched
    (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)."""
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "E"}]},
        "E": {"Type": "Succeed"}}}
    assert execute(sb, definition)["error"] == "States.NoChoiceMatched"


# -- HTTP Task --------------------------------------------------------------------------------------

HTTP = {"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "Parameters": {
    "ApiEndpoint": "https://api.example.com/orders", "Method": "GET",
    "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/api/1"}}}


def test_http_task_is_answered_by_the_registered_responder(sb: Sandbox) -> None:
    """An HTTP Task's result is `{"Headers", "ResponseBody", "StatusCode", "StatusText"}`
    (https://docs.aws.amazon.com/step-functions/latest/dg/call-https-apis.html)."""
    sb.fakes.http.respond("GET", "https://api.example.com/", {"ResponseBody": {"orders": [1]}})
    output = output_of(execute(sb, single(HTTP)))
    assert output == {"Headers": {}, "ResponseBody": {"orders": [1]}, "StatusCode": 200, "StatusText": "OK"}
    assert sb.fakes.http.requests[-1]["ApiEndpoint"] == "https://api.example.com/orders"


def test_http_task_error_status_fails_with_its_code(sb: Sandbox) -> None:
    """A non-2xx answer fails the Task with `States.Http.StatusCode.<code>`
    (https://docs.aws.amazon.com/step-functions/latest/dg/call-https-apis.html)."""
    sb.fakes.http.respond("*", "https://api.example.com/", lambda request: {"StatusCode": 404})
    assert execute(sb, single(HTTP))["error"] == "States.Http.StatusCode.404"


def test_http_task_without_answer_fails_with_a_clear_cause(sb: Sandbox) -> None:
    """No internet: an unanswered call fails like a call that got no answer, States.Http.Socket,
    and the cause says how to answer it (https://docs.aws.amazon.com/step-functions/latest/dg/call-https-apis.html)."""
    described = execute(sb, single(HTTP))
    assert described["error"] == "States.Http.Socket"
    assert "sb.fakes.http.respond" in described["cause"] and "MockConfigFile" in described["cause"]


def test_http_task_is_answered_by_a_mock_config_test_case(sb: Sandbox) -> None:
    """A MockConfigFile mocked response answers the HTTP Task as it answers any Task
    (https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html)."""
    sb.faults.mock("S", {"0": {"Return": {"StatusCode": 200, "ResponseBody": "mocked"}}})
    assert output_of(execute(sb, single(HTTP)))["ResponseBody"] == "mocked"


def test_states_all_does_not_catch_states_runtime(sb: Sandbox) -> None:
    """States.ALL matches every error but the terminal States.Runtime (and DataLimitExceeded): a
    Catch on States.ALL lets it end the execution (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)."""
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [{"StartAt": "X", "States": {
            "X": {"Type": "Pass", "Parameters": {"r.$": "$.missing"}, "End": True}}}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}], "End": True},
        "H": {"Type": "Pass", "End": True}}}
    assert execute(sb, definition)["error"] == "States.Runtime"


def test_a_jsonpath_choice_rule_assigns_when_it_matches(sb: Sandbox) -> None:
    """A Choice rule's own Assign sets its variables when the rule matches
    (https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html)."""
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Default": "E", "Choices": [
            {"Variable": "$.a", "NumericEquals": 1, "Assign": {"picked": "one"}, "Next": "E"}]},
        "E": {"Type": "Pass", "Parameters": {"p.$": "$picked"}, "End": True}}}
    assert output_of(execute(sb, definition, {"a": 1})) == {"p": "one"}


@pytest.mark.parametrize(("config", "body", "items"), [
    ({"InputType": "JSONL"}, '{"k": 1}\n\n{"k": 2}\n', [{"k": 1}, {"k": 2}]),
    ({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": "SEMICOLON"}, "a;b\n1;x y\n",
     [{"a": "1", "b": "x y"}]),
    ({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": "TAB", "MaxItems": 1}, "a\tb\n1\t2\n3\t4\n",
     [{"a": "1", "b": "2"}]),
], ids=["jsonl", "semicolon", "tab-max-items"])
def test_item_reader_reads_json_lines_and_delimited_csv(sb: Sandbox, config: dict[str, Any], body: str,
                                                        items: list[Any]) -> None:
    """ItemReader reads JSON Lines (`"InputType": "JSONL"`) and CSV with a `CSVDelimiter`
    (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html)."""
    from sandbox.session import shared_client

    s3 = shared_client(sb.region, "s3")
    s3.create_bucket(Bucket="reader-forms")
    s3.put_object(Bucket="reader-forms", Key="items", Body=body.encode())
    definition = _distributed({"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": config,
                                              "Parameters": {"Bucket": "reader-forms", "Key": "items"}}})
    assert output_of(execute(sb, definition)) == items


def test_intrinsic_string_escapes(sb: Sandbox) -> None:
    """In an intrinsic's string literal `\\'`, `\\{`, `\\}` and `\\\\` are escapes; States.Format
    prints escaped braces and fills only `{}` (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html)."""
    definition = single({"Type": "Pass", "Parameters": {
        "quote.$": "States.Format('it\\'s {}', $.a)", "braces.$": "States.Format('\\{\\} {}', $.a)"}})
    assert output_of(execute(sb, definition, {"a": "x"})) == {"quote": "it's x", "braces": "{} x"}


def test_item_batcher_in_a_jsonata_state(sb: Sandbox) -> None:
    """In JSONata, MaxItemsPerBatch and BatchInput may be expressions over `$states.input`
    (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html)."""
    definition = {**_distributed({"Items": "{% $states.input.l %}", "ItemBatcher": {
        "MaxItemsPerBatch": "{% $states.input.size %}", "BatchInput": {"tag": "{% $states.input.tag %}"}}}),
        "QueryLanguage": "JSONata"}
    output = output_of(execute(sb, definition, {"l": [1, 2, 3], "size": 3, "tag": "t"}))
    assert output == [{"Items": [1, 2, 3], "BatchInput": {"tag": "t"}}]


@pytest.mark.parametrize(("shape", "fields"), [
    ("", ("aws-sdk:s3", "listBuckets")),
    ("sfl", ("aws-sdk", "s3:listBuckets")),
], ids=["aws", "sfl"])
def test_aws_sdk_task_history_fields(sb: Sandbox, monkeypatch: pytest.MonkeyPatch, shape: str,
                                     fields: tuple[str, str]) -> None:
    """AWS records an aws-sdk Task as `resourceType: "aws-sdk:s3"`, `resource: "listBuckets"`
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_TaskScheduledEventDetails.html);
    SANDBOX_HISTORY_SHAPE=sfl records Step Functions Local's `"aws-sdk"`, `"s3:listBuckets"`."""
    monkeypatch.setenv("SANDBOX_HISTORY_SHAPE", shape)
    definition = single({"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets", "Parameters": {},
                         "ResultPath": None})
    execution = execute(sb, definition)["executionArn"]
    events = sb.sfn.get_execution_history(executionArn=execution)["events"]
    scheduled = next(e["taskScheduledEventDetails"] for e in events if e["type"] == "TaskScheduled")
    assert (scheduled["resourceType"], scheduled["resource"]) == fields


def test_a_string_result_of_a_synchronous_express_execution_is_json_text(sb: Sandbox) -> None:
    """StartSyncExecution's `output` is JSON text too: `"HelloWorld"` with its quotes
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartSyncExecution.html)."""
    arn = sb.sfn.create_state_machine(
        name=f"t-{uuid.uuid4().hex[:12]}", roleArn=ROLE_ARN, type="EXPRESS",
        definition=json.dumps(single({"Type": "Pass", "Result": "HelloWorld"})))["stateMachineArn"]
    assert sb.sfn.start_sync_execution(stateMachineArn=arn, input="{}")["output"] == '"HelloWorld"'


def test_item_batcher_on_an_inline_map_is_refused(sb: Sandbox) -> None:
    """ItemBatcher belongs to Distributed Map only: an inline Map declaring it is no valid definition
    (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html)."""
    definition = single({"Type": "Map", "ItemBatcher": {"MaxItemsPerBatch": 2},
                         "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}})
    with pytest.raises(ClientError, match="ItemBatcher is valid only in a Distributed Map"):
        sb.sfn.create_state_machine(name=f"t-{uuid.uuid4().hex[:12]}", definition=json.dumps(definition),
                                    roleArn=ROLE_ARN)
