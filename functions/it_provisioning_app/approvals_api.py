"""Approval API of the it-provisioning workflow: the page behind the links approvers receive.

    GET  /approvals/{id}?code=...   the request's details and Approve / Reject buttons
    POST /approvals/{id}            form fields code, decision (approve|reject), comment (optional)

No API Gateway authoriser: the single-use approval code in the link is the credential. The
approvals table keeps only its SHA-256, next to the task token, which never leaves the table.
Answers: 200 decided, 400 malformed form, 403 not a valid link (unknown request or wrong code:
the same answer for both), 409 already used, 410 expired or superseded by an escalation. Never
a 500: an unexpected failure is a 503 and the code stays usable.

Traces record neither responses nor errors: the page holds the unused code (in its form) and the
requester's e-mail address and ARN; whoever reads traces must not be able to approve.
"""

from __future__ import annotations

import binascii
import html
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError
from itp_common import REQUEST_ID, code_hash, plain, same_hash

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver()

MAX_COMMENT = 500
DECISIONS = {"approve": "APPROVED", "reject": "REJECTED"}
REJECTED_ERROR = "ItProvisioning.Rejected"
DEAD_TOKEN_ERRORS = ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist")
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    # The code is in the URL: never send it to another site in a Referer header.
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@dataclass
class Answer:
    status: int
    outcome: str
    message: str
    item: dict[str, Any] | None = None


def _table() -> Any:
    return boto3.resource("dynamodb").Table(os.environ["APPROVALS_TABLE"])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _invalid_link() -> Answer:
    """Unknown request or wrong code: the same answer for both."""
    return Answer(403, "invalid", "This approval link is not valid. Use the link from your latest e-mail.")


def check_link(request_id: str, code: str | None) -> Answer:
    """Is this link (request ID + code) the open approval of a request? 200 with the item if so."""
    if not code:
        return Answer(400, "incomplete", "This link is incomplete: it has no approval code.")
    invalid = _invalid_link()
    if not REQUEST_ID.match(request_id) or len(code) > 128:
        return invalid
    item = _table().get_item(Key={"requestId": request_id}, ConsistentRead=True).get("Item")
    if item is None:
        return invalid
    item = plain(item)
    hashed = code_hash(code)
    if any(same_hash(hashed, old) for old in item.get("supersededCodeHashes", [])):
        return Answer(410, "superseded", "This link has expired: nobody answered in time and the request was "
                      f"escalated to {item['approver']}.", item)
    if not same_hash(hashed, item["codeHash"]):
        return invalid
    if item["status"] == "EXPIRED":
        return Answer(410, "expired", "This link has expired: nobody answered in time, the request was rejected.",
                      item)
    if item["status"] != "PENDING":
        who = f" by {item['approver']}" if item.get("approver") else ""
        return Answer(409, "used", f"This link was already used: the request was {item['status']}{who} "
                      f"at {item.get('decidedAt', '?')}.", item)
    return Answer(200, "pending", "Waiting for your decision.", item)


def decide(request_id: str, code: str | None, decision: str | None, comment: str, source: dict[str, str]) -> Answer:
    """Validate the code, use it up (conditional write), and answer the waiting task."""
    if decision not in DECISIONS:
        return Answer(400, "malformed", "Choose Approve or Reject.")
    if len(comment) > MAX_COMMENT:
        return Answer(400, "malformed", f"The comment is too long ({len(comment)} characters, at most {MAX_COMMENT}).")
    answer = check_link(request_id, code)
    if answer.status != 200:
        return answer
    # bandit B101: type narrowing; check_link returned 200
    assert code is not None and answer.item is not None  # nosec B101
    status, decided_at = DECISIONS[decision], _now()
    try:
        old = _table().update_item(
            Key={"requestId": request_id},
            UpdateExpression="SET #s = :decision, decidedAt = :at, #c = :comment REMOVE taskToken",
            ConditionExpression="#s = :pending AND codeHash = :hash",
            ExpressionAttributeNames={"#s": "status", "#c": "comment"},
            ExpressionAttributeValues={":decision": status, ":at": decided_at, ":comment": comment,
                                       ":pending": "PENDING", ":hash": code_hash(code)},
            ReturnValues="ALL_OLD")["Attributes"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return check_link(request_id, code)  # answered a moment ago, or superseded: say which
        raise
    answer_detail = {"decision": status, "approver": old["approver"], "level": int(old["level"]),
                     "comment": comment, "decidedAt": decided_at, **source}
    sfn = boto3.client("stepfunctions")
    try:
        if status == "APPROVED":
            sfn.send_task_success(taskToken=old["taskToken"], output=json.dumps(answer_detail))
        else:
            sfn.send_task_failure(taskToken=old["taskToken"], error=REJECTED_ERROR,
                                  cause=json.dumps(answer_detail)[:32768])
    except ClientError as error:
        code_name = error.response["Error"]["Code"]
        if code_name in DEAD_TOKEN_ERRORS:
            _table().update_item(Key={"requestId": request_id}, UpdateExpression="SET #s = :expired",
                                 ExpressionAttributeNames={"#s": "status"},
                                 ExpressionAttributeValues={":expired": "EXPIRED"})
            metrics.add_metric(name="ApprovalExpired", unit=MetricUnit.Count, value=1)
            return Answer(410, "expired", "This link has expired: the workflow no longer waits for an answer.")
        # Transient: give the code back so that the approver can try again.
        _table().update_item(Key={"requestId": request_id},
                             UpdateExpression="SET #s = :pending, taskToken = :token REMOVE decidedAt",
                             ExpressionAttributeNames={"#s": "status"},
                             ExpressionAttributeValues={":pending": "PENDING", ":token": old["taskToken"]})
        raise
    metrics.add_metric(name="Approved" if status == "APPROVED" else "Rejected", unit=MetricUnit.Count, value=1)
    logger.info("approval answered", extra={"requestId": request_id, "decision": status, "level": int(old["level"])})
    verb = "approved: the resources are being provisioned" if status == "APPROVED" else "rejected"
    return Answer(200, status.lower(), f"Request {request_id} {verb}. Thank you.", plain(old))


# -- rendering -----------------------------------------------------------------------------------


def _wants_json() -> bool:
    return "application/json" in (app.current_event.headers.get("accept") or "")


def _page(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="referrer" content="no-referrer"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; margin: 1rem 0; }}
th, td {{ text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }}
th {{ width: 11rem; color: #555; font-weight: 600; }}
textarea {{ width: 100%; min-height: 5rem; box-sizing: border-box; }}
button {{ font-size: 1rem; padding: .6rem 1.4rem; margin: .8rem .6rem 0 0; border: 0; border-radius: 4px;
         cursor: pointer; }}
#approve {{ background: #146c43; color: #fff; }} #reject {{ background: #b02a37; color: #fff; }}
.preferred {{ outline: 3px solid #f0ad4e; }}
.notice {{ padding: .8rem 1rem; border-radius: 4px; background: #e2e3e5; }}
.ok {{ background: #d1e7dd; }} .bad {{ background: #f8d7da; }}
</style></head><body>
{body}
</body></html>"""


def _details(item: dict[str, Any]) -> str:
    summary = item.get("summary", {})
    requester = summary.get("requester", {})
    rows = [
        ("Request", item["requestId"]),
        ("Requester", f"{requester.get('email', '?')} ({requester.get('id', '?')})"),
        ("Product", summary.get("productTitle", summary.get("product", "?"))),
        ("Parameters", summary.get("parameters", "")),
        ("Estimated cost", f"USD {summary.get('monthlyCostUsd', '?')} per month"),
        ("Justification", summary.get("justification", "")),
        ("Approver", f"{item['approver']}" + (" (escalated)" if int(item.get("level", 1)) > 1 else "")),
        ("Link expires", item.get("expiresAt", "?")),
    ]
    return "<table>" + "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                               for k, v in rows) + "</table>"


def _render(answer: Answer, *, form_code: str | None = None, preferred: str | None = None) -> Response:
    if _wants_json():
        body = json.dumps({"outcome": answer.outcome, "message": answer.message})
        return Response(status_code=answer.status, content_type="application/json", body=body,
                        headers=SECURITY_HEADERS)
    if answer.status == 200 and answer.outcome == "pending" and answer.item is not None:
        def button(value: str, label: str) -> str:
            extra = ' class="preferred" autofocus' if preferred == value else ""
            return f'<button type="submit" name="decision" value="{value}" id="{value}"{extra}>{label}</button>'

        content = (
            f"<h1>IT provisioning request</h1>{_details(answer.item)}"
            '<form method="post">'
            f'<input type="hidden" name="code" value="{html.escape(form_code or "")}">'
            f'<label for="comment">Comment (optional, at most {MAX_COMMENT} characters)</label>'
            f'<textarea id="comment" name="comment" maxlength="{MAX_COMMENT}"></textarea>'
            f'{button("approve", "Approve")}{button("reject", "Reject")}</form>'
            "<p><small>This link works once. Your decision, your comment and where it came from are recorded in the "
            "request's audit trail.</small></p>")
        title = "Approve IT provisioning request"
    else:
        tone = "ok" if answer.status == 200 else "bad"
        content = (f"<h1>IT provisioning request</h1>"
                   f'<p id="result" class="notice {tone}" data-outcome="{html.escape(answer.outcome)}">'
                   f"{html.escape(answer.message)}</p>")
        title = "IT provisioning request"
    return Response(status_code=answer.status, content_type="text/html; charset=utf-8", body=_page(title, content),
                    headers=SECURITY_HEADERS)


def _form() -> dict[str, str]:
    event = app.current_event
    try:
        raw = event.decoded_body or ""
    except (UnicodeDecodeError, binascii.Error):
        return {}  # not text: no fields, answered as a malformed form
    content_type = (event.headers.get("content-type") or "").lower()
    if content_type.startswith("application/json"):
        try:
            document = json.loads(raw or "{}")
        except (json.JSONDecodeError, RecursionError):
            return {}
        return {k: v for k, v in document.items() if isinstance(v, str)} if isinstance(document, dict) else {}
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}


@app.get("/approvals/<rid>")
@tracer.capture_method(capture_response=False, capture_error=False)
def show(rid: str) -> Response:
    query = app.current_event.query_string_parameters or {}
    answer = check_link(rid, query.get("code"))
    if answer.status != 200:
        metrics.add_metric(name=f"ApprovalLink{answer.outcome.title()}", unit=MetricUnit.Count, value=1)
    return _render(answer, form_code=query.get("code"), preferred=query.get("decision"))


@app.post("/approvals/<rid>")
@tracer.capture_method(capture_response=False, capture_error=False)
def answer(rid: str) -> Response:
    form = _form()
    query = app.current_event.query_string_parameters or {}
    identity = app.current_event.request_context.identity
    source = {"sourceIp": identity.source_ip or "", "userAgent": (identity.user_agent or "")[:256]}
    result = decide(rid, form.get("code") or query.get("code"), form.get("decision"), form.get("comment", ""), source)
    if result.status != 200:
        metrics.add_metric(name=f"ApprovalLink{result.outcome.title()}", unit=MetricUnit.Count, value=1)
        logger.warning("approval refused", extra={"requestId": rid, "outcome": result.outcome})
    return _render(result)


@app.not_found
def not_found(error: Exception) -> Response:
    # A request ID the route's pattern refuses (/approvals/%00) is an unknown request: the invalid-link answer,
    # rather than the catch-all's 503 below.
    return _render(_invalid_link())


@app.exception_handler(Exception)
def unexpected(error: Exception) -> Response:
    logger.exception("unexpected error")
    return _render(Answer(503, "unavailable", "The approval service is unavailable right now; your link still "
                          "works, try again in a minute."))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
