"""Account application, end to end in the sandbox: every sample event, the race, idempotency, every Catch.

Inputs come from events/account-application/ (objects.json seeds an existing account, for the
duplicate cases); error names come from the ASL. Each case is a function of the sandbox so that the
coverage test at the end can replay the cases no other test ran, in any test order.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.asl_graph import parse
from sandbox.core import Run, Sandbox
from sandbox.coverage import coverage
from sandbox.session import shared_client

ROOT = Path(__file__).resolve().parents[2]
SLUG = "account-application"
EVENTS = ROOT / "events" / SLUG
BUS = "SuiteEventBus"
TOPIC = "AccountApplicantTopic"
TABLE = "AccountTable"
STATE_MACHINE = "AccountApplicationStateMachine"

BRANCH_STATES = {"CheckIdentity", "IdentityRejected", "IdentityCheckFailed", "CheckAddress", "AddressRejected",
                 "AddressCheckFailed", "CheckDuplicate", "DuplicateCheckFailed"}
CHECKS = {"CheckIdentity", "CheckAddress", "CheckDuplicate"}
START = ["CheckInput", "Prepare", "ClaimIdempotencyKey", "ValidateApplication"]
APPROVED = [*START, "ValidationCheck", "CreateAccount", "PublishInterests", "PublishBatch", "Approve",
            "NotifyApplicant", "RecordResult", "Respond"]
REJECTED = [*START, "ValidationCheck", "Reject", "NotifyApplicant", "RecordResult", "Respond"]


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def main_path(run: Run) -> list[str]:
    """The path without the Parallel's branch states (branches interleave in any order)."""
    return [s for s in run.path if s not in BRANCH_STATES]


def branch_states(run: Run) -> set[str]:
    return {s for s in run.path if s in BRANCH_STATES}


def fail_state(sb: Sandbox, name: str) -> dict[str, Any]:
    return sb.workflow(SLUG).definition["States"][name]


def email_key(email: str) -> str:
    return "EMAIL#" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def item(sb: Sandbox, pk: str) -> dict[str, Any] | None:
    found = shared_client(sb.region, "dynamodb").get_item(TableName=sb.stack.resources[TABLE].name,
                                                        Key={"pk": {"S": pk}}, ConsistentRead=True)
    return found.get("Item")


def accounts(sb: Sandbox) -> list[dict[str, Any]]:
    scanned = shared_client(sb.region, "dynamodb").scan(TableName=sb.stack.resources[TABLE].name)["Items"]
    return [i for i in scanned if i["pk"]["S"].startswith("EMAIL#")]


def event_source(sb: Sandbox) -> str:
    return sb.stack.resources[STATE_MACHINE].properties["DefinitionSubstitutions"]["EventSource"]


def with_application(sample: str, key: str | None = None, **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(event(sample))
    body["application"].update(changes)
    if key is not None:
        body["idempotencyKey"] = key
    return body


# -- cases ------------------------------------------------------------------------------------

RUNS: dict[str, list[Run]] = {}


def _sample(name: str) -> Callable[[Sandbox], list[Run]]:
    return lambda sb: [sb.run(SLUG, event(name))]


def _twice(sb: Sandbox) -> list[Run]:
    return [sb.run(SLUG, event("approved")), sb.run(SLUG, event("approved"))]


def _in_progress(sb: Sandbox) -> list[Run]:
    body = event("approved")
    shared_client(sb.region, "dynamodb").put_item(
        TableName=sb.stack.resources[TABLE].name,
        Item={"pk": {"S": f"APPLICATION#{body['idempotencyKey']}"}, "status": {"S": "IN_PROGRESS"}})
    return [sb.run(SLUG, body)]


def _faulted(name: str, *faults: tuple[str, str, int | None]) -> Callable[[Sandbox], list[Run]]:
    def case(sb: Sandbox) -> list[Run]:
        for state, error, times in faults:
            sb.faults.fail(state, error, f"injected {error}", times=times)
        return [sb.run(SLUG, event(name))]

    return case


def _stored_result_unreadable(sb: Sandbox) -> list[Run]:
    first = sb.run(SLUG, event("approved"))
    sb.faults.fail("GetStoredResult", "DynamoDB.AmazonDynamoDBException", "injected", times=1)
    return [first, sb.run(SLUG, event("approved"))]


CASES: dict[str, Callable[[Sandbox], list[Run]]] = {
    **{name: _sample(name) for name in ("approved", "rejected-identity", "rejected-address", "rejected-country",
                                        "duplicate", "rejected-everything", "malformed", "no-idempotency-key")},
    "no-interests": lambda sb: [sb.run(SLUG, with_application("approved", interests=[]))],
    "repeat": _twice,
    "in-progress": _in_progress,
    "claim-fails": _faulted("approved", ("ClaimIdempotencyKey", "DynamoDB.AmazonDynamoDBException", 1)),
    "stored-result-unreadable": _stored_result_unreadable,
    "identity-check-fails": _faulted("approved", ("CheckIdentity", "Lambda.ResourceNotFoundException", 1)),
    "address-check-fails": _faulted("approved", ("CheckAddress", "Lambda.ResourceNotFoundException", 1)),
    "duplicate-check-fails": _faulted("approved", ("CheckDuplicate", "DynamoDB.ResourceNotFoundException", 1)),
    "lost-race": _faulted("approved", ("CreateAccount", "DynamoDB.ConditionalCheckFailedException", 1)),
    "create-fails": _faulted("approved", ("CreateAccount", "DynamoDB.AmazonDynamoDBException", 1)),
    "publish-fails": _faulted("approved", ("PublishBatch", "EventBridge.AccessDeniedException", 1)),
    "notify-fails": _faulted("approved", ("NotifyApplicant", "SNS.AuthorizationErrorException", 1)),
    "record-fails": _faulted("approved", ("RecordResult", "DynamoDB.AmazonDynamoDBException", 1)),
    "release-fails": _faulted("approved", ("NotifyApplicant", "SNS.AuthorizationErrorException", 1),
                              ("ReleaseIdempotencyKey", "DynamoDB.AmazonDynamoDBException", 1)),
    "throttled-everywhere-once": _faulted(
        "approved", ("CheckIdentity", "Lambda.TooManyRequestsException", 1),
        ("CheckDuplicate", "DynamoDB.ThrottlingException", 1), ("PublishBatch", "EventBridge.FailedEntry", 1),
        ("NotifyApplicant", "SNS.ThrottledException", 1)),
}


def run_case(sb: Sandbox, name: str) -> list[Run]:
    sb.faults.clear()
    runs = CASES[name](sb)
    RUNS[name] = runs
    return runs


@pytest.fixture
def sb(suite: Sandbox) -> Sandbox:
    suite.seed(EVENTS / "objects.json")
    return suite


# -- approved ---------------------------------------------------------------------------------


def test_approved_application_creates_the_account_publishes_each_interest_and_notifies(sb):
    (run,) = run_case(sb, "approved")
    body = event("approved")
    assert (run.status, main_path(run), branch_states(run)) == ("SUCCEEDED", APPROVED, CHECKS)
    account_id = run.output["accountId"]
    assert run.output == {"outcome": "APPROVED", "applicationId": body["idempotencyKey"], "accountId": account_id,
                          "interestsPublished": 3}
    assert account_id == "ACC-" + hashlib.sha256(body["idempotencyKey"].encode()).hexdigest()[:20].upper()
    stored = item(sb, email_key(body["application"]["email"]))
    assert stored["accountId"]["S"] == account_id and stored["status"]["S"] == "ACTIVE"
    assert json.loads(stored["interests"]["S"]) == body["application"]["interests"]
    published = sb.published(BUS, "AccountInterestRegistered")
    assert sorted(e["detail"]["interest"] for e in published) == sorted(body["application"]["interests"])
    assert {e["source"] for e in published} == {event_source(sb)}
    assert sorted(e["detail"]["position"] for e in published) == [1, 2, 3]
    assert {(e["detail"]["accountId"], e["detail"]["applicationId"], e["detail"]["of"]) for e in published} == {
        (account_id, body["idempotencyKey"], 3)}
    assert all("email" not in e["detail"] and "name" not in e["detail"] for e in published)
    (message,) = sb.notifications(TOPIC)
    assert json.loads(message["message"]) == run.output
    assert message["attributes"]["outcome"]["Value"] == "APPROVED"
    assert body["application"]["email"] not in message["message"]
    record = item(sb, f"APPLICATION#{body['idempotencyKey']}")
    assert record["status"]["S"] == "COMPLETED" and json.loads(record["result"]["S"]) == run.output


def test_twenty_three_interests_are_published_in_batches_of_ten(sb):
    interests = [f"interest-{i:02}" for i in range(23)]
    run = sb.run(SLUG, with_application("approved", interests=interests))
    assert run.status == "SUCCEEDED" and run.output["interestsPublished"] == 23
    assert run.path.count("PublishBatch") == 3
    sizes = [len(json.loads(e["taskScheduledEventDetails"]["parameters"])["Entries"])
             for e in run.events_of("TaskScheduled") if e["taskScheduledEventDetails"]["resource"] == "putEvents"]
    assert sorted(sizes) == [3, 10, 10]
    assert sorted(e["detail"]["interest"] for e in sb.published(BUS, "AccountInterestRegistered")) == interests


def test_no_interests_publish_nothing(sb):
    (run,) = run_case(sb, "no-interests")
    assert main_path(run) == [s for s in APPROVED if s != "PublishBatch"]
    assert run.output["interestsPublished"] == 0
    assert sb.published(BUS) == []


def test_without_an_idempotency_key_the_execution_name_identifies_the_application(sb):
    (run,) = run_case(sb, "no-idempotency-key")
    assert (run.status, main_path(run)) == ("SUCCEEDED", APPROVED)
    assert run.output["applicationId"] == run.execution_arn.rsplit(":", 1)[-1]


# -- rejected: every failure listed -------------------------------------------------------------

REJECTIONS = {
    "rejected-identity": ({"IdentityRejected"}, [("identity", "name", "NAME_INVALID"),
                                                 ("identity", "dateOfBirth", "UNDER_MINIMUM_AGE"),
                                                 ("identity", "email", "EMAIL_INVALID")]),
    "rejected-address": ({"AddressRejected"}, [("address", "address.postcode", "POSTCODE_INVALID"),
                                               ("address", "address.line1", "PO_BOX_NOT_ACCEPTED")]),
    "rejected-country": ({"AddressRejected"}, [("address", "address.country", "COUNTRY_NOT_SUPPORTED")]),
    "duplicate": (set(), [("duplicate", "email", "DUPLICATE_EMAIL")]),
    "rejected-everything": ({"IdentityRejected", "AddressRejected"}, [
        ("identity", "name", "REQUIRED"), ("identity", "dateOfBirth", "DATE_IN_FUTURE"),
        ("address", "address.postcode", "POSTCODE_INVALID"), ("address", "address.line1", "PO_BOX_NOT_ACCEPTED"),
        ("duplicate", "email", "DUPLICATE_EMAIL")]),
}


@pytest.mark.parametrize("case", list(REJECTIONS))
def test_rejection_lists_every_failed_check_and_creates_nothing(sb, case):
    rejected_states, reasons = REJECTIONS[case]
    before = accounts(sb)
    (run,) = run_case(sb, case)
    assert (run.status, main_path(run), branch_states(run)) == ("SUCCEEDED", REJECTED, CHECKS | rejected_states)
    assert run.output["outcome"] == "REJECTED"
    assert run.output["applicationId"] == event(case)["idempotencyKey"]
    assert sorted((r["check"], r["field"], r["code"]) for r in run.output["reasons"]) == sorted(reasons)
    assert all(r["message"] for r in run.output["reasons"])
    assert accounts(sb) == before
    assert sb.published(BUS) == []
    (message,) = sb.notifications(TOPIC)
    assert json.loads(message["message"]) == run.output
    assert message["attributes"]["outcome"]["Value"] == "REJECTED"


def test_malformed_input_is_the_named_invalid_input_failure(sb):
    (run,) = run_case(sb, "malformed")
    declared = fail_state(sb, "InvalidInput")
    assert (run.status, run.path) == ("FAILED", ["CheckInput", "InvalidInput"])
    assert (run.error, run.cause) == (declared["Error"], declared["Cause"])
    assert run.events_of("TaskScheduled") == []


# -- idempotency ------------------------------------------------------------------------------


def test_a_repeat_with_the_same_key_replays_the_stored_result_and_does_nothing_again(sb):
    first, second = run_case(sb, "repeat")
    assert main_path(first) == APPROVED
    assert second.path == ["CheckInput", "Prepare", "ClaimIdempotencyKey", "GetStoredResult", "StoredResultReady",
                           "ReplayStoredResult"]
    assert second.output == first.output
    assert len(accounts(sb)) == 2  # the seeded one and this one
    assert len(sb.published(BUS)) == 3 and len(sb.notifications(TOPIC)) == 1


def test_a_repeat_while_the_first_is_running_is_request_in_progress(sb):
    (run,) = run_case(sb, "in-progress")
    assert (run.status, run.error) == ("FAILED", "AccountApplication.RequestInProgress")
    assert run.path[-3:] == ["GetStoredResult", "StoredResultReady", "RequestInProgress"]


# -- the race ----------------------------------------------------------------------------------


def test_two_concurrent_applications_with_one_email_create_one_account(sb):
    body = event("approved")
    racers = [with_application("approved", key=f"race-{i}", name=name) for i, name in enumerate(["Ann Lee", "Bo Lee"])]
    arns: list[str] = []
    threads = [threading.Thread(target=lambda b=b: arns.append(sb.start(SLUG, b))) for b in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    runs = [sb.wait(arn) for arn in arns]
    assert sorted(r.output["outcome"] for r in runs) == ["APPROVED", "REJECTED"]
    (winner,) = [r for r in runs if r.output["outcome"] == "APPROVED"]
    (loser,) = [r for r in runs if r.output["outcome"] == "REJECTED"]
    assert [r["code"] for r in loser.output["reasons"]] == ["DUPLICATE_EMAIL"]
    # Lost at the duplicate check, or later at the conditional putItem: a named outcome either way.
    assert main_path(loser) in (REJECTED, [*REJECTED[:5], "CreateAccount", "AccountAlreadyExists", *REJECTED[5:]])
    stored = [a for a in accounts(sb) if a["pk"]["S"] == email_key(body["application"]["email"])]
    assert len(stored) == 1 and stored[0]["accountId"]["S"] == winner.output["accountId"]
    assert len(sb.published(BUS)) == 3


def test_the_race_lost_at_create_account_is_a_rejection(sb):
    (run,) = run_case(sb, "lost-race")
    assert (run.status, main_path(run)) == ("SUCCEEDED", [*REJECTED[:5], "CreateAccount", "AccountAlreadyExists",
                                                          *REJECTED[5:]])
    assert run.output["reasons"] == [{
        "check": "create-account", "field": "email", "code": "DUPLICATE_EMAIL",
        "message": "An account was created for this e-mail address while this application was checked."}]
    assert sb.published(BUS) == []


# -- Retry and Catch -----------------------------------------------------------------------------

FAILURES = {
    # case: (path without branch states, branch states, execution error)
    "claim-fails": (["CheckInput", "Prepare", "ClaimIdempotencyKey", "ApplicationFailed"], set(),
                    "AccountApplication.IdempotencyUnavailable"),
    "identity-check-fails": ([*START, "ReleaseIdempotencyKey", "ApplicationFailed"],
                             {"CheckIdentity", "IdentityCheckFailed"}, "AccountApplication.ChecksUnavailable"),
    "address-check-fails": ([*START, "ReleaseIdempotencyKey", "ApplicationFailed"],
                            {"CheckAddress", "AddressCheckFailed"}, "AccountApplication.ChecksUnavailable"),
    "duplicate-check-fails": ([*START, "ReleaseIdempotencyKey", "ApplicationFailed"],
                              {"CheckDuplicate", "DuplicateCheckFailed"}, "AccountApplication.ChecksUnavailable"),
    "create-fails": ([*APPROVED[:6], "ReleaseIdempotencyKey", "ApplicationFailed"], CHECKS,
                     "AccountApplication.AccountNotCreated"),
    "publish-fails": ([*APPROVED[:8], "BatchPublishFailed", "ReleaseIdempotencyKey", "ApplicationFailed"], CHECKS,
                      "AccountApplication.EventsNotPublished"),
    "notify-fails": ([*APPROVED[:10], "ReleaseIdempotencyKey", "ApplicationFailed"], CHECKS,
                     "AccountApplication.NotificationFailed"),
    "record-fails": ([*APPROVED[:11], "ReleaseIdempotencyKey", "ApplicationFailed"], CHECKS,
                     "AccountApplication.ResultNotRecorded"),
    "release-fails": ([*APPROVED[:10], "ReleaseIdempotencyKey", "ApplicationFailed"], CHECKS,
                      "AccountApplication.NotificationFailed"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_a_dependency_failure_is_a_named_failure_and_frees_the_key(sb, case):
    path, branches, error = FAILURES[case]
    (run,) = run_case(sb, case)
    assert run.status == "FAILED"
    assert (main_path(run), branch_states(run) >= branches) == (path, True)
    assert run.error == error
    assert "injected" in run.cause
    key = f"APPLICATION#{event('approved')['idempotencyKey']}"
    if case == "release-fails":
        assert item(sb, key)["status"]["S"] == "IN_PROGRESS"  # expires with its TTL
    elif case != "claim-fails":
        assert item(sb, key) is None  # a retry with the same key runs again


def test_a_retry_after_a_failure_creates_the_same_account_once(sb):
    (failed,) = run_case(sb, "notify-fails")
    sb.faults.clear()
    retried = sb.run(SLUG, event("approved"))
    assert (failed.status, retried.status, main_path(retried)) == ("FAILED", "SUCCEEDED", APPROVED)
    assert len([a for a in accounts(sb) if a["accountId"]["S"] == retried.output["accountId"]]) == 1


def test_stored_result_unreadable_is_a_named_failure(sb):
    _first, run = run_case(sb, "stored-result-unreadable")
    assert run.path == ["CheckInput", "Prepare", "ClaimIdempotencyKey", "GetStoredResult", "ApplicationFailed"]
    assert run.error == "AccountApplication.IdempotencyUnavailable"


def test_transient_errors_are_retried_and_the_application_still_succeeds(sb):
    (run,) = run_case(sb, "throttled-everywhere-once")
    assert (run.status, main_path(run)) == ("SUCCEEDED", APPROVED)
    failed = sorted(e["taskFailedEventDetails"]["error"] for e in run.events_of("TaskFailed"))
    assert failed == ["DynamoDB.ThrottlingException", "EventBridge.FailedEntry", "Lambda.TooManyRequestsException",
                      "SNS.ThrottledException"]
    assert len(sb.published(BUS)) >= 3 and len(sb.notifications(TOPIC)) == 1


def test_every_task_retries_with_bounded_full_jitter_backoff(sb):
    from tests.test_template import all_states

    for name, state in all_states(sb.workflow(SLUG).definition):
        if state["Type"] != "Task":
            continue
        for retrier in state["Retry"]:
            assert retrier["JitterStrategy"] == "FULL" and retrier["MaxDelaySeconds"] <= 2, name
            assert retrier["MaxAttempts"] <= 2, name


# -- coverage ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _fresh() -> Iterator[Sandbox]:
    """A sandbox as the `sb` fixture makes it."""
    with Sandbox.from_template(ROOT / "template.yaml") as sandbox:
        sandbox.seed(ROOT / "events" / "document-processing" / "objects.json")  # as the `suite` fixture
        sandbox.seed(EVENTS / "objects.json")
        yield sandbox


def test_the_cases_cover_every_state_and_every_transition():
    """Replays the cases no other test ran, each in a fresh sandbox as its own test has it (the result
    depends neither on test order nor on which pytest-xdist worker ran the other tests; in one shared
    sandbox a case after `approved` would replay its stored result)."""
    with _fresh() as sandbox:
        graph = parse(sandbox.workflow(SLUG).definition)
    for name in CASES:
        if name not in RUNS:
            with _fresh() as sandbox:
                run_case(sandbox, name)
    report = coverage(graph, [run for name in CASES for run in RUNS[name]])
    assert report.uncovered_states == [], report.summary()
    assert report.uncovered_edges == [], report.summary()
