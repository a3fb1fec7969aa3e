"""Each fidelity fix to moto's ASL interpreter, stated as the AWS behaviour it restores.

These are engine tests, so the ASL is inline. Run with `MOTO_FIXES_OFF=1` to see
which deviations an upgraded moto still has (those tests then fail).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from sandbox.moto_fixes import api, errors, jsonpath, sdk_errors, sdk_results
from sandbox.moto_fixes.registry import install_all
from tests.sandbox.engine_helpers import (
    ENGINE_CONFIG,
    REGION,
    create_machine,
    history,
    output_of,
    run,
    sfn_client,
    wait_done,
)

FIXES_OFF = os.environ.get("MOTO_FIXES_OFF") == "1"
BUCKET = "engine-fixes-bucket"


@pytest.fixture
def engine() -> Iterator[None]:
    """moto with its ASL interpreter on, and the fixes installed."""
    with mock_aws(config=ENGINE_CONFIG):
        if not FIXES_OFF:
            install_all()
        yield


@pytest.fixture
def bucket(engine: None) -> Any:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="note.txt", Body=b"hello world")
    return s3


def fail(error: str) -> dict[str, Any]:
    return {"Type": "Fail", "Error": error, "Cause": "because"}


def caught(state: dict[str, Any], error: str) -> dict[str, Any]:
    """A machine whose only state catches `error` into $.err."""
    state = {**state, "Catch": [{"ErrorEquals": [error], "ResultPath": "$.err", "Next": "Caught"}], "End": True}
    return {"StartAt": "S", "States": {"S": state, "Caught": {"Type": "Pass", "End": True}}}


def task(resource: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {"Type": "Task", "Resource": resource, "Parameters": parameters}


def single(state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "S", "States": {"S": {**state, "End": True}}}


def pass_path(path: str) -> dict[str, Any]:
    return single({"Type": "Pass", "Parameters": {"r.$": path}})


# -- errors ----------------------------------------------------------------------------------------


def test_states_error_from_parallel_branch_is_caught_by_name(engine: None) -> None:
    """AWS: a branch failing with States.Timeout fails the Parallel with States.Timeout; Catch matches it."""
    parallel = {"Type": "Parallel", "Branches": [{"StartAt": "F", "States": {"F": fail("States.Timeout")}}]}
    out = output_of(run(caught(parallel, "States.Timeout")))
    assert out["err"] == {"Error": "States.Timeout", "Cause": "because"}


def test_states_error_from_map_iteration_keeps_its_name(engine: None) -> None:
    """AWS: an iteration failing with States.Timeout fails the Map with States.Timeout, not States.Runtime."""
    map_state = {
        "Type": "Map",
        "ItemsPath": "$.xs",
        "ItemProcessor": {"StartAt": "F", "States": {"F": fail("States.Timeout")}},
    }
    out = output_of(run(caught(map_state, "States.Timeout"), {"xs": [1, 2]}))
    assert out["err"]["Error"] == "States.Timeout"


def test_parallel_retry_sees_states_error_name(engine: None) -> None:
    """AWS: Retry on States.Timeout re-runs a Parallel whose branch reports States.Timeout."""
    parallel = {
        "Type": "Parallel",
        "Branches": [{"StartAt": "F", "States": {"F": fail("States.Timeout")}}],
        "Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 1, "IntervalSeconds": 1}],
    }
    result = run(caught(parallel, "States.ALL"))
    assert output_of(result)["err"]["Error"] == "States.Timeout"
    fail_entered = [e for e in history(result["executionArn"]) if e["type"] == "FailStateEntered"]
    assert len(fail_entered) == 2  # first try + 1 retry (1 s of real time: no virtual clock here)


def test_fail_state_with_states_error_keeps_it(engine: None) -> None:
    """AWS: a Fail state's Error is reported verbatim, even with the States. prefix."""
    result = run(single(fail("States.Timeout")) | {"States": {"S": fail("States.Timeout")}})
    assert (result["status"], result.get("error"), result.get("cause")) == ("FAILED", "States.Timeout", "because")


def test_custom_error_names_still_work(engine: None) -> None:
    """AWS (and moto before the fix): a custom error from a Parallel branch is caught by its name."""
    parallel = {"Type": "Parallel", "Branches": [{"StartAt": "F", "States": {"F": fail("Order.Rejected")}}]}
    assert output_of(run(caught(parallel, "Order.Rejected")))["err"]["Error"] == "Order.Rejected"


# -- aws-sdk error names ---------------------------------------------------------------------------


def test_aws_sdk_s3_error_uses_s3_prefix(bucket: Any) -> None:
    """AWS: aws-sdk:s3:getObject on a missing key fails with S3.NoSuchKeyException (Service: S3 in the cause)."""
    get = task("arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": BUCKET, "Key": "missing.txt"})
    result = run(single(get))
    assert result["status"] == "FAILED"
    assert result["error"] == "S3.NoSuchKeyException"
    assert "Service: S3," in result["cause"]


def test_aws_sdk_error_is_caught_by_aws_name(bucket: Any) -> None:
    """AWS: a Catch on S3.NoSuchKeyException, as written for AWS, catches the offline error too."""
    get = task("arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": BUCKET, "Key": "missing.txt"})
    assert output_of(run(caught(get, "S3.NoSuchKeyException")))["err"]["Error"] == "S3.NoSuchKeyException"


def test_aws_sdk_multiword_service_prefix(engine: None) -> None:
    """AWS: aws-sdk:secretsmanager errors are SecretsManager.<Name>Exception (the SDK client's name)."""
    get = task("arn:aws:states:::aws-sdk:secretsmanager:getSecretValue", {"SecretId": "nope"})
    assert run(single(get))["error"] == "SecretsManager.ResourceNotFoundException"


@pytest.mark.parametrize(
    ("service", "prefix"),
    [
        ("s3", "S3"),
        ("rekognition", "Rekognition"),
        ("textract", "Textract"),
        ("dynamodb", "DynamoDb"),
        ("sfn", "Sfn"),
        ("eventbridge", "EventBridge"),
        ("acmpca", "AcmPca"),
        ("lambda", "Lambda"),
    ],
)
def test_service_error_prefix(service: str, prefix: str) -> None:
    """AWS docs: the error's service part is PascalCase, e.g. acmpca -> AcmPca, s3 -> S3."""
    assert sdk_errors.service_error_prefix(service) == prefix


# -- aws-sdk results -------------------------------------------------------------------------------


def test_s3_get_object_body_is_text_and_dates_are_iso(bucket: Any) -> None:
    """AWS: aws-sdk:s3:getObject returns Body as the object's text and LastModified as an ISO-8601 string."""
    get = task("arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": BUCKET, "Key": "note.txt"})
    out = output_of(run(single(get)))
    assert out["Body"] == "hello world"
    assert isinstance(out["LastModified"], str) and out["LastModified"].endswith("Z")
    assert "T" in out["LastModified"]


def test_dates_in_nested_aws_sdk_results_serialise(bucket: Any) -> None:
    """AWS: every timestamp in an aws-sdk result is a string, so the execution output is plain JSON."""
    listing = task("arn:aws:states:::aws-sdk:s3:listObjectsV2", {"Bucket": BUCKET})
    out = output_of(run(single(listing)))
    assert [item["Key"] for item in out["Contents"]] == ["note.txt"]
    assert isinstance(out["Contents"][0]["LastModified"], str)


def test_iso_timestamp_format() -> None:
    """Java's Instant format, as in AWS output: UTC, Z suffix, millis only when present."""
    from datetime import datetime, timedelta, timezone

    plus_two = timezone(timedelta(hours=2))
    assert sdk_results.iso_timestamp(datetime(2024, 5, 1, 12, 0, 0, tzinfo=plus_two)) == "2024-05-01T10:00:00Z"
    assert sdk_results.iso_timestamp(datetime(2024, 5, 1, 12, 0, 0, 250000)) == "2024-05-01T12:00:00.250Z"


# -- JSONPath --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "payload", "expected"),
    [
        ("$[0].x", [{"x": "v"}], "v"),
        ("$.a[0].b", {"a": [{"b": "v"}]}, "v"),
        ("$.a[1]", {"a": [{"b": "v"}, {"b": "w"}]}, {"b": "w"}),
        ("$.d..a", {"d": {"x": {"a": [1, 2]}}}, [[1, 2]]),
        ("$.a[*].b", {"a": [{"b": "v"}]}, ["v"]),
    ],
)
def test_definite_paths_give_values_indefinite_give_lists(engine: None, path: str, payload: Any, expected: Any) -> None:
    """AWS (Jayway rules): a definite path yields its value; a wildcard/deep-scan path yields a list."""
    assert output_of(run(pass_path(path), payload))["r"] == expected


@pytest.mark.parametrize(
    "path",
    [
        "$.items[?(@.name == 'x')].id",
        '$.items[?(@.name == "x")].id',
        "$.items[?(@.name == x)].id",
        "$.items[?(@.name==x && @.id > 0)].id",
    ],
)
def test_filters_with_quoted_and_unquoted_strings(engine: None, path: str) -> None:
    """AWS: filter paths compare with single-quoted, double-quoted or bare strings, and give a list."""
    payload = {"items": [{"name": "x", "id": 1}, {"name": "y", "id": 2}]}
    assert output_of(run(pass_path(path), payload))["r"] == [1]


def test_filter_matching_nothing_gives_empty_list(engine: None) -> None:
    """AWS: a filter in Parameters that matches nothing gives [], not States.Runtime."""
    payload = {"items": [{"name": "x"}]}
    assert output_of(run(pass_path("$.items[?(@.name == 'zzz')]"), payload))["r"] == []


def test_missing_definite_path_is_states_runtime(engine: None) -> None:
    """AWS: a Parameters path to a missing field fails the execution with States.Runtime."""
    result = run(pass_path("$.missing"), {"a": 1})
    assert (result["status"], result["error"]) == ("FAILED", "States.Runtime")


def test_choice_compares_indexed_path_as_scalar(engine: None) -> None:
    """AWS: Choice on `$.a[0].b` compares the string itself, so StringEquals matches."""
    machine = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.a[0].b", "StringEquals": "v", "Next": "Yes"}],
                "Default": "No",
            },
            "Yes": {"Type": "Pass", "Result": {"branch": "yes"}, "End": True},
            "No": {"Type": "Pass", "Result": {"branch": "no"}, "End": True},
        },
    }
    assert output_of(run(machine, {"a": [{"b": "v"}]})) == {"branch": "yes"}


# -- API -------------------------------------------------------------------------------------------


def _callback_machine(queue_url: str) -> str:
    wait = task(
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        {"QueueUrl": queue_url, "MessageBody": {"token.$": "$$.Task.Token", "id.$": "$$.Execution.Id"}},
    )
    return create_machine(single(wait))


def _token_for(queue_url: str, execution_arn: str, timeout: float = 5.0) -> str:
    sqs = boto3.client("sqs", region_name=REGION)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            body = json.loads(message["Body"])
            if body["id"] == execution_arn:
                return body["token"]
        time.sleep(0.01)
    raise TimeoutError(f"no task token for {execution_arn}")


def test_unnamed_executions_get_uuid_names_and_are_distinct(engine: None) -> None:
    """AWS: StartExecution without a name uses a UUID; a repeat with the same input starts a new execution."""
    arn = create_machine(single({"Type": "Pass"}))
    sfn = sfn_client()
    first = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    second = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    assert first != second
    name = wait_done(first)["name"]
    assert len(name) == 36 and first.endswith(":" + name)


def test_send_task_failure_keeps_cause(engine: None) -> None:
    """AWS: SendTaskFailure's error and cause become the task's (and execution's) error and cause."""
    queue_url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="approvals")["QueueUrl"]
    sfn = sfn_client()
    execution = sfn.start_execution(stateMachineArn=_callback_machine(queue_url), name="one")["executionArn"]
    sfn.send_task_failure(taskToken=_token_for(queue_url, execution), error="Human.Rejected", cause="not today")
    result = wait_done(execution)
    assert (result["status"], result["error"], result["cause"]) == ("FAILED", "Human.Rejected", "not today")


def _wait_for_event(execution_arn: str, event_type: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not any(e["type"] == event_type for e in history(execution_arn)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {event_type} in {execution_arn}")
        time.sleep(0.005)


def test_stop_execution_keeps_error_and_cause(engine: None) -> None:
    """AWS: StopExecution's error and cause appear in ExecutionAborted and in DescribeExecution."""
    arn = create_machine(single({"Type": "Wait", "Seconds": 5}))
    sfn = sfn_client()
    execution = sfn.start_execution(stateMachineArn=arn, name="stop-me")["executionArn"]
    _wait_for_event(execution, "WaitStateEntered")
    stopped = sfn.stop_execution(executionArn=execution, error="Ops.Cancelled", cause="by operator")
    assert "stopDate" in stopped
    result = wait_done(execution)
    assert (result["status"], result.get("error"), result.get("cause")) == ("ABORTED", "Ops.Cancelled", "by operator")
    aborted = next(e for e in history(execution) if e["type"] == "ExecutionAborted")
    assert aborted["executionAbortedEventDetails"] == {"error": "Ops.Cancelled", "cause": "by operator"}


def test_start_execution_rejects_input_over_256_kib(engine: None) -> None:
    """AWS: input over 262144 UTF-8 bytes is refused with ValidationException (status 400)."""
    arn = create_machine(single({"Type": "Pass"}))
    too_big = json.dumps("é" * 131_072)  # 262,146 bytes in UTF-8, far fewer characters
    with pytest.raises(ClientError) as raised:
        sfn_client().start_execution(stateMachineArn=arn, name="big", input=too_big)
    error = raised.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == api.INPUT_TOO_LARGE_MESSAGE
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_start_execution_accepts_input_of_exactly_256_kib(engine: None) -> None:
    """AWS: the quota is inclusive: 262144 bytes is accepted."""
    arn = create_machine(single({"Type": "Pass"}))
    just_fits = json.dumps("a" * (262_144 - 2))
    execution = sfn_client().start_execution(stateMachineArn=arn, name="fits", input=just_fits)["executionArn"]
    assert wait_done(execution)["status"] == "SUCCEEDED"


def test_parser_logger_is_quiet(engine: None) -> None:
    """Handled workflow errors belong in the history, not on stderr (AWS logs nothing to the caller)."""
    assert not logging.getLogger(api.PARSER_LOGGER).isEnabledFor(logging.ERROR)


def _signers_seen(session: boto3.Session, event: str) -> list[int]:
    seen: list[int] = []
    session.events.register(event, lambda request_signer, **_: seen.append(id(request_signer)))
    return seen


def test_task_calls_reuse_one_client_per_service(bucket: Any) -> None:
    """Performance, not AWS semantics: three S3 tasks share one boto3 client (new clients cost ~15 ms)."""
    seen = _signers_seen(boto3._get_default_session(), "before-call.s3.HeadObject")
    head = task("arn:aws:states:::aws-sdk:s3:headObject", {"Bucket": BUCKET, "Key": "note.txt"})
    machine = {
        "StartAt": "A",
        "States": {"A": {**head, "Next": "B"}, "B": {**head, "Next": "C"}, "C": {**head, "End": True}},
    }
    assert run(machine)["status"] == "SUCCEEDED"
    assert len(seen) == 3 and len(set(seen)) == 1


def test_reset_client_cache_picks_up_new_handlers(bucket: Any) -> None:
    """A handler registered after a client was cached is seen once the cache is reset."""
    head = single(task("arn:aws:states:::aws-sdk:s3:headObject", {"Bucket": BUCKET, "Key": "note.txt"}))
    assert run(head)["status"] == "SUCCEEDED"
    seen = _signers_seen(boto3._get_default_session(), "before-call.s3.HeadObject")
    api.reset_client_cache()
    assert run(head)["status"] == "SUCCEEDED"
    assert len(seen) == 1


def test_a_client_built_while_the_default_session_changes_is_not_cached(monkeypatch: Any) -> None:
    """A thread left over from a stopped sandbox must not cache its client for the next sandbox's session."""
    old, new = boto3.Session(region_name=REGION), boto3.Session(region_name=REGION)
    built: list[Any] = []

    def build_during_switch(**kwargs: Any) -> Any:
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", new)  # the next sandbox starts meanwhile
        built.append(object())
        return built[-1]

    api.reset_client_cache()
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", old)
    monkeypatch.setattr(api, "_original_boto_client_for", build_during_switch)
    leftover = api.cached_boto_client_for(REGION, "lambda")
    fresh = api.cached_boto_client_for(REGION, "lambda")
    assert leftover is not fresh and len(built) == 2
    assert api.cached_boto_client_for(REGION, "lambda") is fresh
    api.reset_client_cache()


# -- installation ----------------------------------------------------------------------------------


@pytest.mark.skipif(FIXES_OFF, reason="checks the installed fixes")
def test_install_all_is_idempotent() -> None:
    """Installing twice must not wrap moto twice (double normalisation, double logging)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk,
    )

    install_all()
    wrapped = StateTaskServiceAwsSdk._eval_service_task
    install_all()
    assert StateTaskServiceAwsSdk._eval_service_task is wrapped
    assert errors._installed and sdk_errors._installed and sdk_results._installed
    assert jsonpath._installed and api._installed


def test_execution_start_time_in_the_context_object_is_iso_text(engine):
    """`$$.Execution.StartTime` is an ISO-8601 string on AWS, usable in any JSON payload."""
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"t.$": "$$.Execution.StartTime"},
                                                    "End": True}}}
    started = output_of(run(definition, {}))["t"]
    assert isinstance(started, str) and started.endswith("Z") and "T" in started


def test_concurrent_counter_updates_lose_no_increment(engine):
    """DynamoDB applies each UpdateItem atomically: N concurrent ADDs of 1 give N."""
    import concurrent.futures

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(TableName="counters", BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])

    def add_one(_: int) -> None:
        dynamodb.update_item(TableName="counters", Key={"id": {"S": "c"}}, UpdateExpression="ADD n :one",
                             ExpressionAttributeValues={":one": {"N": "1"}})

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(add_one, range(400)))
    item = dynamodb.get_item(TableName="counters", Key={"id": {"S": "c"}})["Item"]
    assert item["n"] == {"N": "400"}


def test_concurrent_counter_updates_each_return_their_own_new_value(engine):
    """Each UpdateItem's ReturnValues is the item as that write left it: N concurrent ADDs of 1 return 1..N once
    each (moto read them from the stored item after its write lock, so two writers could both see the last)."""
    import concurrent.futures

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(TableName="counters", BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])

    def add_one(_: int) -> str:
        return dynamodb.update_item(TableName="counters", Key={"id": {"S": "c"}}, UpdateExpression="ADD n :one",
                                    ExpressionAttributeValues={":one": {"N": "1"}},
                                    ReturnValues="UPDATED_NEW")["Attributes"]["n"]["N"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        returned = list(pool.map(add_one, range(400)))
    assert sorted(returned, key=int) == [str(n) for n in range(1, 401)]


def test_an_execution_being_started_lists_as_running(engine: None) -> None:
    """moto creates an execution before giving it a status: a listing at that moment crashed on None."""
    from moto.stepfunctions.parser.backend.execution import Execution

    starting = Execution.__new__(Execution)
    starting.exec_status = None
    assert starting.status == "RUNNING"



@pytest.mark.parametrize(("suffix", "status"), [("", "SUCCEEDED"), ("x", "FAILED")])
def test_state_payload_quota_is_256_kib_of_compact_json_inclusive(engine: None, suffix: str, status: str) -> None:
    # The Pass state doubles its input: a result of 262,144 bytes ({"pad":"<2 x 131,067>"}) fits, one more fails.
    definition = {"StartAt": "Grow", "States": {"Grow": {
        "Type": "Pass", "Parameters": {"pad.$": f"States.Format('{{}}{{}}{suffix}', $.a, $.a)"}, "End": True}}}
    description = run(definition, {"a": "x" * 131_067})
    assert description["status"] == status
    if status == "FAILED":
        assert description["error"] == "States.DataLimitExceeded"


# -- soundness under concurrency and crashes -------------------------------------------------------

JSONATA_PASS = {"QueryLanguage": "JSONata", "StartAt": "P",
                "States": {"P": {"Type": "Pass", "Output": "{% $states.input %}", "End": True}}}
JSONPATH_PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"v.$": "$.v"}, "End": True}}}


@pytest.mark.skipif(FIXES_OFF, reason="checks the installed fixes")
def test_each_parse_has_its_own_query_language_scopes(engine: None) -> None:
    """moto kept one scope list on the class for every parse of the process (and every thread)."""
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    first, second = Preprocessor(), Preprocessor()
    first._query_language_per_scope.append("scope")
    assert second._query_language_per_scope == []


def test_a_definition_that_fails_to_parse_fails_its_execution_and_leaves_the_next_unharmed(
        engine: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash while reading a JSONata definition (its scopes opened, never closed) ends that execution
    FAILED with States.Runtime, as AWS reports an internal failure; a JSONPath execution after it runs."""
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    from sandbox.moto_fixes import program_cache

    jsonata, jsonpath = create_machine(JSONATA_PASS), create_machine(JSONPATH_PASS)
    visit = Preprocessor.visitState_decl_body

    def crash_inside_the_state(self: Any, ctx: Any) -> Any:
        self._open_query_language_scope(ctx)
        raise ValueError("injected parse failure")

    monkeypatch.setattr(Preprocessor, "visitState_decl_body", crash_inside_the_state)
    # The execution reads its definition again (no stored program), as moto does at every start.
    monkeypatch.setattr(program_cache, "stored", lambda _definition: None)
    crashed = sfn_client().start_execution(stateMachineArn=jsonata, input="{}")["executionArn"]
    description = wait_done(crashed)
    monkeypatch.setattr(Preprocessor, "visitState_decl_body", visit)
    monkeypatch.undo()

    assert (description["status"], description["error"]) == ("FAILED", "States.Runtime")
    assert "injected parse failure" in description["cause"]
    events = history(crashed)
    assert [e["type"] for e in events] == ["ExecutionStarted", "ExecutionFailed"]
    assert events[-1]["executionFailedEventDetails"]["error"] == "States.Runtime"
    assert output_of(run(JSONPATH_PASS, {"v": 1})) == {"v": 1}
    later = sfn_client().start_execution(stateMachineArn=jsonpath, input='{"v": 2}')["executionArn"]
    assert output_of(wait_done(later)) == {"v": 2}


def test_stop_before_the_worker_begins_aborts_the_execution(engine: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """StopExecution works from the first moment: moto raised AttributeError (no environment yet) or lost the stop.

    The worker is held before it builds its environment until the stop is on its way.
    """
    import threading

    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    stop_sent = threading.Event()
    environment, stop = ExecutionWorker._get_evaluation_environment, Execution.stop

    def held_environment(self: Any) -> Any:
        stop_sent.wait(10)
        return environment(self)

    def stop_then_release(self: Any, *args: Any, **kwargs: Any) -> None:
        stop_sent.set()
        stop(self, *args, **kwargs)

    monkeypatch.setattr(ExecutionWorker, "_get_evaluation_environment", held_environment)
    monkeypatch.setattr(Execution, "stop", stop_then_release)
    arn = create_machine({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
    started = sfn_client().start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    sfn_client().stop_execution(executionArn=started, error="Stopped", cause="at once")
    description = wait_done(started)
    assert (description["status"], description["error"]) == ("ABORTED", "Stopped")
    assert [e["type"] for e in history(started)][-1] == "ExecutionAborted"


def test_a_program_ended_by_another_thread_ignores_where_it_would_go_next(engine: None) -> None:
    """A branch stopped by its failing sibling may still be starting: it stops, it does not raise."""
    import threading

    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramRunning, ProgramStopped

    env = Environment.__new__(Environment)
    env._state_mutex, env._program_state = threading.RLock(), ProgramRunning()
    env.next_state_name = "A"
    env._program_state = ProgramStopped(stop_date=None, cause=None, error=None)
    env.next_state_name = "B"
    env.next_field_name = "Parameters"
    assert isinstance(env._program_state, ProgramStopped) and env.next_state_name is None


def test_a_failing_parallel_branch_stops_its_siblings_without_a_thread_exception(
    engine: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sibling branch whose thread begins only after the failing branch stopped it raised
    "Could not set NextState value when in state ProgramStopped" on its thread."""
    import threading

    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branch_worker import BranchWorker

    crashes: list[str] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: crashes.append(repr(args.exc_value)))
    stopped: dict[int, threading.Event] = {}
    routine, stop = BranchWorker._thread_routine, BranchWorker.stop

    def begin_once_stopped(self: Any) -> None:
        if self._program.start_at.start_at_name != "Boom":
            stopped.setdefault(id(self), threading.Event()).wait(10)
        routine(self)

    def stop_and_tell(self: Any, *args: Any, **kwargs: Any) -> None:
        stop(self, *args, **kwargs)
        stopped.setdefault(id(self), threading.Event()).set()

    monkeypatch.setattr(BranchWorker, "_thread_routine", begin_once_stopped)
    monkeypatch.setattr(BranchWorker, "stop", stop_and_tell)
    branches = [{"StartAt": "Boom", "States": {"Boom": fail("Branch.Failed")}},
                {"StartAt": "Late", "States": {"Late": {"Type": "Pass", "End": True}}}]
    arn = create_machine({"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "Branches": branches, "End": True}}})
    started = sfn_client().start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    description = wait_done(started)
    assert (description["status"], description["error"]) == ("FAILED", "Branch.Failed")
    for event in stopped.values():
        event.wait(10)
    late = [t for t in threading.enumerate() if t.name.startswith("BranchWorker_")]
    for thread in late:
        thread.join(10)
    assert crashes == []

def test_an_unpaired_surrogate_is_measured_and_hashed_instead_of_crashing_the_state() -> None:
    # A "\ud800" escape in JSON a client sent decodes to a lone surrogate, which UTF-8 cannot encode.
    from sandbox.moto_fixes.jsonata import sfn_hash
    from sandbox.moto_fixes.payload_quota import is_within_size_quota

    assert is_within_size_quota({"name": "Jane\ud800"})
    assert sfn_hash("a\ud800", "SHA-256") == sfn_hash("a?", "SHA-256")  # as Java's encoder writes it
