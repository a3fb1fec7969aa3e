"""The sandbox runs a template's workflows as AWS would, from the template alone."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from sandbox.core import Sandbox, SandboxError

FIXTURE = Path(__file__).parent / "fixture" / "template.yaml"


@pytest.fixture
def sb():
    with Sandbox.from_template(FIXTURE) as sandbox:
        yield sandbox


def test_lambda_runs_in_process_with_its_template_environment(sb):
    """The handler sees Globals and its own variables, resolved from the template (Ref to the table)."""
    run = sb.run("flow", {"name": "Ada"})
    assert run.status == "SUCCEEDED"
    assert run.path == ["Greet", "WaitTwoDays", "Announce"]
    assert run.output["greet"] == {"greeting": "Hello, Ada"}
    greet_result = json.loads(run.events_of("TaskSucceeded")[0]["taskSucceededEventDetails"]["output"])
    assert greet_result["Payload"]["table"] == "sfn-suite-Table"
    assert greet_result["Payload"]["function"] == "sfn-suite-GreeterFunction"


def test_handler_exception_becomes_the_asl_error_named_after_its_type(sb):
    """Lambda reports errorType/errorMessage; Step Functions names the error after errorType."""
    run = sb.run("flow", {"refuse": True})
    assert run.path == ["Greet", "Refused"]
    assert (run.status, run.error) == ("FAILED", "Fixture.Refused")
    failed = run.events_of("TaskFailed")[0]["taskFailedEventDetails"]
    assert failed["error"] == "GreetingRefused"
    assert json.loads(failed["cause"])["errorMessage"] == "no greeting today"


def test_unknown_function_fails_with_resource_not_found(sb):
    run = sb.run("edge", {"case": "missing-function"})
    assert run.status == "FAILED"
    assert run.error == "Lambda.ResourceNotFoundException"


def test_a_48_hour_wait_passes_on_the_virtual_clock(sb):
    """History timestamps are virtual: the Wait state spans exactly two days."""
    before = sb.clock.now()
    run = sb.run("flow", {"name": "Ada"})
    entered = run.events_of("WaitStateEntered")[0]["timestamp"]
    exited = run.events_of("WaitStateExited")[0]["timestamp"]
    assert exited - entered == timedelta(hours=48)
    assert sb.clock.now() - before >= timedelta(hours=48)


def test_wait_until_a_timestamp_is_utc_and_virtual(sb):
    until = (sb.clock.now() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    run = sb.run("edge", {"case": "timestamp", "until": until})
    assert run.status == "SUCCEEDED"
    assert run.events_of("WaitStateExited")[0]["timestamp"].strftime("%Y-%m-%dT%H:%M:%SZ") == until


def _token_from_queue(sb) -> str:
    url = sb.stack.resources["ApprovalQueue"].ref
    sqs = boto3.client("sqs", region_name=sb.region)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=url).get("Messages", [])
        if messages:
            token = json.loads(messages[0]["Body"])["token"]
            _until_its_task_waits(sb, token, deadline)
            return token
        time.sleep(0.005)  # a tight polling loop can starve the execution's thread of moto's locks
    raise AssertionError("no task token was sent within 10 s of wall time")


def _until_its_task_waits(sb, token: str, deadline: float) -> None:
    """The message is out before its task waits for the answer (and opens its heartbeat window): a heartbeat sent or
    the clock moved in between would meet no window yet. Return once the task waits, as `answer_callbacks` does."""
    while not any(token in sb._waiting_task_tokens(e.execution_arn) for e in sb._backend()._get_executions("RUNNING")):
        if time.monotonic() > deadline:
            raise AssertionError("the task that sent the token never waited for it within 10 s of wall time")
        time.sleep(0.005)


def test_callback_waits_for_its_token_without_timing_out(sb):
    """A callback's timeout is external: the clock does not jump to it while nobody answers."""
    arn = sb.start("edge", {"case": "callback"})
    token = _token_from_queue(sb)
    sb.sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True}))
    run = sb.wait(arn)
    assert (run.status, run.output) == ("SUCCEEDED", {"approved": True})
    assert run.path == ["Route", "WaitForApproval"]


def test_callback_times_out_when_the_clock_is_advanced_past_its_timeout(sb):
    arn = sb.start("edge", {"case": "callback"})
    _token_from_queue(sb)
    sb.clock.advance(hours=24, seconds=1)
    run = sb.wait(arn)
    assert run.path == ["Route", "WaitForApproval", "Expired"]
    assert run.output == {"expired": True}
    assert run.events_of("TaskTimedOut")


def test_event_on_a_custom_bus_starts_the_rule_target_with_its_input_path(sb):
    events = boto3.client("events", region_name=sb.region)
    events.put_events(Entries=[{"Source": "sandbox.test", "DetailType": "Hello", "EventBusName": "sfn-suite-bus",
                                "Detail": json.dumps({"name": "Bus"})}])
    (run,) = sb.settle()
    assert run.input == {"name": "Bus"}
    assert run.output["greet"] == {"greeting": "Hello, Bus"}


def test_event_not_matching_any_rule_starts_nothing(sb):
    events = boto3.client("events", region_name=sb.region)
    events.put_events(Entries=[{"Source": "someone.else", "DetailType": "Hello", "EventBusName": "sfn-suite-bus",
                                "Detail": "{}"}])
    assert sb.settle() == []
    assert len(sb.published("Bus")) == 1


def test_s3_upload_reaches_the_rule_as_an_object_created_event(sb):
    sb.put_object("Bucket", "customer-1/a.txt", "hi")
    (run,) = sb.settle()
    assert run.input["key"] == "customer-1/a.txt"
    (event,) = sb.published("default")
    assert event["source"] == "aws.s3" and event["detail-type"] == "Object Created"
    assert event["detail"]["bucket"]["name"] == "sfn-suite-bucket"
    assert event["detail"]["reason"] == "PutObject"


def test_s3_sends_an_objects_event_once_the_object_has_its_metadata_and_tags(sb, monkeypatch):
    """moto notifies from inside PutObject, before it sets the metadata: an execution started by the event
    could read the object without them. The event goes out once the request is done, as on AWS."""
    from moto.s3.models import s3_backends

    seen = []
    deliver = sb.router.put

    def put(bus, event):
        if event["source"] == "aws.s3":
            backend = s3_backends[sb.account_id]["aws"]
            key = backend.get_object(sb.bucket_name("Bucket"), "customer-1/a.txt")
            seen.append((dict(key.metadata).get("x-amz-meta-labels"), backend.get_object_tagging(key)))
        deliver(bus, event)

    monkeypatch.setattr(sb.router, "put", put)
    s3 = boto3.client("s3", region_name=sb.region)
    s3.put_object(Bucket=sb.bucket_name("Bucket"), Key="customer-1/a.txt", Body=b"hi", Metadata={"labels": "Car"},
                  Tagging="kind=scan")
    assert len(sb.settle()) == 1
    assert seen == [("Car", {"Tags": [{"Key": "kind", "Value": "scan"}]})]


def test_seeding_fixtures_triggers_no_rule(sb, tmp_path):
    seed = tmp_path / "objects.json"
    seed.write_text(json.dumps({"Bucket": {"customer-1/a.txt": {"body": "hi"}}}))
    sb.seed(seed)
    assert sb.settle() == []


def test_unknown_workflow_is_a_clear_error(sb):
    listed = r"unknown workflow 'nope'; the template has: .*edge \(EdgeStateMachine\), flow \(FlowStateMachine\)"
    with pytest.raises(SandboxError, match=listed):
        sb.run("nope", {})


def test_only_one_sandbox_at_a_time(sb):
    with pytest.raises(SandboxError, match="one at a time"), Sandbox.from_template(FIXTURE):
        pass


def test_pending_task_tokens_lists_the_callbacks_an_execution_waits_on(sb):
    arn = sb.start("edge", {"case": "callback"})
    token = _token_from_queue(sb)
    assert sb.pending_task_tokens(arn) == [token]


def test_stopping_the_sandbox_ends_the_executions_it_leaves_running():
    """An execution left waiting (a callback nobody answers, a run started by an event) must not run on
    into the next sandbox: its thread would call the next sandbox's services with this one's state."""
    with Sandbox.from_template(FIXTURE) as sb:
        sb.start("edge", {"case": "callback"})
        _token_from_queue(sb)
        sb.put_object("Bucket", "customer-1/a.txt", "hi")  # starts an execution through the rule
    workers = [t for t in threading.enumerate() if "_execution_logic" in t.name]
    for worker in workers:
        worker.join(timeout=5)
    assert [w for w in workers if w.is_alive()] == []


def test_a_state_without_timeout_seconds_gives_the_clock_no_deadline(sb):
    """moto stands in 99999999 s for "no TimeoutSeconds"; the clock must never jump there (CI flake, Parallel)."""
    arn = sb.start("edge", {"case": "callback-in-parallel"})
    token = _token_from_queue(sb)
    time.sleep(0.05)  # many quiet periods: a jumpable deadline would be taken now
    assert sb.clock.next_deadline(include_external=False) is None
    assert sb.pending_task_tokens(arn) == [token]
    sb.sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True}))
    run = sb.wait(arn)
    assert (run.status, run.path, run.output) == ("SUCCEEDED", ["Route", "ApproveInBranch", "WaitForBranchApproval"],
                                             [{"approved": True}])


def test_answer_callbacks_rejects_with_the_given_error(sb):
    run = sb.answer_callbacks(sb.start("edge", {"case": "callback"}), reject=("Rejected", "no"))
    assert (run.status, run.error, run.cause) == ("FAILED", "Rejected", "no")


def test_answer_callbacks_without_an_answer_lets_the_timeout_fire(sb):
    run = sb.answer_callbacks(sb.start("edge", {"case": "callback"}))
    assert run.path == ["Route", "WaitForApproval", "Expired"]


def test_plain_function_arn_resource_runs_the_handler(sb):
    """`"Resource": "<function ARN>"` passes the state input as the event and returns the bare result."""
    run = sb.run("edge", {"case": "plain-arn", "name": "Lin"})
    assert run.path == ["Route", "GreetByArn"]
    assert run.output["greeting"] == "Hello, Lin"


def test_a_hanging_task_times_out_on_virtual_time(sb):
    """TimeoutSeconds fires States.Timeout after 30 virtual seconds; Catch takes over."""
    sb.faults.hang("GreetWithTimeout")
    run = sb.run("edge", {"case": "slow-task"})
    assert run.path == ["Route", "GreetWithTimeout", "TooSlow"]
    timed_out = run.events_of("TaskTimedOut")[0]["timestamp"]
    started = run.events_of("TaskStarted")[0]["timestamp"]
    assert timed_out - started == timedelta(seconds=30)


def test_input_transformer_shapes_the_execution_input(sb):
    events = boto3.client("events", region_name=sb.region)
    events.put_events(Entries=[{"Source": "sandbox.transform", "DetailType": "Hi", "EventBusName": "sfn-suite-bus",
                                "Detail": json.dumps({"who": "Ines"})}])
    (run,) = sb.settle()
    assert run.input == {"case": "plain-arn", "name": "Ines"}
    assert run.output["greeting"] == "Hello, Ines"


def test_missed_heartbeat_is_states_heartbeat_timeout(sb):
    """AWS names a missed heartbeat States.HeartbeatTimeout (a Catch can tell it from States.Timeout)."""
    arn = sb.start("edge", {"case": "heartbeat"})
    token = _token_from_queue(sb)
    sb.clock.advance(seconds=50)
    sb.sfn.send_task_heartbeat(taskToken=token)
    sb.clock.advance(seconds=50)  # 100 s after the start, 50 s after the heartbeat: still alive
    assert sb.pending_task_tokens(arn) == [token]
    sb.clock.advance(seconds=11)
    run = sb.wait(arn)
    assert run.path == ["Route", "WaitWithHeartbeat", "NoHeartbeat"]
    assert run.events_of("TaskTimedOut")[0]["taskTimedOutEventDetails"]["error"] == "States.HeartbeatTimeout"


def test_template_bucket_policies_are_applied_with_their_conditions(sb):
    """S3 evaluates Condition blocks: a TLS-only Deny does not block SDK calls, a plain Deny does."""
    s3 = boto3.client("s3", region_name=sb.region)
    bucket = sb.bucket_name("Bucket")
    tls_only = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(tls_only))
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"ok")
    deny_all = {**tls_only, "Statement": [{k: v for k, v in tls_only["Statement"][0].items() if k != "Condition"}]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny_all))
    with pytest.raises(s3.exceptions.ClientError, match="Forbidden"):
        s3.put_object(Bucket=bucket, Key="b.txt", Body=b"no")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(tls_only))  # a policy text seen before decides anew
    s3.put_object(Bucket=bucket, Key="c.txt", Body=b"ok again")


def test_handler_output_goes_to_its_function_log_not_the_console(sb, capsys):
    """As in Lambda, what a handler prints lands in its log stream (CloudWatch Logs), one per function."""
    run = sb.run("flow", {"name": "Ada"})
    function = sb.lambdas.functions["GreeterFunction"]
    assert (run.status, function.invocations) == ("SUCCEEDED", 1), (run.path, run.history[-3:])
    (line,) = function.log_lines
    assert line.startswith("greeting request ")
    assert "greeting request" not in capsys.readouterr().out


def test_waits_inside_map_items_and_parallel_branches_end_on_the_virtual_clock(sb):
    """A Map or Parallel state only waits for its children: their Wait states must still run out."""
    run = sb.run("MapWaitStateMachine", {"items": [1, 2, 3]}, wall_timeout=20)
    assert run.status == "SUCCEEDED"
    assert run.path.count("WaitAnHour") == 3 and run.path.count("WaitAMinute") == 3
    # Items start their waits at slightly different wall times, so the total is at least the AWS figure.
    assert run.history[-1]["timestamp"] - run.history[0]["timestamp"] >= timedelta(hours=1, minutes=1)


def test_seeding_an_archived_object_as_restored_makes_it_readable_until_its_expiry(sb, tmp_path):
    """`restoredDays`: what a restore-completed event's workflow finds, the object still DEEP_ARCHIVE."""
    seed = tmp_path / "objects.json"
    seed.write_text(json.dumps({"Bucket": {
        "old.txt": {"body": "archived", "storageClass": "DEEP_ARCHIVE", "restoredDays": 2},
        "cold.txt": {"body": "archived", "storageClass": "DEEP_ARCHIVE"}}}))
    sb.seed(seed)
    s3 = boto3.client("s3", region_name=sb.region)
    bucket = sb.bucket_name("Bucket")
    head = s3.head_object(Bucket=bucket, Key="old.txt")
    assert (head["StorageClass"], head["Restore"].split(",")[0]) == ("DEEP_ARCHIVE", 'ongoing-request="false"')
    assert s3.get_object(Bucket=bucket, Key="old.txt")["Body"].read() == b"archived"
    with pytest.raises(s3.exceptions.InvalidObjectState):
        s3.get_object(Bucket=bucket, Key="cold.txt")
    sb.clock.advance(seconds=3 * 86400)  # past the expiry: archived-only again
    with pytest.raises(s3.exceptions.InvalidObjectState):
        s3.get_object(Bucket=bucket, Key="old.txt")
    assert sb.settle() == []  # a fixture sends no restore event


def test_only_an_archived_object_can_be_seeded_as_restored(sb, tmp_path):
    seed = tmp_path / "objects.json"
    seed.write_text(json.dumps({"Bucket": {"hot.txt": {"body": "x", "restoredDays": 2}}}))
    with pytest.raises(ValueError, match="only an archived object"):
        sb.seed(seed)
