"""Fault injection and MockConfigFile answers for Task states (sandbox/faults.py, moto_fixes/task_outcome.py).

Engine tests with inline ASL: each runs a real execution on moto's interpreter, with
`task_outcome.use_plans()` pointed at a module-level ARN -> plan dict, and pins one behaviour that
a Retry/Catch test in an app relies on. Tasks use SNS, DynamoDB, EventBridge, SQS
and S3, which moto serves without Docker.
"""

from __future__ import annotations

import json
import time
import types
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from sandbox.faults import (
    HANG,
    FaultPlan,
    Injection,
    MockConfigError,
    load_mock_config,
)
from sandbox.moto_fixes import task_outcome
from sandbox.moto_fixes.task_outcome import attempt_ended

REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/faults-test"
TABLE = "faults-table"

PLANS: dict[str, FaultPlan] = {}
"""Execution ARN -> plan, the resolver handed to `task_outcome.use_plans` (a sandbox keeps one like it)."""


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """moto with its ASL interpreter, faults installed, an SNS topic and a DynamoDB table.

    Retry back-off sleeps in wall time in moto; these tests skip it (the sandbox's
    virtual clock owns that), so a Retry with IntervalSeconds 1 costs nothing.
    """
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    monkeypatch.setattr(retrier_decl, "time", types.SimpleNamespace(sleep=lambda _seconds: None))
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        task_outcome.install()
        task_outcome.use_plans(PLANS.get)
        topic = boto3.client("sns", region_name=REGION).create_topic(Name="faults-topic")["TopicArn"]
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield {"topic": topic}
    PLANS.clear()


# -- helpers ---------------------------------------------------------------------


def _sfn() -> Any:
    return boto3.client("stepfunctions", region_name=REGION)


def _machine(definition: dict[str, Any], name: str | None = None) -> str:
    name = name or f"faults-{uuid.uuid4().hex[:10]}"
    return _sfn().create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE_ARN)[
        "stateMachineArn"
    ]


def _start(machine_arn: str, plan: FaultPlan | None, payload: Any = None) -> str:
    """Register the plan under the execution ARN before starting: the execution runs at once on a thread."""
    name = uuid.uuid4().hex
    execution_arn = f"{machine_arn.replace(':stateMachine:', ':execution:')}:{name}"
    if plan is not None:
        PLANS[execution_arn] = plan
    started = _sfn().start_execution(stateMachineArn=machine_arn, name=name, input=json.dumps(payload or {}))
    assert started["executionArn"] == execution_arn
    return execution_arn


def _wait(execution_arn: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        description = _sfn().describe_execution(executionArn=execution_arn)
        if description["status"] != "RUNNING":
            return description
        assert time.monotonic() < deadline, f"{execution_arn} still RUNNING"
        time.sleep(0.005)


def _run(definition: dict[str, Any], plan: FaultPlan | None, payload: Any = None) -> tuple[str, dict]:
    execution_arn = _start(_machine(definition), plan, payload)
    return execution_arn, _wait(execution_arn)


def _output(description: dict[str, Any]) -> Any:
    assert description["status"] == "SUCCEEDED", (description.get("error"), description.get("cause"))
    return json.loads(description["output"])


def _history(execution_arn: str) -> list[dict[str, Any]]:
    return _sfn().get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]


def _task_outcomes(execution_arn: str) -> list[tuple[str, Any]]:
    """The task-result events in order: ("TaskFailed", (error, cause)) or ("TaskSucceeded", output)."""
    outcomes: list[tuple[str, Any]] = []
    for event in _history(execution_arn):
        if event["type"] == "TaskFailed":
            details = event["taskFailedEventDetails"]
            outcomes.append(("TaskFailed", (details["error"], details.get("cause"))))
        elif event["type"] == "TaskSucceeded":
            outcomes.append(("TaskSucceeded", json.loads(event["taskSucceededEventDetails"]["output"])))
        elif event["type"] == "TaskTimedOut":
            outcomes.append(("TaskTimedOut", event["taskTimedOutEventDetails"]["error"]))
    return outcomes


def _publish(state_next: dict[str, Any], topic: str, **extra: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::sns:publish",
        "Parameters": {"TopicArn": topic, "Message": "hello"},
        **state_next,
        **extra,
    }


def _retry(errors: list[str], attempts: int = 3) -> list[dict[str, Any]]:
    return [{"ErrorEquals": errors, "IntervalSeconds": 1, "MaxAttempts": attempts, "BackoffRate": 1}]


def _catch(errors: list[str], to: str = "Recovered") -> list[dict[str, Any]]:
    return [{"ErrorEquals": errors, "ResultPath": "$.error", "Next": to}]


RECOVERED = {"Recovered": {"Type": "Pass", "End": True}}


# -- fail ------------------------------------------------------------------------


def test_fail_twice_then_retry_recovers(engine: dict[str, str]) -> None:
    """fail(times=2): the first two attempts are TaskFailed with the given error and cause, Retry
    re-runs the state, and the third attempt calls SNS for real and succeeds."""
    definition = {
        "StartAt": "Notify",
        "States": {
            "Notify": _publish({"End": True}, engine["topic"], Retry=_retry(["SNS.ThrottledException"]))
        },
    }
    plan = FaultPlan().fail("Notify", "SNS.ThrottledException", "Rate exceeded", times=2)
    arn, description = _run(definition, plan)

    assert "MessageId" in _output(description)
    outcomes = _task_outcomes(arn)
    assert [kind for kind, _ in outcomes] == ["TaskFailed", "TaskFailed", "TaskSucceeded"]
    assert outcomes[0][1] == ("SNS.ThrottledException", "Rate exceeded")
    assert plan.injected == [
        Injection(arn, "Notify", 0, "SNS.ThrottledException"),
        Injection(arn, "Notify", 1, "SNS.ThrottledException"),
    ]
    assert plan.attempts(arn, "Notify") == 3


def test_always_failing_task_is_caught_with_error_and_cause(engine: dict[str, str]) -> None:
    """fail(times=None) fails every attempt: Retry is exhausted (MaxAttempts 2 -> 3 TaskFailed) and
    Catch puts {"Error", "Cause"} at its ResultPath; the real putItem never happens."""
    definition = {
        "StartAt": "Save",
        "States": {
            "Save": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": TABLE, "Item": {"pk": {"S": "order-1"}}},
                "Retry": _retry(["States.ALL"], attempts=2),
                "Catch": _catch(["States.ALL"]),
                "End": True,
            },
            **RECOVERED,
        },
    }
    plan = FaultPlan().fail("Save", "DynamoDB.ProvisionedThroughputExceededException", "Throughput exceeded")
    arn, description = _run(definition, plan, {"order": 1})

    assert _output(description) == {
        "order": 1,
        "error": {"Error": "DynamoDB.ProvisionedThroughputExceededException", "Cause": "Throughput exceeded"},
    }
    assert [kind for kind, _ in _task_outcomes(arn)] == ["TaskFailed"] * 3
    assert "Item" not in boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=TABLE, Key={"pk": {"S": "order-1"}}
    )


def test_error_not_matched_by_retry_goes_straight_to_catch(engine: dict[str, str]) -> None:
    """An injected error that no retrier lists is not retried (one TaskFailed) and the Catch that
    matches it by name is taken."""
    definition = {
        "StartAt": "Notify",
        "States": {
            "Notify": _publish(
                {"End": True},
                engine["topic"],
                Retry=_retry(["SNS.ThrottledException"]),
                Catch=_catch(["Rekognition.ThrottlingException"]),
            ),
            **RECOVERED,
        },
    }
    plan = FaultPlan().fail("Notify", "Rekognition.ThrottlingException", "Slow down", times=1)
    arn, description = _run(definition, plan)

    assert _output(description)["error"] == {"Error": "Rekognition.ThrottlingException", "Cause": "Slow down"}
    assert _task_outcomes(arn) == [("TaskFailed", ("Rekognition.ThrottlingException", "Slow down"))]


def test_states_task_failed_name_matches_states_task_failed_catcher(engine: dict[str, str]) -> None:
    """An injected "States.TaskFailed" keeps its name (moto refuses States.* custom names) and is
    caught by a States.TaskFailed catcher; an uncaught injected error fails the execution with it."""
    caught = {
        "StartAt": "Notify",
        "States": {
            "Notify": _publish({"End": True}, engine["topic"], Catch=_catch(["States.TaskFailed"])),
            **RECOVERED,
        },
    }
    _, description = _run(caught, FaultPlan().fail("Notify", "States.TaskFailed", "boom"))
    assert _output(description)["error"] == {"Error": "States.TaskFailed", "Cause": "boom"}

    uncaught = {"StartAt": "Notify", "States": {"Notify": _publish({"End": True}, engine["topic"])}}
    _, description = _run(uncaught, FaultPlan().fail("Notify", "Lambda.TooManyRequestsException", "busy"))
    assert (description["status"], description["error"], description["cause"]) == (
        "FAILED",
        "Lambda.TooManyRequestsException",
        "busy",
    )


TASK_KINDS: dict[str, dict[str, Any]] = {
    "sns:publish": {
        "Resource": "arn:aws:states:::sns:publish",
        "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:nope", "Message": "m"},
    },
    "dynamodb:putItem": {
        "Resource": "arn:aws:states:::dynamodb:putItem",
        "Parameters": {"TableName": TABLE, "Item": {"pk": {"S": "x"}}},
    },
    "events:putEvents": {
        "Resource": "arn:aws:states:::events:putEvents",
        "Parameters": {"Entries": [{"Source": "test", "DetailType": "t", "Detail": {}}]},
    },
    "sqs:sendMessage.waitForTaskToken": {
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {
            "QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
            "MessageBody.$": "$$.Task.Token",
        },
    },
    "aws-sdk:s3:getObject": {
        "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
        "Parameters": {"Bucket": "no-such-bucket", "Key": "k"},
    },
}


@pytest.mark.parametrize("kind", sorted(TASK_KINDS))
def test_every_task_kind_reports_the_injected_error(engine: dict[str, str], kind: str) -> None:
    """Optimised, callback and aws-sdk integrations all report the injected error unchanged
    (moto's DynamoDB/SQS error mapping would otherwise rename it), with the task's resource in
    TaskFailed, and the service is not called (the targets here do not exist)."""
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Task", **TASK_KINDS[kind], "Catch": _catch(["Custom.Error"]), "End": True},
            **RECOVERED,
        },
    }
    arn, description = _run(definition, FaultPlan().fail("Work", "Custom.Error", "injected"))

    assert _output(description)["error"] == {"Error": "Custom.Error", "Cause": "injected"}
    failed = [event for event in _history(arn) if event["type"] == "TaskFailed"]
    assert len(failed) == 1
    resource_type, resource = TASK_KINDS[kind]["Resource"].split(":::")[1].rsplit(":", 1)
    details = failed[0]["taskFailedEventDetails"]
    assert (details["resourceType"], details["resource"]) == (resource_type, resource)


def test_inside_map_iterations(engine: dict[str, str]) -> None:
    """States inside a Map ItemProcessor are planned too: each iteration's Task fails and the
    iteration's own Catch handles it; attempts count across iterations of the same execution."""
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "NotifyItem",
                    "States": {
                        "NotifyItem": _publish(
                            {"End": True}, engine["topic"], Catch=_catch(["SNS.ThrottledException"])
                        ),
                        **RECOVERED,
                    },
                },
                "End": True,
            }
        },
    }
    plan = FaultPlan().fail("NotifyItem", "SNS.ThrottledException", "Rate exceeded")
    _, description = _run(definition, plan, {"items": [{"id": 1}, {"id": 2}, {"id": 3}]})

    error = {"Error": "SNS.ThrottledException", "Cause": "Rate exceeded"}
    assert _output(description) == [{"id": n, "error": error} for n in (1, 2, 3)]
    assert sorted(injection.attempt for injection in plan.injected) == [0, 1, 2]


def test_inside_a_parallel_branch(engine: dict[str, str]) -> None:
    """A Task in one Parallel branch fails; the other branch's Task runs for real; the branch error
    reaches the Parallel state's Catch with its name and cause."""
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Left", "States": {"Left": _publish({"End": True}, engine["topic"])}},
                    {"StartAt": "Right", "States": {"Right": _publish({"End": True}, engine["topic"])}},
                ],
                "Catch": _catch(["SNS.ThrottledException"]),
                "End": True,
            },
            **RECOVERED,
        },
    }
    plan = FaultPlan().fail("Right", "SNS.ThrottledException", "Rate exceeded")
    _, description = _run(definition, plan)

    assert _output(description)["error"] == {"Error": "SNS.ThrottledException", "Cause": "Rate exceeded"}
    assert [(i.state, i.error) for i in plan.injected] == [("Right", "SNS.ThrottledException")]


def test_state_machine_filter_and_new_execution_starts_fresh(engine: dict[str, str]) -> None:
    """`state_machine=` limits a rule to executions of that machine; attempt counters are per
    execution, so a second execution with the same plan fails its first attempt again."""
    definition = {
        "StartAt": "Notify",
        "States": {"Notify": _publish({"End": True}, engine["topic"], Retry=_retry(["States.ALL"]))},
    }
    machine = _machine(definition, name="Notifier")
    plan = FaultPlan().fail("Notify", "SNS.ThrottledException", times=1, state_machine="Notifier")
    plan.fail("Notify", "Never.Used", state_machine="SomeOtherMachine")
    first = _start(machine, plan)
    _output(_wait(first))
    second = _start(machine, plan)
    _output(_wait(second))

    assert [(i.execution_arn, i.attempt, i.error) for i in plan.injected] == [
        (first, 0, "SNS.ThrottledException"),
        (second, 0, "SNS.ThrottledException"),
    ]
    plan.clear()
    assert (plan.injected, plan.attempts(first, "Notify")) == ([], 0)


def test_hang_until_timeout_seconds_then_retry(engine: dict[str, str]) -> None:
    """hang(times=1): the first attempt never answers, TimeoutSeconds reports TaskTimedOut /
    States.Timeout, a States.Timeout retrier re-runs it and the second attempt publishes for real.
    (Costs TimeoutSeconds of wall time here: the virtual clock is not installed in these tests.)"""
    definition = {
        "StartAt": "Notify",
        "States": {
            "Notify": _publish(
                {"End": True}, engine["topic"], TimeoutSeconds=1, Retry=_retry(["States.Timeout"])
            )
        },
    }
    plan = FaultPlan().hang("Notify", times=1)
    arn, description = _run(definition, plan)

    assert "MessageId" in _output(description)
    assert [kind for kind, _ in _task_outcomes(arn)] == ["TaskTimedOut", "TaskSucceeded"]
    assert plan.injected == [Injection(arn, "Notify", 0, HANG)]


def test_on_hang_hook_replaces_the_default_wait(engine: dict[str, str]) -> None:
    """A clock owner's `on_hang` runs instead of the default block; raising TimeoutError from it
    reports States.Timeout at once, so no wall time is spent waiting."""
    definition = {
        "StartAt": "Notify",
        "States": {
            "Notify": _publish(
                {"End": True}, engine["topic"], TimeoutSeconds=300, Catch=_catch(["States.Timeout"])
            ),
            **RECOVERED,
        },
    }
    plan = FaultPlan().hang("Notify")
    calls: list[str] = []

    def _virtual_timeout() -> None:
        calls.append("hang")
        raise TimeoutError

    plan.on_hang = _virtual_timeout
    started = time.monotonic()
    _, description = _run(definition, plan)

    assert _output(description)["error"]["Error"] == "States.Timeout"
    assert calls == ["hang"]
    assert time.monotonic() - started < 5


def test_stopping_the_execution_releases_a_hang(engine: dict[str, str]) -> None:
    """A hang with no TimeoutSeconds lasts until the execution ends: StopExecution sets the
    `attempt_ended()` event that an `on_hang` hook (a virtual clock's) waits on."""
    definition = {"StartAt": "Notify", "States": {"Notify": _publish({"End": True}, engine["topic"])}}
    plan = FaultPlan().hang("Notify")
    released: list[bool] = []
    plan.on_hang = lambda: released.append(attempt_ended().wait(5))
    arn = _start(_machine(definition), plan)
    deadline = time.monotonic() + 5
    while not plan.injected and time.monotonic() < deadline:
        time.sleep(0.01)
    _sfn().stop_execution(executionArn=arn, error="Test.Stop", cause="enough")

    assert _wait(arn)["status"] == "ABORTED"
    deadline = time.monotonic() + 5
    while not released and time.monotonic() < deadline:
        time.sleep(0.01)
    assert released == [True]


LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:never-called"


def test_lambda_tasks_are_answered_without_calling_lambda(engine: dict[str, str]) -> None:
    """Lambda tasks never reach Lambda when planned: a plain function ARN fails with a
    LambdaFunctionFailed event (what AWS records for that form) and a mocked `lambda:invoke`
    returns the MockConfigFile shape {"StatusCode", "Payload"} as the task result."""
    definition = {
        "StartAt": "Plain",
        "States": {
            "Plain": {"Type": "Task", "Resource": LAMBDA_ARN, "Catch": _catch(["Lambda.Unknown"], "Invoke")},
            "Invoke": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": LAMBDA_ARN, "Payload.$": "$"},
                "ResultSelector": {"body.$": "$.Payload.body"},
                "ResultPath": "$.invoked",
                "End": True,
            },
        },
    }
    plan = FaultPlan().fail("Plain", "Lambda.Unknown", "no such function")
    plan.mock("Invoke", {"0": {"Return": {"StatusCode": 200, "Payload": {"body": "hi"}}}})
    arn, description = _run(definition, plan)

    assert _output(description) == {
        "error": {"Error": "Lambda.Unknown", "Cause": "no such function"},
        "invoked": {"body": "hi"},
    }
    failed = [e for e in _history(arn) if e["type"] == "LambdaFunctionFailed"]
    assert failed[0]["lambdaFunctionFailedEventDetails"] == {
        "error": "Lambda.Unknown",
        "cause": "no such function",
    }


# -- MockConfigFile ------------------------------------------------------------------

POLL_CONFIG: dict[str, Any] = {
    "StateMachines": {"PollMachine": {"TestCases": {"SlowJob": {"CheckJob": "JobStatusSequence"}}}},
    "MockedResponses": {
        "JobStatusSequence": {
            "0": {"Return": {"Status": "QUEUED", "Call": 0}},
            "1-2": {"Return": {"Status": "RUNNING"}},
            "3": {"Return": {"Status": "DONE", "Call": 3}},
        }
    },
}

POLL_DEFINITION: dict[str, Any] = {
    "StartAt": "CheckJob",
    "States": {
        "CheckJob": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:not-there", "Message": "poll"},
            "ResultSelector": {"status.$": "$.Status"},
            "ResultPath": "$.job",
            "Next": "IsDone",
        },
        "IsDone": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.job.status", "StringEquals": "DONE", "Next": "Done"}],
            "Default": "CheckJob",
        },
        "Done": {"Type": "Succeed"},
    },
}


def test_mock_config_poll_loop_uses_one_counter_per_state(engine: dict[str, str], tmp_path: Any) -> None:
    """A Choice loop that calls the same Task again gets MockedResponses "0", "1-2" (twice), "3" in
    order: one invocation counter per state per execution, not moto's RetryCount index (which would
    answer "0" forever). The mocked Return replaces the call and ResultSelector/ResultPath still apply;
    a second execution starts again at "0"."""
    config_file = tmp_path / "MockConfigFile.json"
    config_file.write_text(json.dumps(POLL_CONFIG))
    plan = load_mock_config(config_file, "PollMachine", "SlowJob")
    machine = _machine(POLL_DEFINITION, name="PollMachine")

    for _ in range(2):
        arn = _start(machine, plan, {"job": None})
        assert _output(_wait(arn)) == {"job": {"status": "DONE"}}
        assert _task_outcomes(arn) == [
            ("TaskSucceeded", {"Status": "QUEUED", "Call": 0}),
            ("TaskSucceeded", {"Status": "RUNNING"}),
            ("TaskSucceeded", {"Status": "RUNNING"}),
            ("TaskSucceeded", {"Status": "DONE", "Call": 3}),
        ]
        assert [i.attempt for i in plan.injected if i.execution_arn == arn] == [0, 1, 2, 3]


def test_mock_config_throw_then_return_and_unlisted_states_run_for_real(engine: dict[str, str]) -> None:
    """A Throw is a TaskFailed with the mocked Error/Cause that Retry handles; the next invocation's
    Return is the result; a state the test case does not list calls the real service."""
    config = {
        "StateMachines": {"Pipeline": {"TestCases": {"Flaky": {"Detect": "ThrottledOnce"}}}},
        "MockedResponses": {
            "ThrottledOnce": {
                "0": {"Throw": {"Error": "Rekognition.ThrottlingException", "Cause": "Rate exceeded"}},
                "1": {"Return": {"Labels": [{"Name": "Cat"}], "LabelModelVersion": "3.0"}},
            }
        },
    }
    definition = {
        "StartAt": "Detect",
        "States": {
            "Detect": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:rekognition:detectLabels",
                "Parameters": {"Image": {"S3Object": {"Bucket": "b", "Name": "cat.jpg"}}},
                "Retry": _retry(["Rekognition.ThrottlingException"]),
                "ResultSelector": {"version.$": "$.LabelModelVersion"},
                "ResultPath": "$.detected",
                "Next": "Notify",
            },
            "Notify": _publish({"End": True}, engine["topic"], ResultPath="$.notified"),
        },
    }
    plan = FaultPlan().load_mock_config(config, "Pipeline", "Flaky")
    arn = _start(_machine(definition, name="Pipeline"), plan)
    output = _output(_wait(arn))

    assert output["detected"] == {"version": "3.0"}
    assert "MessageId" in output["notified"]
    outcomes = _task_outcomes(arn)
    assert outcomes[0] == ("TaskFailed", ("Rekognition.ThrottlingException", "Rate exceeded"))
    assert [kind for kind, _ in outcomes] == ["TaskFailed", "TaskSucceeded", "TaskSucceeded"]
    assert [(i.state, i.attempt, i.error) for i in plan.injected] == [
        ("Detect", 0, "Rekognition.ThrottlingException"),
        ("Detect", 1, None),
    ]


def test_mocked_return_answers_a_wait_for_task_token_task(engine: dict[str, str]) -> None:
    """As in Step Functions Local, a mocked `.waitForTaskToken` task returns the mocked result at once
    instead of waiting for SendTaskSuccess."""
    definition = {
        "StartAt": "Approve",
        "States": {
            "Approve": {"Type": "Task", **TASK_KINDS["sqs:sendMessage.waitForTaskToken"], "End": True}
        },
    }
    plan = FaultPlan().mock("Approve", {"0": {"Return": {"approved": True}}})
    _, description = _run(definition, plan)

    assert _output(description) == {"approved": True}


@pytest.mark.parametrize(
    ("responses", "problem"),
    [
        ({"0": {"Return": {}}, "2": {"Return": {}}}, "invocation 1 missing"),
        ({"0-1": {"Return": {}}, "1": {"Return": {}}}, "overlapping"),
        ({"0": {"Return": {}, "Throw": {"Error": "E"}}}, "exactly one of Return or Throw"),
        ({"0": {"Throw": {"Cause": "no error"}}}, "Throw needs an Error"),
        ({"x": {"Return": {}}}, "neither"),
    ],
)
def test_mock_config_rejects_malformed_responses(responses: dict[str, Any], problem: str) -> None:
    """Numbered responses must run 0, 1, 2... with no gap or overlap, and each holds exactly one of
    Return or Throw (with an Error): mistakes fail at load time, not mid-execution."""
    config = {"StateMachines": {"M": {"TestCases": {"T": {"S": "R"}}}}, "MockedResponses": {"R": responses}}
    with pytest.raises(MockConfigError, match=problem):
        load_mock_config(config, "M", "T")


def test_mock_config_unknown_test_case_is_an_error() -> None:
    """Asking for a state machine or test case the file does not define fails loudly."""
    with pytest.raises(MockConfigError, match="no test case"):
        load_mock_config(POLL_CONFIG, "PollMachine", "Missing")
    with pytest.raises(MockConfigError, match="no state machine"):
        load_mock_config(POLL_CONFIG, "Other", "SlowJob")
