"""JSONata in moto's ASL interpreter behaves as in AWS Step Functions (sandbox.moto_fixes.jsonata).

Each test runs a small inline state machine through moto's interpreter and states, in its
docstring, the AWS behaviour it pins down. Without ``install()`` every one of them fails: moto has
no JSONata evaluator at all.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from sandbox.moto_fixes import jsonata as jsonata_fix

ROLE_ARN = "arn:aws:iam::123456789012:role/sandbox-sfn"
REGION = "us-east-1"
POLL_SECONDS = 0.005
DEADLINE_SECONDS = 30.0


@pytest.fixture
def sfn() -> Iterator[Any]:
    """A Step Functions client on moto with the ASL interpreter and the JSONata fix switched on."""
    jsonata_fix.install()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield boto3.client("stepfunctions", region_name=REGION)


def run(sfn: Any, definition: dict[str, Any], execution_input: Any = None) -> dict[str, Any]:
    """Start one execution of ``definition`` and poll describe_execution until it is not RUNNING."""
    arn = sfn.create_state_machine(
        name=f"m-{uuid.uuid4().hex[:12]}", definition=json.dumps(definition), roleArn=ROLE_ARN
    )["stateMachineArn"]
    execution_arn = sfn.start_execution(
        stateMachineArn=arn, input=json.dumps({} if execution_input is None else execution_input)
    )["executionArn"]
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        assert time.monotonic() < deadline, "execution still RUNNING"
        time.sleep(POLL_SECONDS)


def output_of(described: dict[str, Any]) -> Any:
    """The execution output as JSON, after checking the execution succeeded."""
    assert described["status"] == "SUCCEEDED", (described.get("error"), described.get("cause"))
    return json.loads(described["output"])


def jsonata_machine(states: dict[str, Any], start_at: str) -> dict[str, Any]:
    """A definition with ``"QueryLanguage": "JSONata"`` at the top level."""
    return {"QueryLanguage": "JSONata", "StartAt": start_at, "States": states}


def single_pass(output: Any) -> dict[str, Any]:
    """A JSONata machine of one Pass state whose ``Output`` is ``output``."""
    return jsonata_machine({"P": {"Type": "Pass", "Output": output, "End": True}}, "P")


def test_install_is_idempotent() -> None:
    """install() may be called by every fixture and CLI entry point; patching twice must not stack."""
    jsonata_fix.install()
    jsonata_fix.install()
    assert jsonata_fix._installed


def test_pass_output_expression_and_template(sfn: Any) -> None:
    """AWS: ``Output`` is either one ``{% %}`` expression or a JSON template whose string values may be
    expressions at any depth; ``$states.input`` is the state input; other strings stay literal."""
    definition = single_pass(
        {
            "greeting": "{% 'Hello ' & $states.input.name %}",
            "total": "{% $sum($states.input.items.price) %}",
            "nested": {"upper": ["{% $uppercase($states.input.name) %}"]},
            "literal": "$states.input.name",
        }
    )
    described = run(sfn, definition, {"name": "María", "items": [{"price": 2}, {"price": 3.5}]})
    assert output_of(described) == {
        "greeting": "Hello María",
        "total": 5.5,
        "nested": {"upper": ["MARÍA"]},
        "literal": "$states.input.name",
    }


def test_assign_variables_used_in_a_later_state(sfn: Any) -> None:
    """AWS: ``Assign`` on a state (no Task needed) sets workflow variables that later states read as
    ``$name``; all Assign expressions see the values from before the state (not each other's)."""
    definition = jsonata_machine(
        {
            "Init": {
                "Type": "Pass",
                "Assign": {"count": "{% $states.input.start %}", "label": "{% 'run-' & $states.input.id %}"},
                "Next": "Bump",
            },
            "Bump": {
                "Type": "Pass",
                "Assign": {"count": "{% $count + 1 %}", "before": "{% $count %}"},
                "Next": "Report",
            },
            "Report": {
                "Type": "Pass",
                "Output": {"count": "{% $count %}", "before": "{% $before %}", "label": "{% $label %}"},
                "End": True,
            },
        },
        "Init",
    )
    described = run(sfn, definition, {"start": 41, "id": 'a"b\\c'})
    assert output_of(described) == {"count": 42, "before": 41, "label": 'run-a"b\\c'}


def test_assigned_variables_in_history_are_json(sfn: Any) -> None:
    """AWS: a StateExited event lists ``assignedVariables`` with each value as JSON text, so a string
    holding quotes or backslashes is escaped and null is ``null``."""
    definition = jsonata_machine(
        {"Init": {"Type": "Pass", "Assign": {"s": "{% $states.input.s %}", "n": "{% null %}"}, "End": True}},
        "Init",
    )
    described = run(sfn, definition, {"s": 'a"b\\c'})
    events = sfn.get_execution_history(executionArn=described["executionArn"])["events"]
    exited = next(e["stateExitedEventDetails"] for e in events if e["type"] == "PassStateExited")
    assert exited["assignedVariables"] == {"s": json.dumps('a"b\\c'), "n": "null"}


def test_choice_condition(sfn: Any) -> None:
    """AWS: a JSONata Choice rule is a boolean ``Condition``; the first true rule wins, else Default."""
    definition = jsonata_machine(
        {
            "Route": {
                "Type": "Choice",
                "Choices": [
                    {"Condition": "{% $states.input.amount > 100 %}", "Next": "Big"},
                    {"Condition": "{% $states.input.amount > 10 %}", "Next": "Medium"},
                ],
                "Default": "Small",
            },
            "Big": {"Type": "Pass", "Output": {"size": "big"}, "End": True},
            "Medium": {"Type": "Pass", "Output": {"size": "medium"}, "End": True},
            "Small": {"Type": "Pass", "Output": {"size": "small"}, "End": True},
        },
        "Route",
    )
    results = [output_of(run(sfn, definition, {"amount": amount}))["size"] for amount in (500, 50, 5)]
    assert results == ["big", "medium", "small"]


def test_map_over_jsonata_items_with_item_selector(sfn: Any) -> None:
    """AWS: a JSONata Map takes ``Items`` from an expression and builds each iteration's input with
    ``ItemSelector``, where ``$states.context.Map.Item.Value``/``Index`` are the item and its index;
    the Map's ``$states.result`` is the array of iteration outputs."""
    definition = jsonata_machine(
        {
            "Each": {
                "Type": "Map",
                "Items": "{% $states.input.orders[qty > 0] %}",
                "ItemSelector": {
                    "sku": "{% $states.context.Map.Item.Value.sku %}",
                    "position": "{% $states.context.Map.Item.Index %}",
                    "qty": "{% $states.context.Map.Item.Value.qty %}",
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Line",
                    "States": {
                        "Line": {
                            "Type": "Pass",
                            "Output": "{% $join([$string($states.input.position), $states.input.sku]) %}",
                            "End": True,
                        }
                    },
                },
                "Output": {"lines": "{% $states.result %}"},
                "End": True,
            }
        },
        "Each",
    )
    orders = [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 0}, {"sku": "c", "qty": 1}]
    assert output_of(run(sfn, definition, {"orders": orders})) == {"lines": ["0a", "1c"]}


def test_wait_seconds_and_timestamp_expressions(sfn: Any) -> None:
    """AWS: a JSONata Wait takes ``Seconds`` or ``Timestamp`` from an expression (0 seconds and a past
    timestamp here, so the test stays fast) and passes its input through."""
    definition = jsonata_machine(
        {
            "Pause": {"Type": "Wait", "Seconds": "{% $states.input.delay - 2 %}", "Next": "Until"},
            "Until": {"Type": "Wait", "Timestamp": "{% $states.input.at %}", "Next": "Done"},
            "Done": {"Type": "Pass", "Output": "{% $states.input %}", "End": True},
        },
        "Pause",
    )
    execution_input = {"delay": 2, "at": "2001-02-03T04:05:06Z"}
    assert output_of(run(sfn, definition, execution_input)) == execution_input


def test_partition(sfn: Any) -> None:
    """AWS ``$partition(array, chunkSize)``: consecutive chunks of chunkSize, the last one shorter."""
    definition = single_pass("{% $partition($states.input.xs, 2) %}")
    assert output_of(run(sfn, definition, {"xs": [1, 2, 3, 4, 5]})) == [[1, 2], [3, 4], [5]]


def test_range(sfn: Any) -> None:
    """AWS ``$range(start, end, step)``: as States.ArrayRange, end is included when a step lands on it."""
    definition = single_pass({"up": "{% $range(0, 10, 2) %}", "odd": "{% $range(0, 9, 4) %}"})
    assert output_of(run(sfn, definition)) == {"up": [0, 2, 4, 6, 8, 10], "odd": [0, 4, 8]}


def test_hash(sfn: Any) -> None:
    """AWS ``$hash(data, algorithm)``: lowercase hex digest; MD5, SHA-1, SHA-256, SHA-384, SHA-512."""
    definition = single_pass(
        {
            "sha1": "{% $hash($states.input.s, 'SHA-1') %}",
            "sha256": "{% $hash($states.input.s, 'SHA-256') %}",
            "md5": "{% $hash($states.input.s, 'MD5') %}",
        }
    )
    assert output_of(run(sfn, definition, {"s": "input"})) == {
        "sha1": "140f86aae51ab9e1cda9b4254fe98a74eb54c1a1",
        "sha256": hashlib.sha256(b"input").hexdigest(),
        "md5": hashlib.md5(b"input").hexdigest(),
    }


def test_random_with_and_without_seed(sfn: Any) -> None:
    """AWS ``$random([seed])``: 0 <= n < 1; a seed gives java.util.Random's first double, so
    ``$random(42)`` is 0.7275636800328681 on every call."""
    definition = single_pass(
        {"seeded": "{% $random(42) %}", "again": "{% $random(42) %}", "free": "{% $random() %}"}
    )
    result = output_of(run(sfn, definition))
    assert result["seeded"] == result["again"] == 0.7275636800328681
    assert 0 <= result["free"] < 1


def test_uuid(sfn: Any) -> None:
    """AWS ``$uuid()``: a fresh version 4 UUID string on each call."""
    definition = single_pass(["{% $uuid() %}", "{% $uuid() %}"])
    first, second = output_of(run(sfn, definition))
    assert first != second
    assert uuid.UUID(first).version == 4 and uuid.UUID(second).version == 4


def test_parse_and_no_eval(sfn: Any) -> None:
    """AWS ``$parse(json)`` turns a JSON string into a value (JSON null stays null); ``$eval`` is not
    available on AWS and calling it fails the state with States.QueryEvaluationError."""
    parsed = single_pass("{% $parse($states.input.doc) %}")
    doc = '{"a": [1, null, "x"], "b": {"c": true}}'
    assert output_of(run(sfn, parsed, {"doc": doc})) == {"a": [1, None, "x"], "b": {"c": True}}

    described = run(sfn, single_pass("{% $eval('1 + 1') %}"))
    assert described["status"] == "FAILED"
    assert described["error"] == "States.QueryEvaluationError"


def test_catch_with_error_output_and_assign(sfn: Any) -> None:
    """AWS: in a JSONata Catch, ``$states.errorOutput`` is ``{"Error", "Cause"}``; the catcher's
    ``Output`` becomes the next state's input and its ``Assign`` sets variables."""
    definition = jsonata_machine(
        {
            "Work": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Boom",
                        "States": {"Boom": {"Type": "Fail", "Error": "Order.Invalid", "Cause": "qty < 0"}},
                    }
                ],
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Output": {
                            "failed": "{% $states.errorOutput.Error %}",
                            "input": "{% $states.input %}",
                        },
                        "Assign": {"why": "{% $states.errorOutput.Cause %}"},
                        "Next": "Handled",
                    }
                ],
                "End": True,
            },
            "Handled": {
                "Type": "Pass",
                "Output": "{% $merge([$states.input, {'why': $why}]) %}",
                "End": True,
            },
        },
        "Work",
    )
    assert output_of(run(sfn, definition, {"order": 7})) == {
        "failed": "Order.Invalid",
        "input": {"order": 7},
        "why": "qty < 0",
    }


def test_undefined_results(sfn: Any) -> None:
    """AWS: a field whose expression is undefined fails the state with States.QueryEvaluationError
    ("... returned nothing (undefined)"), whether it is the whole ``Output`` or a template field;
    inside one expression, JSONata itself drops an undefined object field."""
    whole = run(sfn, single_pass("{% $states.input.missing %}"))
    assert whole["status"] == "FAILED"
    assert whole["error"] == "States.QueryEvaluationError"
    assert "returned nothing (undefined)" in whole["cause"]

    field = run(sfn, single_pass({"v": "{% $states.input.missing %}"}))
    assert (field["status"], field["error"]) == ("FAILED", "States.QueryEvaluationError")

    dropped = run(sfn, single_pass("{% {'kept': 1, 'gone': $states.input.missing} %}"))
    assert output_of(dropped) == {"kept": 1}


def test_query_evaluation_error_is_catchable(sfn: Any) -> None:
    """AWS: an expression that fails in a Task's ``Arguments`` raises States.QueryEvaluationError,
    which the Task's Catch handles; the service is never called."""
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    definition = jsonata_machine(
        {
            "Load": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Arguments": {"TableName": "orders", "Key": {"id": {"S": "{% $states.input.missing %}"}}},
                "Catch": [
                    {
                        "ErrorEquals": ["States.QueryEvaluationError"],
                        "Output": {"error": "{% $states.errorOutput.Error %}"},
                        "Next": "Handled",
                    }
                ],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
        "Load",
    )
    assert output_of(run(sfn, definition)) == {"error": "States.QueryEvaluationError"}


def test_mixed_jsonpath_machine_with_one_jsonata_state(sfn: Any) -> None:
    """AWS: a JSONPath machine may switch single states to JSONata with ``"QueryLanguage": "JSONata"``;
    variables assigned on either side are shared (``"x.$": "$var"`` in JSONPath, ``$var`` in JSONata)."""
    definition = {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {
                "Type": "Pass",
                "Parameters": {"price.$": "$.price", "qty.$": "$.qty", "currency.$": "$.currency"},
                "Assign": {"currency.$": "$.currency"},
                "Next": "Compute",
            },
            "Compute": {
                "Type": "Pass",
                "QueryLanguage": "JSONata",
                "Output": {
                    "total": "{% $states.input.price * $states.input.qty %}",
                    "currency": "{% $currency %}",
                },
                "Assign": {"tag": "{% $lowercase($currency) & '-' & $states.input.qty %}"},
                "Next": "Finish",
            },
            "Finish": {
                "Type": "Pass",
                "Parameters": {"total.$": "$.total", "currency.$": "$.currency", "tag.$": "$tag"},
                "End": True,
            },
        },
    }
    described = run(sfn, definition, {"price": 2.5, "qty": 4, "currency": "EUR"})
    assert output_of(described) == {"total": 10, "currency": "EUR", "tag": "eur-4"}
