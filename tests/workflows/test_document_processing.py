"""Document processing, end to end in the sandbox: every sample event, every Retry, every Catch.

Inputs come from events/document-processing/ (built from licence.json when a test needs a
variant); object metadata, error names, causes and the event source come from the template,
the ASL and objects.json, never re-declared here. Each case is a function of the sandbox so
that the coverage test at the end can replay every case itself, in any test order.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sandbox.asl_graph import parse
from sandbox.core import Run, Sandbox
from sandbox.coverage import coverage, retries, transitions
from sandbox.moto_fixes.api import INPUT_TOO_LARGE_MESSAGE, MAX_INPUT_BYTES
from sandbox.session import shared_client

ROOT = Path(__file__).resolve().parents[2]
SLUG = "document-processing"
EVENTS = ROOT / "events" / SLUG
BUS = "SuiteEventBus"
BUCKET = "DocumentBucket"
STATE_MACHINE = "DocumentProcessingStateMachine"
TABLE = "DocumentProcessedObjectsTable"

VALIDATED = ["ValidateEvent", "ClaimObject", "ExtractCustomerId", "DetectLabels", "ClassifyDocument", "RouteDocument"]
LICENCE_PATH = [*VALIDATED, "AnalyzeLicense", "PublishLicenseProcessed", "LicenseProcessed"]
CAR_PATH = [*VALIDATED, "PublishCarProcessed", "CarProcessed"]


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def seeded(key: str) -> dict[str, Any]:
    """The objects.json entry of `key` in the document bucket."""
    return json.loads((EVENTS / "objects.json").read_text())[BUCKET][key]


def fail_state(sb: Sandbox, name: str) -> dict[str, Any]:
    return sb.workflow(SLUG).definition["States"][name]


def event_source(sb: Sandbox) -> str:
    return sb.stack.resources[STATE_MACHINE].properties["DefinitionSubstitutions"]["EventSource"]


def licence_key() -> str:
    return event("licence")["detail"]["object"]["key"]


def processed(sb: Sandbox) -> list[dict[str, Any]]:
    """The items of the processed-objects table."""
    return shared_client(sb.region, "dynamodb").scan(TableName=sb.stack.resources[TABLE].name)["Items"]


def forget_processed(sb: Sandbox) -> None:
    """Empty the processed-objects table, so that a case replayed in a used sandbox is not a duplicate."""
    dynamodb = shared_client(sb.region, "dynamodb")
    for item in processed(sb):
        dynamodb.delete_item(TableName=sb.stack.resources[TABLE].name, Key={"pk": item["pk"]})


# -- cases ------------------------------------------------------------------------------------

RUNS: dict[str, Run] = {}
"""Every run a test made, by case name: the coverage test replays only the missing ones."""


def _sample(name: str) -> Callable[[Sandbox], Run]:
    return lambda sb: sb.run(SLUG, event(name))


def _licence_with(path: tuple[str, ...], value: Any) -> Callable[[Sandbox], Run]:
    def case(sb: Sandbox) -> Run:
        body = copy.deepcopy(event("licence"))
        node = body
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return sb.run(SLUG, body)

    return case


def _padded_licence(size: int) -> str:
    """licence.json as JSON text of exactly `size` UTF-8 bytes (an extra `detail.padding` field)."""
    body = event("licence")
    body["detail"]["padding"] = ""
    base = len(json.dumps(body).encode())
    body["detail"]["padding"] = "x" * (size - base)
    text = json.dumps(body)
    assert len(text.encode()) == size
    return text


UPLOAD_KEY = "customer-0099/scan.PNG"


def _upload(sb: Sandbox) -> Run:
    """A real upload: S3 emits Object Created, the template's rule starts the execution."""
    before = {r.execution_arn for r in sb.executions(SLUG)}
    spec = seeded(licence_key())
    sb.put_object(BUCKET, UPLOAD_KEY, b"\x89PNG\r\n\x1a\n", content_type="image/png", metadata=spec["metadata"])
    started = [r for r in sb.settle() if r.execution_arn not in before]
    assert len(started) == 1, started
    return started[0]


def _twice(sb: Sandbox) -> Run:
    """The same S3 event delivered twice (EventBridge is at-least-once): the second run is returned."""
    first = sb.run(SLUG, event("car"))
    assert (first.status, first.path) == ("SUCCEEDED", CAR_PATH)
    return sb.run(SLUG, event("car"))


def _faulted(name: str, plan: Callable[[Any], Any]) -> Callable[[Sandbox], Run]:
    def case(sb: Sandbox) -> Run:
        plan(sb.faults)
        return sb.run(SLUG, event(name))

    return case


CATCHES = {
    # case: (sample event, faulted state, error, cause, Fail state)
    "claim-fails": ("licence", "ClaimObject", "DynamoDB.ResourceNotFoundException",
                    "Requested resource not found", "DeduplicationFailed"),
    "detect-labels-fails": ("licence", "DetectLabels", "Rekognition.InvalidS3ObjectException",
                            "Unable to get object metadata from S3. Check object key, region and/or access "
                            "permissions.",
                            "LabelDetectionFailed"),
    "analyze-licence-fails": ("licence", "AnalyzeLicense", "Textract.UnsupportedDocumentException",
                              "Request has unsupported document format", "LicenseAnalysisFailed"),
    "publish-licence-fails": ("licence", "PublishLicenseProcessed", "EventBridge.AccessDeniedException",
                              "User is not authorized to perform: events:PutEvents", "EventPublishFailed"),
    "publish-car-fails": ("car", "PublishCarProcessed", "EventBridge.AccessDeniedException",
                          "User is not authorized to perform: events:PutEvents", "EventPublishFailed"),
}

CASES: dict[str, Callable[[Sandbox], Run]] = {
    "licence": _sample("licence"),
    "car": _sample("car"),
    "no-labels": _sample("no-labels"),
    "unrecognised": _sample("unrecognised"),
    "no-prefix": _sample("no-prefix"),
    "not-an-image": _sample("not-an-image"),
    "missing-fields": _sample("missing-fields"),
    "key-is-a-number": _licence_with(("detail", "object", "key"), 42),
    "bucket-name-is-an-object": _licence_with(("detail", "bucket", "name"), {"name": "sfn-suite-documentbucket"}),
    "id-is-null": _licence_with(("id",), None),
    "255-kib-input": lambda sb: sb.run(SLUG, _padded_licence(MAX_INPUT_BYTES - 1024)),
    "upload": _upload,
    "redelivered": _twice,
    "throttled-twice": _faulted(
        "licence", lambda f: f.fail("DetectLabels", "Rekognition.ThrottlingException", "Rate exceeded", times=2)),
    "every-retrier-once": _faulted("licence", lambda f: (
        f.fail("AnalyzeLicense", "Textract.ProvisionedThroughputExceededException", "Slow down", times=1),
        f.fail("PublishLicenseProcessed", "EventBridge.FailedEntry", "InternalFailure", times=1))),
    "claim-throttled": _faulted(
        "car", lambda f: f.fail("ClaimObject", "DynamoDB.ThrottlingException", "Rate exceeded", times=1)),
    "publish-car-times-out": _faulted("car", lambda f: f.hang("PublishCarProcessed", times=1)),
    **{name: _faulted(sample, lambda f, s=state, e=error, c=cause: f.fail(s, e, c, times=1))
       for name, (sample, state, error, cause, _) in CATCHES.items()},
}


def run_case(sb: Sandbox, name: str) -> Run:
    sb.faults.clear()
    forget_processed(sb)
    run = CASES[name](sb)
    RUNS[name] = run
    return run


# -- successes --------------------------------------------------------------------------------


def test_licence_is_read_and_announced(suite):
    run = run_case(suite, "licence")
    body = event("licence")
    assert (run.status, run.path) == ("SUCCEEDED", LICENCE_PATH)
    (published,) = suite.published(BUS, "LicenseProcessedEvent")
    assert run.output == {"customerId": "customer-0042", "documentType": "DRIVING_LICENCE", "eventId": published["id"]}
    assert published["source"] == event_source(suite)
    assert published["resources"] == [suite.workflow(SLUG).arn, run.execution_arn]
    textract = json.loads(run.events_of("TaskSucceeded")[2]["taskSucceededEventDetails"]["output"])
    fields = textract["IdentityDocuments"][0]["IdentityDocumentFields"]
    assert published["detail"] == {
        "customerId": "customer-0042",
        "bucket": suite.bucket_name(BUCKET),
        "key": licence_key(),
        "sourceEventId": body["id"],
        "identityDocumentFields": fields,
    }
    extracted = {f["Type"]["Text"]: f["ValueDetection"]["Text"] for f in published["detail"]["identityDocumentFields"]}
    expected = json.loads(seeded(licence_key())["metadata"]["sandbox-id-fields"])
    assert {name: extracted[name] for name in expected} == expected
    assert extracted["FIRST_NAME"] == "JANE" and extracted["DOCUMENT_NUMBER"] == "TEST-000-0000"
    assert suite.published(BUS, "CarProcessedEvent") == []


def test_car_is_announced_with_its_labels(suite):
    run = run_case(suite, "car")
    body = event("car")
    key = body["detail"]["object"]["key"]
    assert (run.status, run.path) == ("SUCCEEDED", CAR_PATH)
    (published,) = suite.published(BUS, "CarProcessedEvent")
    assert run.output == {"customerId": "customer-0042", "documentType": "CAR", "eventId": published["id"]}
    assert published["detail"] == {
        "customerId": "customer-0042",
        "bucket": suite.bucket_name(BUCKET),
        "key": key,
        "sourceEventId": body["id"],
        "labels": seeded(key)["metadata"]["sandbox-labels"].split(","),
    }
    assert published["detail"]["labels"] == ["Car", "Vehicle", "Wheel"]
    assert suite.published(BUS, "LicenseProcessedEvent") == []
    assert run.events_of("TaskScheduled")[2]["taskScheduledEventDetails"]["resource"] == "putEvents"


def test_real_upload_starts_the_workflow_through_the_template_rule(suite):
    run = run_case(suite, "upload")
    assert run.input["source"] == "aws.s3" and run.input["detail-type"] == "Object Created"
    assert run.input["detail"]["bucket"]["name"] == suite.bucket_name(BUCKET)
    assert run.input["detail"]["object"]["key"] == UPLOAD_KEY
    assert (run.status, run.path) == ("SUCCEEDED", LICENCE_PATH)
    (published,) = suite.published(BUS, "LicenseProcessedEvent")
    assert run.output == {"customerId": "customer-0099", "documentType": "DRIVING_LICENCE", "eventId": published["id"]}
    assert published["detail"]["key"] == UPLOAD_KEY
    assert published["detail"]["customerId"] == "customer-0099"
    assert published["detail"]["sourceEventId"] == run.input["id"]


def test_redelivered_event_publishes_once_and_ends_in_already_processed(suite):
    run = run_case(suite, "redelivered")
    body = event("car")
    assert (run.status, run.path) == ("SUCCEEDED", ["ValidateEvent", "ClaimObject", "AlreadyProcessed"])
    assert run.output == {"alreadyProcessed": True, "sourceEventId": body["id"]}
    assert [e["taskScheduledEventDetails"]["resource"] for e in run.events_of("TaskScheduled")] == ["putItem"]
    assert len(suite.published(BUS, "CarProcessedEvent")) == 1
    (item,) = processed(suite)
    detail = body["detail"]
    assert item["pk"] == {"S": f"OBJECT#{detail['bucket']['name']}/{detail['object']['key']}#"
                                f"{detail['object']['sequencer']}"}
    assert item["sourceEventId"] == {"S": body["id"]}
    (first,) = [r for r in suite.executions(SLUG) if r.execution_arn != run.execution_arn]
    assert item["executionArn"] == {"S": first.execution_arn}
    started = int(first.events_of("ExecutionStarted")[0]["timestamp"].timestamp())
    ttl = int(suite.stack.resources[STATE_MACHINE].properties["DefinitionSubstitutions"]["ProcessedObjectTtlSeconds"])
    assert int(item["expiresAt"]["N"]) == started + ttl


def test_a_new_upload_of_the_same_key_is_processed_again(suite):
    run_case(suite, "car")
    again = event("car")
    again["id"] = "0f3c1d2e-7a4b-4c5d-9e8f-00000000beef"
    again["detail"]["object"]["sequencer"] = "0067878A5B1C2D3EFF"
    run = suite.run(SLUG, again)
    assert (run.status, run.path) == ("SUCCEEDED", CAR_PATH)
    assert len(suite.published(BUS, "CarProcessedEvent")) == 2
    assert len(processed(suite)) == 2


def test_throttled_claim_is_retried_and_succeeds(suite):
    run = run_case(suite, "claim-throttled")
    assert (run.status, run.path) == ("SUCCEEDED", CAR_PATH)
    assert retries(run) == {"ClaimObject": 1}
    assert len(suite.published(BUS, "CarProcessedEvent")) == 1


# -- named failures ---------------------------------------------------------------------------

REJECTED = [
    ("no-labels", [*VALIDATED, "NoLabelsDetected"]),
    ("unrecognised", [*VALIDATED, "UnsupportedDocument"]),
    ("no-prefix", ["ValidateEvent", "MissingCustomerPrefix"]),
    ("not-an-image", ["ValidateEvent", "UnsupportedObjectType"]),
    ("missing-fields", ["ValidateEvent", "InvalidEvent"]),
    ("key-is-a-number", ["ValidateEvent", "InvalidEvent"]),
    ("bucket-name-is-an-object", ["ValidateEvent", "InvalidEvent"]),
    ("id-is-null", ["ValidateEvent", "InvalidEvent"]),
]


@pytest.mark.parametrize(("case", "path"), REJECTED, ids=[case for case, _ in REJECTED])
def test_rejected_document_fails_with_its_named_error_and_publishes_nothing(suite, case, path):
    run = run_case(suite, case)
    declared = fail_state(suite, path[-1])
    assert (run.status, run.path) == ("FAILED", path)
    assert (run.error, run.cause) == (declared["Error"], declared["Cause"])
    assert run.output is None
    assert suite.published(BUS) == []
    if "DetectLabels" not in path:  # rejected before any service call
        assert run.events_of("TaskScheduled") == []


def test_no_labels_is_the_named_no_labels_error(suite):
    run = run_case(suite, "no-labels")
    assert (run.error, run.cause) == ("DocumentProcessing.NoLabelsDetected",
                                      "Rekognition found no label above the minimum confidence.")
    assert run.state_output("DetectLabels")["labels"] == {"names": [], "count": 0}


def test_large_input_under_the_quota_is_processed(suite):
    run = run_case(suite, "255-kib-input")
    assert (run.status, run.path) == ("SUCCEEDED", LICENCE_PATH)
    assert run.state_output("ExtractCustomerId") == {
        "eventId": event("licence")["id"], "bucket": suite.bucket_name(BUCKET), "key": licence_key(),
        "customerId": "customer-0042"}


def test_input_of_exactly_256_kib_is_accepted(suite):
    run = suite.run(SLUG, _padded_licence(MAX_INPUT_BYTES))
    assert (run.status, run.error, run.path) == ("SUCCEEDED", None, LICENCE_PATH)


def test_input_over_256_kib_is_refused_by_start_execution(suite):
    with pytest.raises(ClientError) as refused:
        suite.start(SLUG, _padded_licence(MAX_INPUT_BYTES + 1))
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert refused.value.response["Error"]["Message"] == INPUT_TOO_LARGE_MESSAGE
    assert suite.executions(SLUG) == []
    assert suite.published(BUS) == []


# -- Retry and Catch --------------------------------------------------------------------------


def test_throttled_label_detection_is_retried_and_succeeds(suite):
    run = run_case(suite, "throttled-twice")
    assert (run.status, run.path) == ("SUCCEEDED", LICENCE_PATH)
    failed = [e["taskFailedEventDetails"] for e in run.events_of("TaskFailed")]
    assert [(f["resource"], f["error"], f["cause"]) for f in failed] == [
        ("detectLabels", "Rekognition.ThrottlingException", "Rate exceeded")] * 2
    scheduled = [e["taskScheduledEventDetails"]["resource"] for e in run.events_of("TaskScheduled")]
    assert scheduled == ["putItem"] + ["detectLabels"] * 3 + ["analyzeID", "putEvents"]
    assert retries(run) == {"DetectLabels": 2}
    assert suite.faults.attempts(run.execution_arn, "DetectLabels") == 3
    assert len(suite.published(BUS, "LicenseProcessedEvent")) == 1


def test_textract_and_eventbridge_retriers_absorb_one_transient_error_each(suite):
    run = run_case(suite, "every-retrier-once")
    assert (run.status, run.path) == ("SUCCEEDED", LICENCE_PATH)
    assert retries(run) == {"AnalyzeLicense": 1, "PublishLicenseProcessed": 1}
    errors = [e["taskFailedEventDetails"]["error"] for e in run.events_of("TaskFailed")]
    assert errors == ["Textract.ProvisionedThroughputExceededException", "EventBridge.FailedEntry"]
    assert len(suite.published(BUS, "LicenseProcessedEvent")) == 1


@pytest.mark.parametrize("case", list(CATCHES))
def test_non_retryable_error_is_caught_into_its_named_fail_state(suite, case):
    sample, state, error, cause, fail_name = CATCHES[case]
    run = run_case(suite, case)
    path_before = LICENCE_PATH if sample == "licence" else CAR_PATH
    assert run.status == "FAILED"
    assert run.path == [*path_before[: path_before.index(state) + 1], fail_name]
    assert run.error == fail_state(suite, fail_name)["Error"]
    assert run.cause == f"{error}: {cause}"
    assert suite.faults.attempts(run.execution_arn, state) == 1  # not retried
    assert [e["taskFailedEventDetails"]["error"] for e in run.events_of("TaskFailed")] == [error]
    assert suite.published(BUS) == []


def test_publish_that_never_answers_times_out_into_event_publish_failed(suite):
    run = run_case(suite, "publish-car-times-out")
    assert (run.status, run.path) == ("FAILED", [*CAR_PATH[:-1], "EventPublishFailed"])
    assert (run.error, run.cause) == ("DocumentProcessing.EventPublishFailed", "States.Timeout: ")
    (started,) = [e for e in run.events_of("TaskStarted") if e["taskStartedEventDetails"]["resource"] == "putEvents"]
    (timed_out,) = run.events_of("TaskTimedOut")
    timeout = fail_state(suite, "PublishCarProcessed")["TimeoutSeconds"]
    assert timed_out["timestamp"] - started["timestamp"] == timedelta(seconds=timeout)
    assert suite.published(BUS) == []


# -- coverage ---------------------------------------------------------------------------------


def test_the_cases_cover_every_state_and_every_transition(suite):
    """Replays the cases no other test ran (the result does not depend on test order)."""
    graph = parse(suite.workflow(SLUG).definition)
    for name in CASES:
        if name not in RUNS:
            run_case(suite, name)
    report = coverage(graph, [RUNS[name] for name in CASES])
    assert report.uncovered_states == [], report.summary()
    assert report.uncovered_edges == [], report.summary()
    assert report.unresolved == [] and report.undeclared == [], report.summary()
    assert (len(graph.states), len(report.taken), report.state_ratio, report.edge_ratio) == (21, 34, 1.0, 1.0)


def test_coverage_sees_which_validation_rule_rejected_a_wrong_type(suite):
    run = run_case(suite, "key-is-a-number")
    (first, end) = transitions(parse(suite.workflow(SLUG).definition), run)
    assert (first.source, first.kind, first.edge.index, first.target, first.resolved) == (
        "ValidateEvent", "choice", 1, "InvalidEvent", True)
    assert (end.source, end.kind, end.target) == ("InvalidEvent", "end", "(end)")
