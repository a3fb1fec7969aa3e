"""IT provisioning, end to end in the sandbox: the request API, the approval page, every state and transition.

Requests go through the request API and decisions through the approval page, both served by
`sandbox.serve` over HTTP exactly as a browser or `curl` would reach them; executions started
directly (`sb.start`) take events from events/it-provisioning/. CloudFormation stacks are really
created (and deleted) in moto. Faults (`sb.faults`) stand in for AWS failures. Every case is a
function of the sandbox so that the coverage test at the end can replay the cases no test ran.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from sandbox import cli, samples
from sandbox.asl_graph import parse
from sandbox.core import Run, Sandbox
from sandbox.coverage import coverage
from sandbox.serve import serve

ROOT = Path(__file__).resolve().parents[2]
SLUG = "it-provisioning"
EVENTS = ROOT / "events" / SLUG
DEFINITION = json.loads((ROOT / "statemachines" / f"{SLUG}.asl.json").read_text())
STATES = DEFINITION["States"]
AUDIT_TABLE = "sfn-suite-ItProvisioningAuditTable"
APPROVAL_TOPIC = "ItProvisioningApprovalTopic"
REQUESTER_TOPIC = "ItProvisioningRequesterTopic"
APPROVER, ESCALATION = "it-approver@example.com", "it-escalation@example.com"
TIMEOUT_SECONDS = 86400
ALICE = "arn:aws:iam::123456789012:user/alice"
DENIED = ("DynamoDB.AccessDeniedException", "not authorized")
NAME_PREFIX = "itp-123456789012-"
"""The catalogue names buckets and queues itp-<account ID>-<requested name> (the stack role's scope)."""

HEAD = ["ValidateRequest", "RecordRequest", "CheckApprovalNeeded"]
PROVISION = ["CreateStack", "WaitForStack", "DescribeStack", "CheckStackStatus", "RecordProvisioned"]
FINALLY = ["WriteFinalAuditRecord", "NotifyRequester", "RouteOutcome"]


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def body_of(name: str, **changes: Any) -> dict[str, Any]:
    """The POST /requests body for an event file (the requester's identity comes from IAM)."""
    sample = event(name)
    return {"product": sample["product"], "parameters": sample["parameters"],
            "justification": sample["justification"], "requesterEmail": sample["requester"]["email"], **changes}


@dataclass
class Http:
    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.text)


class Suite:
    """The template offline, with its APIs served on 127.0.0.1."""

    def __init__(self, sb: Sandbox, server: Any) -> None:
        self.sb, self.server = sb, server

    # -- HTTP --------------------------------------------------------------------------------------
    def http(self, method: str, url: str, body: Any = None, *, caller: str | None = None,
             form: dict[str, str] | None = None, accept: str = "text/html") -> Http:
        headers = {"Accept": accept}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            headers["Content-Type"] = "application/json"
        if caller:
            headers["X-Sandbox-Caller"] = caller
        target = url if url.startswith("http") else self.server.url + "/v1" + url
        request = urllib.request.Request(target, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return Http(response.status, response.read().decode(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Http(error.code, error.read().decode(), dict(error.headers))

    def post_request(self, body: Any, caller: str = ALICE) -> Http:
        return self.http("POST", "/requests", body, caller=caller, accept="application/json")

    def get_request(self, request_id: str, caller: str = ALICE) -> Http:
        return self.http("GET", f"/requests/{request_id}", caller=caller, accept="application/json")

    # -- approvals -----------------------------------------------------------------------------------
    def approval_messages(self) -> list[dict[str, Any]]:
        return self.sb.notifications(APPROVAL_TOPIC)

    def wait_for_approval(self, count: int = 1, timeout: float = 20) -> dict[str, Any]:
        """The `count`-th approval message, once its task waits for the token."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.approval_messages()
            if len(messages) >= count:
                return messages[count - 1]
            time.sleep(0.005)
        raise AssertionError(f"no approval message #{count} within {timeout}s")

    def links(self, message: dict[str, Any]) -> dict[str, str]:
        """review/approve/reject links of an approval message, pointing at the local server."""
        text = self.server.localize(message["message"])
        return {kind: re.search(rf"^{label}: (\S+)$", text, re.MULTILINE).group(1)
                for kind, label in (("review", "Review the request"), ("approve", "Approve"), ("reject", "Reject"))}

    def decide(self, link: str, decision: str, comment: str = "", code: str | None = None) -> Http:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
        page = link.split("?")[0]
        return self.http("POST", page, form={"code": code or query["code"][0], "decision": decision,
                                             "comment": comment})

    def run_until_approval(self, name: str = "needs-approval", count: int = 1) -> tuple[str, dict[str, str]]:
        arn = self.sb.start(SLUG, event(name))
        return arn, self.links(self.wait_for_approval(count))

    def callback_waiting(self, timeout: float = 20) -> None:
        """Block until the callback Task waits for its token on the virtual clock.

        SANDBOX RACE (reported to the lead): advancing past a callback Task's TimeoutSeconds while
        its body is still invoking the Lambda makes moto hand the callback wait a non-numeric
        timeout; VirtualClock.wait_for then raises after releasing the thread's hold, leaking one
        in-flight count, and later Tasks time out spuriously. Waiting for both external deadlines
        (the Task's timeout and the callback's own wait) avoids it.
        """
        deadline = time.monotonic() + timeout
        clock = self.sb.clock
        while time.monotonic() < deadline:
            if clock.pending_deadlines(external=True) >= 2:
                return
            time.sleep(0.002)
        raise AssertionError("the callback Task never started waiting")

    def expire(self, arn: str, count: int) -> None:
        """Let the waiting approval (the `count`-th message) run into its timeout."""
        self.callback_waiting()
        self.sb.clock.advance(seconds=TIMEOUT_SECONDS)
        if count < 2:
            self.wait_for_approval(count + 1)

    # -- records -------------------------------------------------------------------------------------
    def audit(self, request_id: str) -> list[dict[str, Any]]:
        items = boto3.resource("dynamodb", region_name="us-east-1").Table(AUDIT_TABLE).query(
            KeyConditionExpression="requestId = :r", ExpressionAttributeValues={":r": request_id})["Items"]
        return items

    def requester_notes(self) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
        return [(n["subject"], json.loads(n["message"]), {k: v["Value"] for k, v in n["attributes"].items()})
                for n in self.sb.notifications(REQUESTER_TOPIC)]

    def stacks(self) -> dict[str, str]:
        cfn = boto3.client("cloudformation", region_name="us-east-1")
        return {s["StackName"]: s["StackStatus"] for s in cfn.list_stacks()["StackSummaries"]}


@contextmanager
def fresh() -> Iterator[Suite]:
    with Sandbox.from_template(ROOT / "template.yaml") as sb:
        server, thread = serve(sb)
        try:
            yield Suite(sb, server)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


@pytest.fixture
def suite() -> Iterator[Suite]:
    with fresh() as it:
        yield it


def request_id_of(run: Run) -> str:
    return run.execution_arn.rsplit(":", 1)[1]


def audit_events(suite: Suite, run: Run) -> list[str]:
    return [item["event"] for item in suite.audit(request_id_of(run))]


def detail(item: dict[str, Any]) -> Any:
    return json.loads(item["detail"])


def assert_final(suite: Suite, run: Run, status: str) -> None:
    """The trail ends with the outcome, and the requester heard of exactly that."""
    final = suite.audit(request_id_of(run))[-1]
    assert (final["event"], final["actor"]) == (status, "workflow")
    subject, message, attributes = suite.requester_notes()[-1]
    assert subject == f"IT request {request_id_of(run)}: {status}"
    assert message["status"] == status
    assert attributes == {"outcome": status, "requestId": request_id_of(run)}
    if run.error:
        assert (final["error"], final["detail"]) == (run.error, run.cause) == (message["error"], message["cause"])


def queue_exists(name: str) -> bool:
    return any(url.endswith("/" + name) for url in
               boto3.client("sqs", region_name="us-east-1").list_queues().get("QueueUrls", []))


def bucket_exists(name: str) -> bool:
    return name in [b["Name"] for b in boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"]]


# -- cases ----------------------------------------------------------------------------------------------

RUNS: dict[str, Run] = {}


def _approve(sb_suite: Suite, name: str = "needs-approval") -> Run:
    arn, links = sb_suite.run_until_approval(name)
    assert sb_suite.decide(links["approve"], "approve", "Fine for Q3").status == 200
    return sb_suite.sb.wait(arn)


def _reject(sb_suite: Suite) -> Run:
    arn, links = sb_suite.run_until_approval()
    assert sb_suite.decide(links["reject"], "reject", "Use the shared queue instead").status == 200
    return sb_suite.sb.wait(arn)


def _escalate_then(decision: str) -> Callable[[Suite], Run]:
    def case(s: Suite) -> Run:
        arn, _first = s.run_until_approval()
        s.expire(arn, 1)
        second = s.links(s.wait_for_approval(2))
        assert s.decide(second[decision], decision, "Covering for the approver").status == 200
        return s.sb.wait(arn)

    return case


def _expire_twice(s: Suite) -> Run:
    arn, _links = s.run_until_approval()
    s.expire(arn, 1)
    s.expire(arn, 2)
    return s.sb.wait(arn)


def _sample(name: str) -> Callable[[Suite], Run]:
    return lambda s: s.sb.run(SLUG, event(name))


def _bucket_taken(s: Suite) -> Run:
    taken = NAME_PREFIX + event("auto-approve")["parameters"]["bucketName"]
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=taken)
    return s.sb.run(SLUG, event("auto-approve"))


def _stack_status(status: str) -> Callable[[Suite], Run]:
    def case(s: Suite) -> Run:
        s.sb.faults.mock("DescribeStack", {"0": {"Return": {"Stacks": [{"StackName": "x", "StackStatus": status}]}}})
        return s.sb.run(SLUG, event("auto-approve"))

    return case


def _fault(state: str, error: str, cause: str, then: Callable[[Suite], Run] | None = None) -> Callable[[Suite], Run]:
    def case(s: Suite) -> Run:
        s.sb.faults.fail(state, error, cause)
        return then(s) if then else s.sb.run(SLUG, event("auto-approve"))

    return case


def _approval_fault(state: str) -> Callable[[Suite], Run]:
    def case(s: Suite) -> Run:
        s.sb.faults.fail(state, "ApprovalNotIssued", "ClientError: SNS is down")
        arn = s.sb.start(SLUG, event("needs-approval"))
        if state == "EscalateApproval":
            s.wait_for_approval(1)
            s.expire(arn, 2)
        return s.sb.wait(arn)

    return case


CASES: dict[str, Callable[[Suite], Run]] = {
    "auto-approve": _sample("auto-approve"),
    "approve": _approve,
    "approve-ec2": lambda s: _approve(s, "ec2-instance"),
    "reject": _reject,
    "escalate-approve": _escalate_then("approve"),
    "escalate-reject": _escalate_then("reject"),
    "expire-twice": _expire_twice,
    "unknown-product": _sample("unknown-product"),
    "missing-field": _sample("missing-field"),
    "not-an-object": _sample("not-an-object"),
    "oversized-parameters": _sample("oversized-parameters"),
    "bucket-taken": _bucket_taken,
    "stack-rolled-back": _stack_status("ROLLBACK_COMPLETE"),
    "stack-stuck": _stack_status("CREATE_IN_PROGRESS"),
    "describe-fails": _fault("DescribeStack", "CloudFormation.AccessDeniedException", "not authorized"),
    "delete-fails": _fault("DeleteStack", "CloudFormation.AccessDeniedException", "not authorized",
                           _stack_status("ROLLBACK_COMPLETE")),
    "validate-fails": _fault("ValidateRequest", "Lambda.ResourceNotFoundException", "Function not found"),
    "record-request-fails": _fault("RecordRequest", *DENIED),
    "record-auto-approval-fails": _fault("RecordAutoApproval", *DENIED),
    "request-approval-fails": _approval_fault("RequestApproval"),
    "escalate-approval-fails": _approval_fault("EscalateApproval"),
    "record-approval-fails": _fault("RecordApproval", *DENIED, _approve),
    "close-expired-fails": _fault("CloseExpiredApproval", *DENIED, _expire_twice),
    "final-audit-and-notify-fail": _fault("WriteFinalAuditRecord", *DENIED, lambda s: (
        s.sb.faults.fail("NotifyRequester", "SNS.AuthorizationErrorException", "not authorized"),
        s.sb.run(SLUG, event("auto-approve")))[1]),
}


def run_case(s: Suite, name: str) -> Run:
    run = CASES[name](s)
    RUNS[name] = run
    return run


# -- happy paths -------------------------------------------------------------------------------------


def test_auto_approved_request_creates_the_stack_and_audits_every_step(suite):
    run = run_case(suite, "auto-approve")
    assert run.status == "SUCCEEDED"
    assert run.path == [*HEAD, "RecordAutoApproval", *PROVISION, *FINALLY, "Provisioned"]
    name = NAME_PREFIX + event("auto-approve")["parameters"]["bucketName"]
    assert bucket_exists(name)  # moto's CloudFormation really created the bucket
    stack = f"sfn-suite-itp-{request_id_of(run)}"
    assert suite.stacks() == {stack: "CREATE_COMPLETE"}
    assert run.output["outputs"] == [{"OutputKey": "BucketName", "OutputValue": name},
                                     {"OutputKey": "BucketArn", "OutputValue": f"arn:aws:s3:::{name}"}]
    trail = suite.audit(request_id_of(run))
    assert [i["event"] for i in trail] == ["REQUESTED", "AUTO_APPROVED", "PROVISIONED"]
    assert (trail[0]["actor"], trail[0]["product"], float(trail[0]["monthlyCostUsd"])) == (
        "arn:aws:iam::123456789012:user/alice", "s3-bucket", 2.3)
    assert trail[1]["actor"] == "policy" and "below the auto-approval threshold of USD 10" in trail[1]["detail"]
    assert suite.approval_messages() == []
    assert_final(suite, run, "PROVISIONED")


def test_approved_request_through_the_approval_page(suite):
    run = run_case(suite, "approve")
    assert run.status == "SUCCEEDED"
    assert run.path == [*HEAD, "RequestApproval", "RecordApproval", *PROVISION, *FINALLY, "Provisioned"]
    assert queue_exists(NAME_PREFIX + "orders-ingest")
    trail = suite.audit(request_id_of(run))
    assert [i["event"] for i in trail] == ["REQUESTED", "APPROVAL_REQUESTED", "APPROVED", "PROVISIONED"]
    assert (trail[1]["approver"], int(trail[1]["level"])) == (APPROVER, 1)
    answer = detail(trail[2])
    assert (answer["decision"], answer["approver"], answer["level"], answer["comment"]) == (
        "APPROVED", APPROVER, 1, "Fine for Q3")
    assert answer["sourceIp"] == "127.0.0.1" and answer["userAgent"].startswith("Python-urllib")
    assert_final(suite, run, "PROVISIONED")


def test_approval_message_carries_request_id_and_code_but_never_the_token(suite):
    arn, links = suite.run_until_approval()
    message = suite.approval_messages()[0]
    request_id = arn.rsplit(":", 1)[1]
    assert message["attributes"]["approver"]["Value"] == APPROVER
    assert message["attributes"]["requestId"]["Value"] == request_id
    assert message["subject"] == "Approval needed: SQS queue for bob@example.com (USD 19.60/month)"
    token = suite.sb.pending_task_tokens(arn)[0]
    assert token not in message["message"]
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(links["review"]).query)["code"][0]
    assert len(code) >= 43 and links["review"].split("?")[0].endswith(f"/v1/approvals/{request_id}")
    item = boto3.resource("dynamodb", region_name="us-east-1").Table("sfn-suite-ItProvisioningApprovalsTable") \
        .get_item(Key={"requestId": request_id})["Item"]
    assert code not in json.dumps(item, default=str)  # only its hash is stored
    page = suite.http("GET", links["approve"])
    assert page.status == 200
    assert "Approve IT provisioning request" in page.text and "orders-ingest" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    assert 'id="approve" class="preferred"' in page.text
    # Opening the page decides nothing (mail scanners prefetch links).
    assert suite.sb.pending_task_tokens(arn) == [token]
    suite.decide(links["approve"], "approve")
    assert suite.sb.wait(arn).succeeded


def test_rejected_request_creates_nothing(suite):
    run = run_case(suite, "reject")
    assert (run.status, run.error) == ("FAILED", "ItProvisioning.Rejected")
    assert run.path == [*HEAD, "RequestApproval", "RecordRejection", *FINALLY, "Rejected"]
    cause = json.loads(run.cause)
    assert (cause["decision"], cause["approver"], cause["comment"]) == ("REJECTED", APPROVER,
                                                                       "Use the shared queue instead")
    assert audit_events(suite, run) == ["REQUESTED", "APPROVAL_REQUESTED", "REJECTED"]
    assert suite.stacks() == {} and not queue_exists(NAME_PREFIX + "orders-ingest")
    assert_final(suite, run, "REJECTED")


def test_timeout_escalates_once_and_the_escalation_approver_approves(suite):
    run = run_case(suite, "escalate-approve")
    assert run.succeeded
    assert run.path == [*HEAD, "RequestApproval", "EscalateApproval", "RecordApproval", *PROVISION, *FINALLY,
                        "Provisioned"]
    first, second = suite.approval_messages()
    assert (first["attributes"]["approver"]["Value"], second["attributes"]["approver"]["Value"]) == (APPROVER,
                                                                                                    ESCALATION)
    assert f"{APPROVER} did not answer within the time allowed" in second["message"]
    trail = suite.audit(request_id_of(run))
    assert [i["event"] for i in trail] == ["REQUESTED", "APPROVAL_REQUESTED", "APPROVAL_ESCALATED", "APPROVED",
                                           "PROVISIONED"]
    assert (detail(trail[3])["approver"], detail(trail[3])["level"]) == (ESCALATION, 2)
    # The first approver's link now says why it no longer works.
    stale = suite.decide(suite.links(first)["approve"], "approve")
    assert stale.status == 410 and "escalated to it-escalation@example.com" in stale.text
    assert_final(suite, run, "PROVISIONED")


def test_escalation_approver_can_reject(suite):
    run = run_case(suite, "escalate-reject")
    assert run.path == [*HEAD, "RequestApproval", "EscalateApproval", "RecordRejection", *FINALLY, "Rejected"]
    assert json.loads(run.cause)["approver"] == ESCALATION
    assert_final(suite, run, "REJECTED")


def test_two_timeouts_reject_the_request_as_expired(suite):
    run = run_case(suite, "expire-twice")
    assert (run.status, run.error) == ("FAILED", "ItProvisioning.ApprovalExpired")
    assert run.path == [*HEAD, "RequestApproval", "EscalateApproval", "CloseExpiredApproval", "RecordApprovalExpired",
                        *FINALLY, "ApprovalExpired"]
    assert "had 24 hours each" in run.cause
    assert audit_events(suite, run) == ["REQUESTED", "APPROVAL_REQUESTED", "APPROVAL_ESCALATED", "EXPIRED"]
    assert suite.stacks() == {}
    # Both links now answer "expired", not "invalid" and never a 500.
    first, second = (suite.links(m) for m in suite.approval_messages())
    assert suite.decide(first["approve"], "approve").status == 410
    late = suite.decide(second["approve"], "approve")
    assert late.status == 410 and "nobody answered in time" in late.text
    assert suite.http("GET", second["review"]).status == 410
    assert_final(suite, run, "EXPIRED")


# -- approval links -------------------------------------------------------------------------------------


def test_forged_reused_and_malformed_answers_are_refused_clearly(suite):
    arn, links = suite.run_until_approval()
    request_id = arn.rsplit(":", 1)[1]
    forged = suite.decide(links["approve"], "approve", code="A" * 43)
    assert forged.status == 403 and "not valid" in forged.text
    assert suite.http("GET", f"/approvals/{request_id}?code=forged").status == 403
    assert suite.http("GET", f"/approvals/req-unknown?code={'B' * 43}").status == 403  # same answer: no oracle
    assert suite.http("GET", f"/approvals/{request_id}").status == 400  # no code at all
    assert suite.decide(links["approve"], "maybe").status == 400
    assert suite.decide(links["approve"], "approve", comment="x" * 501).status == 400
    assert suite.sb.pending_task_tokens(arn)  # still waiting: none of that consumed the code
    assert suite.decide(links["approve"], "approve", "ok").status == 200
    reused = suite.decide(links["reject"], "reject")
    assert reused.status == 409 and "already used" in reused.text and "APPROVED" in reused.text
    as_json = suite.http("POST", links["review"].split("?")[0], {"code": "x", "decision": "approve"},
                         accept="application/json")
    assert (as_json.status, as_json.json()["outcome"]) == (403, "invalid")
    run = suite.sb.wait(arn)
    assert run.succeeded and audit_events(suite, run).count("APPROVED") == 1


# -- the request API -------------------------------------------------------------------------------------


def test_request_api_starts_one_execution_per_request_id(suite):
    created = suite.post_request(body_of("needs-approval"))
    assert created.status == 202
    request_id = created.json()["requestId"]
    assert created.json() == {"requestId": request_id, "product": "sqs-queue", "monthlyCostUsd": 19.6,
                              "approvalRequired": True, "links": {"self": f"/requests/{request_id}"},
                              "status": "RUNNING", "duplicate": False}
    assert re.fullmatch(r"req-[0-9a-f]{24}", request_id)
    again = suite.post_request(body_of("needs-approval"))
    assert (again.status, again.json()["requestId"], again.json()["duplicate"]) == (200, request_id, True)
    assert [r.execution_arn.rsplit(":", 1)[1] for r in suite.sb.executions(SLUG)] == [request_id]
    # Another requester asking for the same thing is another request.
    other = suite.post_request(body_of("needs-approval"), caller="arn:aws:iam::123456789012:user/bob")
    assert other.status == 202 and other.json()["requestId"] != request_id
    # The execution input carries the IAM caller as requester.
    arn = next(r.execution_arn for r in suite.sb.executions(SLUG) if r.execution_arn.endswith(request_id))
    links = suite.links(suite.wait_for_approval(1))
    assert suite.decide(links["approve"], "approve").status == 200
    run = suite.sb.wait(arn)
    assert run.succeeded and run.input["requester"] == {"id": ALICE, "email": "bob@example.com"}
    status = suite.get_request(request_id)
    assert status.status == 200
    assert status.json()["status"] == "SUCCEEDED"
    assert [r["event"] for r in status.json()["audit"]] == ["REQUESTED", "APPROVAL_REQUESTED", "APPROVED",
                                                            "PROVISIONED"]
    assert status.json()["audit"][2]["detail"]["approver"] == APPROVER
    # Someone else's request, or no request at all: 404, the same answer.
    assert suite.get_request(request_id, caller="arn:aws:iam::123456789012:user/mallory").status == 404
    assert suite.get_request("req-000000000000000000000000").status == 404


@pytest.mark.parametrize(("body", "field", "message"), [
    (body_of("unknown-product", parameters={"queueName": "q"}), "product", "unknown product 'rds-database'"),
    ({k: v for k, v in body_of("auto-approve").items() if k != "justification"}, "justification", "Field required"),
    (body_of("oversized-parameters"), "parameters", "too large"),
    (body_of("auto-approve", parameters={"bucketName": "Not_Valid", "expectedStorageGiB": 0}),
     "parameters.bucketName", "String should match pattern"),
    (body_of("auto-approve", parameters={"bucketName": "ok-name", "colour": "red"}), "parameters.colour",
     "Extra inputs are not permitted"),
    ({**body_of("auto-approve"), "requester": {"id": "arn:aws:iam::123456789012:root"}}, "requester",
     "Extra inputs are not permitted"),
    ("{not json", "body", "not valid JSON"),
], ids=["unknown-product", "missing-field", "oversized-parameters", "bad-parameter", "unknown-parameter",
        "requester-in-body", "not-json"])
def test_bad_requests_get_400_with_field_level_errors_and_start_nothing(suite, body, field, message):
    answer = suite.post_request(body)
    assert answer.status == 400
    errors = answer.json()["errors"]
    assert answer.json()["message"] == "Invalid request"
    assert any(e["field"] == field and message in e["message"] for e in errors), errors
    assert suite.sb.executions(SLUG) == []


def test_bad_parameter_errors_name_every_field(suite):
    answer = suite.post_request(body_of("auto-approve", parameters={"bucketName": "Not_Valid",
                                                                    "expectedStorageGiB": 0}))
    assert {e["field"] for e in answer.json()["errors"]} == {"parameters.bucketName",
                                                             "parameters.expectedStorageGiB"}


def test_unknown_product_and_bad_fields_are_reported_in_one_answer(suite):
    """The catalogue check runs even when the model refused a field: one 400 lists every problem."""
    body = {k: v for k, v in body_of("unknown-product").items() if k != "justification"}
    answer = suite.post_request({**body, "requesterEmail": "not-an-email"})
    assert answer.status == 400
    assert {e["field"] for e in answer.json()["errors"]} == {"product", "justification", "requesterEmail"}
    assert suite.sb.executions(SLUG) == []


# -- invalid requests started without the API -------------------------------------------------------------


NOT_AN_OBJECT = "body: Input should be a valid dictionary or instance of ProvisioningRequest"
"""ValidateRequest's message for an input that is valid JSON but not an object."""


@pytest.mark.parametrize(("case", "cause"), [
    ("unknown-product", "product: unknown product 'rds-database'; the catalogue has: s3-bucket, sqs-queue, "
                        "ec2-instance"),
    ("missing-field", "justification: Field required"),
    ("oversized-parameters", "parameters: too large: 4030 bytes of JSON, at most 2048"),
    ("not-an-object", NOT_AN_OBJECT),
])
def test_invalid_execution_input_is_refused_before_anything_is_created(suite, case, cause):
    run = run_case(suite, case)
    assert (run.status, run.error, run.cause) == ("FAILED", "ItProvisioning.InvalidRequest", cause)
    assert run.path == ["ValidateRequest", "ReadValidationErrors", "RecordInvalidRequest", *FINALLY, "InvalidRequest"]
    assert audit_events(suite, run) == ["INVALID_REQUEST"]
    assert suite.stacks() == {}
    assert_final(suite, run, "INVALID_REQUEST")


def test_input_that_is_not_an_object_is_an_invalid_request_not_a_runtime_error(suite):
    """Valid JSON but not an object: the function refuses it like any invalid request, and ValidateRequest's
    Catch must still hand the error on (a ResultPath below $ cannot be added to such an input: States.Runtime)."""
    inputs = [0, -1.5, "x", "", [], [event("auto-approve")], None, True, False]
    for body in inputs:
        run = suite.sb.run(SLUG, json.dumps(body))
        assert (run.status, run.error, run.cause) == ("FAILED", "ItProvisioning.InvalidRequest", NOT_AN_OBJECT), body
        assert run.path == ["ValidateRequest", "ReadValidationErrors", "RecordInvalidRequest", *FINALLY,
                            "InvalidRequest"], body
        assert audit_events(suite, run) == ["INVALID_REQUEST"]
        assert_final(suite, run, "INVALID_REQUEST")
    assert len(suite.requester_notes()) == len(inputs)
    assert suite.stacks() == {}


def test_a_failed_validation_call_on_an_input_that_is_not_an_object_is_a_service_call_failure(suite):
    suite.sb.faults.fail("ValidateRequest", "Lambda.ResourceNotFoundException", "Function not found")
    run = suite.sb.run(SLUG, json.dumps("x"))
    assert (run.status, run.error) == ("FAILED", "ItProvisioning.ServiceCallFailed")
    assert run.cause == "Lambda.ResourceNotFoundException: Function not found"
    assert run.path == ["ValidateRequest", "RecordServiceCallFailure", *FINALLY, "ServiceCallFailed"]
    assert_final(suite, run, "FAILED")


# -- provisioning failures -----------------------------------------------------------------------------


ROLLBACK = ["DeleteStack", "RecordRolledBack", *FINALLY, "ProvisioningFailed"]


def test_failed_create_stack_is_deleted_and_reported(suite):
    run = run_case(suite, "bucket-taken")
    assert (run.status, run.error) == ("FAILED", "ItProvisioning.ProvisioningFailed")
    assert run.path == [*HEAD, "RecordAutoApproval", "CreateStack", "RecordProvisioningFailure", *ROLLBACK]
    # moto runs the template inside CreateStack: the bucket error is CreateStack's own (AWS would report it as
    # CREATE_FAILED later), and moto ignores ClientRequestToken, so the retry meets the half-created stack.
    failures = [e["taskFailedEventDetails"] for e in run.events_of("TaskFailed")]
    assert failures[0]["error"] == "CloudFormation.CloudFormationException"
    assert "bucket name is not available" in failures[0]["cause"]
    assert run.cause.startswith("CloudFormation.AlreadyExistsException: Stack sfn-suite-itp-")
    stack = f"sfn-suite-itp-{request_id_of(run)}"
    assert suite.stacks() == {stack: "DELETE_COMPLETE"}  # moto left it half created; the rollback deleted it
    # someone else's bucket is untouched
    assert bucket_exists(NAME_PREFIX + event("auto-approve")["parameters"]["bucketName"])
    assert audit_events(suite, run) == ["REQUESTED", "AUTO_APPROVED", "ROLLED_BACK"]
    assert_final(suite, run, "ROLLED_BACK")


def test_stack_that_rolled_back_is_deleted(suite):
    run = run_case(suite, "stack-rolled-back")
    assert run.path == [*HEAD, "RecordAutoApproval", "CreateStack", "WaitForStack", "DescribeStack",
                        "CheckStackStatus", "RecordStackFailure", *ROLLBACK]
    assert run.cause.endswith("is ROLLBACK_COMPLETE.")
    assert set(suite.stacks().values()) == {"DELETE_COMPLETE"}
    assert not bucket_exists(NAME_PREFIX + event("auto-approve")["parameters"]["bucketName"])
    assert_final(suite, run, "ROLLED_BACK")


def test_provisioning_fails_sample_rolls_back_the_stack_it_really_created(suite):
    """The sample runs as its MockConfigFile test case (events/it-provisioning/MockConfigFile.json):
    CloudFormation reports ROLLBACK_COMPLETE for the stack moto really created, which is then deleted."""
    sample = EVENTS / "provisioning-fails.json"
    assert samples.sample_test_case(sample, SLUG) == "provisioning-fails"
    run = suite.sb.wait(samples.start(suite.sb, SLUG, sample))
    assert run.path == [*HEAD, "RecordAutoApproval", "CreateStack", "WaitForStack", "DescribeStack",
                        "CheckStackStatus", "RecordStackFailure", *ROLLBACK]
    assert [(i.state, i.attempt) for i in suite.sb.faults.injected] == [("DescribeStack", 0)]
    assert suite.stacks() == {f"sfn-suite-itp-{request_id_of(run)}": "DELETE_COMPLETE"}
    assert audit_events(suite, run) == ["REQUESTED", "AUTO_APPROVED", "ROLLED_BACK"]
    assert_final(suite, run, "ROLLED_BACK")


def test_stack_polling_is_bounded(suite):
    run = run_case(suite, "stack-stuck")
    limit = STATES["CheckStackStatus"]["Choices"][1]["And"][1]["NumericGreaterThanEquals"]
    assert (run.error, limit) == ("ItProvisioning.ProvisioningTimedOut", 40)
    assert run.path.count("DescribeStack") == limit + 1 and run.path.count("CountStackPoll") == limit
    assert run.path[-len(ROLLBACK) - 1:] == ["RecordPollLimit", *ROLLBACK]
    assert "still CREATE_IN_PROGRESS after 40 polls" in run.cause
    waited = (run.history[-1]["timestamp"] - run.history[0]["timestamp"]).total_seconds()
    assert waited >= 41 * STATES["WaitForStack"]["Seconds"]
    assert set(suite.stacks().values()) == {"DELETE_COMPLETE"}


def test_describe_failure_rolls_back(suite):
    run = run_case(suite, "describe-fails")
    assert run.path[-len(ROLLBACK) - 2:] == ["DescribeStack", "RecordProvisioningFailure", *ROLLBACK]
    assert set(suite.stacks().values()) == {"DELETE_COMPLETE"}


def test_failed_rollback_is_its_own_outcome(suite):
    run = run_case(suite, "delete-fails")
    assert (run.status, run.error) == ("FAILED", "ItProvisioning.RollbackFailed")
    assert run.path[-7:] == ["RecordStackFailure", "DeleteStack", "RecordRollbackFailure", *FINALLY, "RollbackFailed"]
    assert "Deleting stack sfn-suite-itp-" in run.cause and "CloudFormation.AccessDeniedException" in run.cause
    assert_final(suite, run, "ROLLBACK_FAILED")


# -- service failures and the finally block -----------------------------------------------------------------


@pytest.mark.parametrize(("case", "state"), [
    ("validate-fails", "ValidateRequest"),
    ("record-request-fails", "RecordRequest"),
    ("record-auto-approval-fails", "RecordAutoApproval"),
    ("request-approval-fails", "RequestApproval"),
    ("escalate-approval-fails", "EscalateApproval"),
    ("record-approval-fails", "RecordApproval"),
])
def test_service_failures_are_audited_notified_and_named(suite, case, state):
    run = run_case(suite, case)
    assert (run.status, run.error) == ("FAILED", "ItProvisioning.ServiceCallFailed")
    assert run.path[-6:] == [state, "RecordServiceCallFailure", *FINALLY, "ServiceCallFailed"]
    assert suite.stacks() == {}
    assert_final(suite, run, "FAILED")


def test_closing_the_expired_approval_is_best_effort(suite):
    run = run_case(suite, "close-expired-fails")
    assert run.error == "ItProvisioning.ApprovalExpired"
    assert run.path[-6:-4] == ["CloseExpiredApproval", "RecordApprovalExpired"]


def test_the_outcome_stands_even_when_audit_and_notification_fail(suite):
    run = run_case(suite, "final-audit-and-notify-fail")
    assert run.succeeded and run.path[-4:] == [*FINALLY, "Provisioned"]
    assert audit_events(suite, run) == ["REQUESTED", "AUTO_APPROVED"]
    assert suite.requester_notes() == []


def test_every_task_retries_transient_errors_with_full_jitter():
    for name, state in STATES.items():
        if state["Type"] == "Task":
            assert state["Retry"], name
            assert all(r["JitterStrategy"] == "FULL" and r["BackoffRate"] >= 2 for r in state["Retry"]), name


def test_a_throttled_audit_write_is_retried(suite):
    suite.sb.faults.fail("RecordRequest", "DynamoDB.ThrottlingException", "slow down", times=2)
    run = suite.sb.run(SLUG, event("auto-approve"))
    assert run.succeeded
    assert sum(1 for e in run.history if e["type"] == "TaskScheduled") > len(
        [n for n in run.path if STATES.get(n, {}).get("Type") == "Task"])


# -- the CLI ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("flags", "code", "expected"), [
    (["--approve", '{"decision": "APPROVED", "approver": "cli@example.com"}'], 0, "Provisioned"),
    (["--approve"], 0, "Provisioned"),
    (["--reject", "ItProvisioning.Rejected"], 1, "Rejected"),
    ([], 1, "ApprovalExpired"),
])
def test_sandbox_run_answers_or_times_out_the_approval(capsys, flags, code, expected):
    argv = ["--template", str(ROOT / "template.yaml"), "run", SLUG, "--event", str(EVENTS / "needs-approval.json"),
            "--output", "json", *flags]
    assert cli.main(argv) == code
    out = json.loads(capsys.readouterr().out)
    assert out["path"][-1] == expected
    if expected == "ApprovalExpired":
        assert "EscalateApproval" in out["path"]


# -- coverage ---------------------------------------------------------------------------------------------


def test_the_cases_cover_every_state_and_every_transition():
    """Replays the cases no other test ran, each in a fresh sandbox (the result does not depend on test order)."""
    graph = parse(DEFINITION)
    for name in CASES:
        if name not in RUNS:
            with fresh() as s:
                run_case(s, name)
    report = coverage(graph, [RUNS[name] for name in CASES])
    assert report.uncovered_states == [], report.summary()
    assert report.uncovered_edges == [], report.summary()
    assert report.unresolved == [] and report.undeclared == [], report.summary()
    assert (report.state_ratio, report.edge_ratio) == (1.0, 1.0)


def test_transitions_per_execution():
    """What Standard bills: one transition per state entered."""
    assert len([*HEAD, "RequestApproval", "RecordApproval", *PROVISION, *FINALLY, "Provisioned"]) == 14
    assert len([*HEAD, "RecordAutoApproval", *PROVISION, *FINALLY, "Provisioned"]) == 13
