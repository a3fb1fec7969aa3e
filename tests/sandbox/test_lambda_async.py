"""A function started asynchronously (EventBridge target, InvocationType=Event) is retried as Lambda retries it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sandbox import cli
from sandbox.core import Sandbox

HANDLER = """
import json
from sandbox import clock

ATTEMPTS = []

def handler(event, context):
    ATTEMPTS.append(clock.active().time())
    print(json.dumps({"attempt": len(ATTEMPTS), "at": ATTEMPTS[-1]}))
    if len(ATTEMPTS) <= event.get("detail", event).get("fail_times", 99):
        raise RuntimeError(f"attempt {len(ATTEMPTS)} failed")
    return {"ok": True}
"""


def _template(root: Path, function: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> Path:
    (root / "fn").mkdir()
    (root / "fn" / "app.py").write_text(HANDLER)
    rule = {"Type": "EventBridgeRule", "Properties": {"Pattern": {"source": ["shop"]}}}
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Fn": {"Type": "AWS::Serverless::Function",
                   "Properties": {"CodeUri": "fn/", "Handler": "app.handler", "Runtime": "python3.12",
                                  "Events": {"Order": rule}, **(function or {})}},
            "DeadLetters": {"Type": "AWS::SQS::Queue"},
            "Failures": {"Type": "AWS::SQS::Queue"},
            "Flow": {"Type": "AWS::Serverless::StateMachine", "Properties": {"Definition": {
                "StartAt": "Emit", "States": {"Emit": {
                    "Type": "Task", "Resource": "arn:aws:states:::events:putEvents", "End": True,
                    "Parameters": {"Entries": [{"Source": "shop", "DetailType": "Order", "Detail.$": "$"}]}}}}}},
            **(extra or {}),
        },
    }
    path = root / "template.yaml"
    path.write_text(json.dumps(template))
    return path


WITH_DLQ_AND_DESTINATION = {
    "DeadLetterQueue": {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["DeadLetters", "Arn"]}},
    "EventInvokeConfig": {"DestinationConfig": {"OnFailure": {"Type": "SQS",
                                                              "Destination": {"Fn::GetAtt": ["Failures", "Arn"]}}}},
}


def _emit(sb: Sandbox, detail: dict[str, Any]) -> None:
    boto3.client("events", region_name=sb.region).put_events(
        Entries=[{"Source": "shop", "DetailType": "Order", "Detail": json.dumps(detail)}])
    sb.settle()


def _attempts(sb: Sandbox) -> list[float]:
    return [json.loads(line)["at"] for line in sb.lambdas.functions["Fn"].log_lines]


def _messages(sb: Sandbox, queue: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=sb.region)
    return sqs.receive_message(QueueUrl=sb.stack.resources[queue].ref, MaxNumberOfMessages=10,
                               MessageAttributeNames=["All"]).get("Messages", [])


def test_a_failing_target_is_tried_three_times_a_minute_then_two_minutes_apart(tmp_path):
    with Sandbox.from_template(_template(tmp_path, WITH_DLQ_AND_DESTINATION)) as sb:
        _emit(sb, {"order": 1})
        first, second, third = _attempts(sb)
        assert (second - first, third - second) == (60, 120)


def test_then_the_event_goes_to_the_dead_letter_queue_and_the_on_failure_destination(tmp_path):
    with Sandbox.from_template(_template(tmp_path, WITH_DLQ_AND_DESTINATION)) as sb:
        _emit(sb, {"order": 1})
        (dead,) = _messages(sb, "DeadLetters")
        assert json.loads(dead["Body"])["detail"] == {"order": 1}
        assert dead["MessageAttributes"]["ErrorMessage"]["StringValue"] == "attempt 3 failed"
        assert dead["MessageAttributes"]["ErrorCode"] == {"StringValue": "200", "DataType": "Number"}
        (record,) = [json.loads(m["Body"]) for m in _messages(sb, "Failures")]
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == 3
        assert record["requestContext"]["functionArn"] == f"{sb.lambdas.functions['Fn'].arn}:$LATEST"
        assert record["requestPayload"]["detail"] == {"order": 1}
        assert record["responseContext"]["functionError"] == "Unhandled"
        assert record["responsePayload"]["errorType"] == "RuntimeError"
        (failure,) = sb.failed_invocations
        assert failure.sent_to == [sb.stack.get_att("Failures", "Arn"), sb.stack.get_att("DeadLetters", "Arn")]
        assert (failure.condition, failure.attempts, failure.error_type) == ("RetriesExhausted", 3, "RuntimeError")


def test_a_retry_that_succeeds_loses_nothing(tmp_path):
    with Sandbox.from_template(_template(tmp_path, WITH_DLQ_AND_DESTINATION)) as sb:
        _emit(sb, {"fail_times": 1})
        assert len(_attempts(sb)) == 2
        assert sb.failed_invocations == []
        assert _messages(sb, "DeadLetters") == []


def test_maximum_retry_attempts_and_no_destination_records_the_lost_event(tmp_path):
    config = {"EventInvokeConfig": {"MaximumRetryAttempts": 0}}
    with Sandbox.from_template(_template(tmp_path, config)) as sb:
        _emit(sb, {"order": 2})
        assert len(_attempts(sb)) == 1
        (failure,) = sb.failed_invocations
        assert failure.describe() == ("sfn-suite-Fn failed 1 time(s) (RetriesExhausted): RuntimeError: attempt 1 "
                                      "failed -> no on-failure destination or dead-letter queue")


def test_maximum_event_age_stops_the_retries(tmp_path):
    config = {"EventInvokeConfig": {"MaximumEventAgeInSeconds": 90}}
    with Sandbox.from_template(_template(tmp_path, config)) as sb:
        _emit(sb, {"order": 3})
        assert len(_attempts(sb)) == 2  # a third attempt would start 180 s after the event: too old
        assert sb.failed_invocations[0].condition == "EventAgeExceeded"


def test_a_plain_event_invoke_config_resource_applies(tmp_path):
    extra = {"Config": {"Type": "AWS::Lambda::EventInvokeConfig",
                        "Properties": {"FunctionName": {"Ref": "Fn"}, "Qualifier": "$LATEST",
                                       "MaximumRetryAttempts": 1}}}
    with Sandbox.from_template(_template(tmp_path, extra=extra)) as sb:
        _emit(sb, {"order": 4})
        assert len(_attempts(sb)) == 2


def test_invocation_type_event_is_retried_too(tmp_path):
    with Sandbox.from_template(_template(tmp_path, WITH_DLQ_AND_DESTINATION)) as sb:
        answer = boto3.client("lambda", region_name=sb.region).invoke(
            FunctionName="sfn-suite-Fn", InvocationType="Event", Payload=json.dumps({"fail_times": 2}))
        assert answer["StatusCode"] == 202
        sb.settle()
        assert len(_attempts(sb)) == 3
        assert sb.failed_invocations == []


def test_an_event_invoke_of_an_unknown_function_fails_at_once(tmp_path):
    with Sandbox.from_template(_template(tmp_path)) as sb:
        client = boto3.client("lambda", region_name=sb.region)
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            client.invoke(FunctionName="nope", InvocationType="Event", Payload=b"{}")


def test_cli_run_shows_the_lost_event(tmp_path, capsys):
    template = _template(tmp_path, {"EventInvokeConfig": {"MaximumRetryAttempts": 0}})
    (tmp_path / "event.json").write_text('{"order": 5}')
    code = cli.main(["--template", str(template), "run", "Flow", "--event", str(tmp_path / "event.json")])
    out = capsys.readouterr().out
    assert code == cli.EXIT_OK
    assert ("Lost:   sfn-suite-Fn failed 1 time(s) (RetriesExhausted): RuntimeError: attempt 1 failed -> "
            "no on-failure destination or dead-letter queue") in out


def test_cli_demo_shows_the_lost_event_under_its_sample(tmp_path, capsys):
    template = _template(tmp_path, {"EventInvokeConfig": {"MaximumRetryAttempts": 0}})
    (tmp_path / "events" / "Flow").mkdir(parents=True)
    (tmp_path / "events" / "Flow" / "order.json").write_text('{"order": 6}')
    code = cli.main(["--template", str(template), "demo", "--events-dir", str(tmp_path / "events")])
    out = capsys.readouterr().out
    assert code == cli.EXIT_OK
    assert "lost: sfn-suite-Fn failed 1 time(s) (RetriesExhausted): RuntimeError: attempt 1 failed" in out
