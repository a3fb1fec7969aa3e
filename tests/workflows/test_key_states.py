"""Unit tests of the workflows' key states with TestState, as AWS recommends testing state logic.

Each test runs one state of a deployed definition (`Sandbox.test_state`: DescribeStateMachine,
then TestState with the state's name), so the same calls run against AWS with credentials:
routing tables of Choice states, Retry judged RETRIABLE then exhausted, Catch judged
CAUGHT_ERROR with the state it goes to.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.core import Sandbox

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
THROTTLED = ("Rekognition.ThrottlingException", "Rate exceeded")


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox.from_template(TEMPLATE) as sandbox:
        yield sandbox


def labelled(count: int, *, licence: bool = False, car: bool = False) -> dict[str, Any]:
    return {"labels": {"count": count}, "classification": {"isLicence": licence, "isCar": car}}


@pytest.mark.parametrize(("document", "route"), [
    (labelled(0), "NoLabelsDetected"),
    (labelled(3, licence=True), "AnalyzeLicense"),
    (labelled(3, licence=True, car=True), "AnalyzeLicense"),
    (labelled(2, car=True), "PublishCarProcessed"),
    (labelled(5), "UnsupportedDocument"),
])
def test_document_processing_routes_each_classification(sb: Sandbox, document: dict[str, Any], route: str) -> None:
    result = sb.test_state("document-processing", "RouteDocument", document)
    assert (result.status, result.next_state, result.output) == ("SUCCEEDED", route, document)


def test_detect_labels_retries_throttling_with_capped_jittered_backoff(sb: Sandbox) -> None:
    result = sb.test_state("document-processing", "DetectLabels", {"bucket": "b", "key": "k.jpg"},
                           mock_error=THROTTLED, retrier_retry_count=3)
    assert (result.status, result.error) == ("RETRIABLE", "Rekognition.ThrottlingException")
    assert result.error_details["retryIndex"] == 0
    # IntervalSeconds 1 x BackoffRate 2^3 = 8, MaxDelaySeconds 8, JitterStrategy FULL: a wait within [0, 8].
    assert 0 <= result.error_details["retryBackoffIntervalSeconds"] <= 8


def test_detect_labels_gives_up_after_max_attempts_and_catches(sb: Sandbox) -> None:
    result = sb.test_state("document-processing", "DetectLabels", {"bucket": "b", "key": "k.jpg"},
                           mock_error=THROTTLED, retrier_retry_count=4)
    assert (result.status, result.next_state) == ("CAUGHT_ERROR", "LabelDetectionFailed")
    assert result.error_details == {"retryIndex": 0, "catchIndex": 0}
    assert result.output["error"] == {"Error": THROTTLED[0], "Cause": THROTTLED[1]}


def test_detect_labels_selects_names_and_count_from_rekognition(sb: Sandbox) -> None:
    labels = {"Labels": [{"Name": "Car", "Confidence": 99.1}, {"Name": "Wheel", "Confidence": 97.0}]}
    result = sb.test_state("document-processing", "DetectLabels", {"bucket": "b", "key": "k.jpg"},
                           mock_result=labels)
    assert (result.status, result.next_state) == ("SUCCEEDED", "ClassifyDocument")
    assert result.inspection["afterResultSelector"] == {"names": ["Car", "Wheel"], "count": 2}
    assert result.output["labels"] == {"names": ["Car", "Wheel"], "count": 2}


def test_claim_object_redelivery_is_caught_as_already_processed(sb: Sandbox) -> None:
    event = {"id": "event-1", "detail": {"bucket": {"name": "b"}, "object": {"key": "c/k.jpg", "sequencer": "01"}}}
    result = sb.test_state("document-processing", "ClaimObject", event,
                           mock_error=("DynamoDB.ConditionalCheckFailedException", "The conditional request failed"))
    assert (result.status, result.next_state) == ("CAUGHT_ERROR", "AlreadyProcessed")
    assert result.output == {"alreadyProcessed": True, "sourceEventId": "event-1"}
    assert result.inspection["afterArguments"]["Item"]["pk"] == {"S": "OBJECT#b/c/k.jpg#01"}


@pytest.mark.parametrize(("application", "route"), [
    ({"application": {"email": "a@example.com"}}, "Prepare"),
    ({"application": {"email": "a@example.com", "interests": ["x"]}, "idempotencyKey": "k-1"}, "Prepare"),
    ({"application": {"email": 7}}, "InvalidInput"),
    ({"application": {"email": "a@example.com", "interests": "x"}}, "InvalidInput"),
    ({"application": {"email": "a@example.com"}, "idempotencyKey": "k" * 256}, "InvalidInput"),
    ({}, "InvalidInput"),
])
def test_account_application_checks_its_input_in_jsonata(sb: Sandbox, application: dict[str, Any],
                                                         route: str) -> None:
    assert sb.test_state("account-application", "CheckInput", application).next_state == route


@pytest.mark.parametrize(("failures", "route"), [([], "CreateAccount"), (["IdentityInvalid"], "Reject")])
def test_account_application_approves_only_without_failures(sb: Sandbox, failures: list[str], route: str) -> None:
    result = sb.test_state("account-application", "ValidationCheck", {}, variables={"failures": failures})
    assert result.next_state == route


@pytest.mark.parametrize(("required", "route"), [(True, "RequestApproval"), (False, "RecordAutoApproval")])
def test_it_provisioning_asks_an_approver_only_when_required(sb: Sandbox, required: bool, route: str) -> None:
    result = sb.test_state("it-provisioning", "CheckApprovalNeeded", {"request": {"approval": {"required": required}}})
    assert result.next_state == route


@pytest.mark.parametrize(("error", "route"), [
    ("States.Timeout", "EscalateApproval"),
    ("ApprovalNotIssued", "RecordServiceCallFailure"),
    ("ItProvisioning.Rejected", "RecordRejection"),
])
def test_it_provisioning_approval_outcomes_are_caught_in_order(sb: Sandbox, error: str, route: str) -> None:
    result = sb.test_state("it-provisioning", "RequestApproval", {"request": {"requestId": "r-1"}},
                           mock_error=(error, "no answer"))
    assert (result.status, result.next_state) == ("CAUGHT_ERROR", route)


def test_it_provisioning_approval_answer_lands_in_approval(sb: Sandbox) -> None:
    answer = {"decision": "APPROVED", "approver": "approver@example.com"}
    result = sb.test_state("it-provisioning", "RequestApproval", {"request": {"requestId": "r-1"}},
                           mock_result=answer, field_validation_mode="NONE")
    assert (result.status, result.next_state) == ("SUCCEEDED", "RecordApproval")
    assert result.output["approval"] == answer


@pytest.mark.parametrize(("score", "route"), [(0.7, "RecordF1BelowThreshold"), (0.9, "StartModel")])
def test_custom_labels_training_gates_on_f1(sb: Sandbox, score: float, route: str) -> None:
    state = {"model": {"description": {"EvaluationResult": {"F1Score": score}}}, "request": {"minF1Score": 0.8}}
    assert sb.test_state("custom-labels-training", "CheckF1Score", state).next_state == route


@pytest.mark.parametrize(("failed", "status", "route"), [(0, "SUCCEEDED", "Summarize"),
                                                        (1, "CAUGHT_ERROR", "NotifyRequestFailed")])
def test_glacier_restore_tolerates_five_percent_of_keys_failing(sb: Sandbox, failed: int, status: str,
                                                                route: str) -> None:
    """ToleratedFailurePercentage 5: one failed key out of 20 is 5 %, tolerated; out of 10 it is 10 %."""
    keys = [f"k{i}" for i in range(10)]
    result = sb.test_state("glacier-restore", "RestoreKeys", {"bucket": "b", "keys": keys, "tier": "Bulk", "days": 1},
                           mock_result=[{}] * len(keys), map_iteration_failure_count=failed)
    assert (result.status, result.next_state) == (status, route)
    assert result.inspection["toleratedFailurePercentage"] == 5.0


@pytest.mark.parametrize(("tracked", "route"), [
    ({}, "NotRequested"),
    ({"Item": {"status": {"S": "RESTORING"}}}, "CopyRestoredObject"),
    ({"Item": {"status": {"S": "DONE"}}}, "AlreadyProcessed"),
])
def test_glacier_restore_complete_processes_each_tracked_object_once(sb: Sandbox, tracked: dict[str, Any],
                                                                     route: str) -> None:
    assert sb.test_state("glacier-restore-complete", "CheckTracked", {"tracked": tracked}).next_state == route
