"""Task functions of the it-provisioning state machine.

* `validate_handler` (ValidateRequest): checks the execution input against the catalogue (the
  same checks as the request API: an execution started without the API gets them too), prices
  it, decides whether it needs an approver (cost at or above AUTO_APPROVE_BELOW_USD), and returns
  everything the state machine needs to create the stack. Raises `InvalidRequest`.
* `issue_approval_handler` (RequestApproval / EscalateApproval, `.waitForTaskToken`): stores the
  task token against the request with a fresh single-use approval code (only its SHA-256 is
  stored), writes the audit record in the same transaction, and sends the approver the links.
  The raw token never leaves the approvals table. Any failure is `ApprovalNotIssued`.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from itp_common import InvalidRequest, check, code_hash, new_code

logger = Logger()
tracer = Tracer()
metrics = Metrics()

APPROVAL_RECORD_DAYS = 30
"""Approval records (never the audit trail) expire from the table this long after they were issued."""


class ApprovalNotIssued(Exception):
    """The approval could not be stored or sent; the workflow fails instead of waiting for nobody."""


# -- ValidateRequest ------------------------------------------------------------------------------


def stack_name(prefix: str, request_id: str) -> str:
    """CloudFormation stack names: letters, digits, hyphens, starting with a letter, at most 128."""
    return (prefix + re.sub(r"[^A-Za-z0-9-]", "-", request_id))[:128]


def validated(event: dict[str, Any], threshold: float, prefix: str) -> dict[str, Any]:
    checked = check(event.get("request"))
    request_id = str(event.get("requestId") or "")
    product, params = checked.product, checked.params
    cost = checked.monthly_cost
    name = stack_name(prefix, request_id)
    return {
        "requestId": request_id,
        "requester": checked.request.requester.model_dump(),
        "product": product.id,
        "productTitle": product.title,
        "parameters": params.model_dump(mode="json"),
        "justification": checked.request.justification,
        "monthlyCostUsd": cost,
        "approval": {"required": cost >= threshold, "thresholdUsd": threshold},
        "stack": {
            "name": name,
            "clientRequestToken": name,
            "templateBody": product.template_body,
            "parameters": [{"ParameterKey": k, "ParameterValue": v}
                           for k, v in product.stack_parameters(params).items()],
            "tags": [{"Key": "it-provisioning:request-id", "Value": request_id},
                     {"Key": "it-provisioning:product", "Value": product.id}],
            "resourceTypes": product.resource_types,
        },
    }


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)  # the request: e-mail, ARN
@metrics.log_metrics
def validate_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        result = validated(event, float(os.environ["AUTO_APPROVE_BELOW_USD"]), os.environ["STACK_NAME_PREFIX"])
    except InvalidRequest as error:
        metrics.add_metric(name="InvalidRequest", unit=MetricUnit.Count, value=1)
        logger.warning("invalid request", extra={"errors": error.errors})
        raise
    metrics.add_metric(name="RequestAccepted", unit=MetricUnit.Count, value=1)
    logger.info("request accepted", extra={"requestId": result["requestId"], "product": result["product"],
                                           "monthlyCostUsd": result["monthlyCostUsd"]})
    return result


# -- RequestApproval / EscalateApproval --------------------------------------------------------------


def approval_links(base_url: str, request_id: str, code: str) -> dict[str, str]:
    page = f"{base_url.rstrip('/')}/approvals/{quote(request_id, safe='')}"
    return {"review": f"{page}?{urlencode({'code': code})}",
            "approve": f"{page}?{urlencode({'code': code, 'decision': 'approve'})}",
            "reject": f"{page}?{urlencode({'code': code, 'decision': 'reject'})}"}


def _expiry(entered_time: str, timeout_seconds: int) -> str:
    entered = datetime.fromisoformat(entered_time.replace("Z", "+00:00"))
    return (entered + timedelta(seconds=timeout_seconds)).isoformat().replace("+00:00", "Z")


def approval_message(request: dict[str, Any], approver: str, level: int, links: dict[str, str],
                     expires_at: str, previous_approver: str | None) -> tuple[str, str]:
    requester = request["requester"]
    cost = f"USD {request['monthlyCostUsd']:.2f}/month"
    subject = f"Approval needed: {request['productTitle']} for {requester['email']} ({cost})"
    lines = [f"Hello {approver},", ""]
    if previous_approver:
        lines += [f"{previous_approver} did not answer within the time allowed: this request is escalated to you.", ""]
    lines += [
        f"{requester['email']} ({requester['id']}) requests: {request['productTitle']}",
        f"Estimated cost: {cost}",
        f"Parameters: {json.dumps(request['parameters'], sort_keys=True)}",
        f"Justification: {request['justification']}",
        "",
        f"Review the request: {links['review']}",
        f"Approve: {links['approve']}",
        f"Reject: {links['reject']}",
        "",
        "Each link opens a page: nothing is decided until you press Approve or Reject there.",
        f"The links work once and expire at {expires_at}. Request ID: {request['requestId']}.",
    ]
    return subject[:100], "\n".join(lines)


def issue(event: dict[str, Any], env: dict[str, str], code: str | None = None) -> dict[str, Any]:
    request = event["request"]
    request_id = request["requestId"]
    level = int(event["level"])
    approver = env["APPROVER_EMAIL"] if level == 1 else env["ESCALATION_APPROVER_EMAIL"]
    code = code or new_code()
    expires_at = _expiry(event["enteredTime"], int(event["timeoutSeconds"]))
    dynamodb = boto3.resource("dynamodb")
    approvals = dynamodb.Table(env["APPROVALS_TABLE"])
    previous = approvals.get_item(Key={"requestId": request_id}, ConsistentRead=True).get("Item") if level > 1 else None
    superseded = list((previous or {}).get("supersededCodeHashes", [])) + ([previous["codeHash"]] if previous else [])
    issued = datetime.fromisoformat(event["enteredTime"].replace("Z", "+00:00"))
    item = {
        "requestId": request_id, "level": level, "approver": approver, "codeHash": code_hash(code),
        "taskToken": event["taskToken"], "status": "PENDING", "issuedAt": event["enteredTime"],
        "expiresAt": expires_at, "supersededCodeHashes": superseded,
        "summary": {k: request[k] for k in ("requester", "product", "productTitle", "justification")}
        | {"parameters": json.dumps(request["parameters"], sort_keys=True),
           "monthlyCostUsd": f"{request['monthlyCostUsd']:.2f}"},
        "expiresEpoch": int((issued + timedelta(days=APPROVAL_RECORD_DAYS)).timestamp()),
    }
    audit = {"requestId": request_id, "at": f"{event['enteredTime']}#{20 if level == 1 else 30}-{event['stateName']}",
             "event": "APPROVAL_REQUESTED" if level == 1 else "APPROVAL_ESCALATED", "actor": "workflow",
             "approver": approver, "level": level, "expiresAt": expires_at}
    client = dynamodb.meta.client
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": env["APPROVALS_TABLE"], "Item": item}},
        {"Put": {"TableName": env["AUDIT_TABLE"], "Item": audit}},
    ])
    links = approval_links(env["APPROVAL_BASE_URL"], request_id, code)
    subject, message = approval_message(request, approver, level, links, expires_at,
                                        previous["approver"] if previous else None)
    boto3.client("sns").publish(
        TopicArn=env["APPROVAL_TOPIC_ARN"], Subject=subject, Message=message,
        MessageAttributes={"approver": {"DataType": "String", "StringValue": approver},
                           "level": {"DataType": "Number", "StringValue": str(level)},
                           "requestId": {"DataType": "String", "StringValue": request_id}})
    return {"approver": approver, "level": level, "expiresAt": expires_at}


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)  # the approver's e-mail
@metrics.log_metrics
def issue_approval_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        issued = issue(event, dict(os.environ))
    except Exception as error:
        logger.exception("approval not issued")
        metrics.add_metric(name="ApprovalNotIssued", unit=MetricUnit.Count, value=1)
        raise ApprovalNotIssued(f"{type(error).__name__}: {error}") from error
    metrics.add_metric(name="ApprovalIssued", unit=MetricUnit.Count, value=1)
    logger.info("approval issued", extra=issued)
    return issued
