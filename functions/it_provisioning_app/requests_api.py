"""Request API of the it-provisioning workflow (API Gateway REST API, IAM authorisation).

    POST /requests        validate against the catalogue (400 with field-level errors), start the
                          Standard execution named after the request ID (202); the same request
                          again starts nothing and answers 200 with the existing one
    GET  /requests/{id}   status, outcome and audit trail of one of the caller's requests

The requester's identity is the IAM caller API Gateway authenticated
(`requestContext.identity.userArn`), never a field of the body. A body that is not JSON (another
content type, bytes that are not UTF-8, nesting no parser follows) is a 4xx, never a 5xx.

Traces record neither responses nor errors: both hold the requester's ARN and e-mail address.
"""

from __future__ import annotations

import binascii
import json
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError
from itp_common import (
    REQUEST_ID,
    InvalidRequest,
    ProvisioningRequest,
    RequestBody,
    audit_trail,
    check_product,
    request_id,
    with_catalogue_errors,
)
from pydantic import ValidationError

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver()

MAX_BODY_BYTES = 16 * 1024
JSON_CONTENT_TYPE = "application/json"


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(status_code=status, content_type="application/json", body=json.dumps(body),
                    headers={"Cache-Control": "no-store"})


def _invalid(errors: list[dict[str, str]]) -> Response:
    metrics.add_metric(name="InvalidRequest", unit=MetricUnit.Count, value=1)
    return _json(400, {"message": "Invalid request", "errors": errors})


def _body_document() -> Any | Response:
    """The JSON document of the body, or the 4xx answer saying why there is none."""
    content_type = (app.current_event.headers.get("content-type") or JSON_CONTENT_TYPE).split(";")[0].strip().lower()
    if content_type != JSON_CONTENT_TYPE and not content_type.endswith("+json"):
        return _json(415, {"message": f"Unsupported Media Type: send the request as {JSON_CONTENT_TYPE}"})
    try:
        raw = app.current_event.decoded_body or ""
    except (UnicodeDecodeError, binascii.Error):
        return _invalid([{"field": "body", "message": "not valid JSON: the bytes are not UTF-8"}])
    if len(raw.encode(errors="surrogatepass")) > MAX_BODY_BYTES:
        return _invalid([{"field": "body", "message": f"too large: at most {MAX_BODY_BYTES} bytes"}])
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        return _invalid([{"field": "body", "message": f"not valid JSON: {error.msg}"}])
    except RecursionError:
        return _invalid([{"field": "body", "message": "not valid JSON: nested too deeply"}])


def _caller() -> str | None:
    return app.current_event.request_context.identity.user_arn


def _execution_arn(request: str) -> str:
    machine = os.environ["STATE_MACHINE_ARN"]
    prefix, name = machine.rsplit(":stateMachine:", 1)
    return f"{prefix}:execution:{name}:{request}"


@app.post("/requests")
@tracer.capture_method(capture_response=False, capture_error=False)
def create_request() -> Response:
    caller = _caller()
    if not caller:
        return _json(401, {"message": "No IAM caller identity: sign the request with SigV4"})
    document = _body_document()
    if isinstance(document, Response):
        return document
    try:
        body = RequestBody.model_validate(document)
    except ValidationError as error:
        return _invalid(with_catalogue_errors(error, document))
    request = ProvisioningRequest(requester={"id": caller, "email": body.requesterEmail}, product=body.product,
                                  parameters=body.parameters, justification=body.justification)
    try:
        checked = check_product(request)
    except InvalidRequest as error:
        return _invalid(error.errors)
    rid = request_id(request)
    threshold = float(os.environ["AUTO_APPROVE_BELOW_USD"])
    summary = {"requestId": rid, "product": checked.product.id, "monthlyCostUsd": checked.monthly_cost,
               "approvalRequired": checked.monthly_cost >= threshold, "links": {"self": f"/requests/{rid}"}}
    sfn = boto3.client("stepfunctions")
    try:
        existing = sfn.describe_execution(executionArn=_execution_arn(rid))
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionDoesNotExist":
            raise
        existing = None
    if existing is None:
        try:
            sfn.start_execution(stateMachineArn=os.environ["STATE_MACHINE_ARN"], name=rid,
                                input=json.dumps(request.model_dump(mode="json")))
        except ClientError as error:
            if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise
            existing = sfn.describe_execution(executionArn=_execution_arn(rid))
        else:
            metrics.add_metric(name="RequestStarted", unit=MetricUnit.Count, value=1)
            logger.info("request started", extra={"requestId": rid})
            return _json(202, {**summary, "status": "RUNNING", "duplicate": False})
    logger.info("duplicate request", extra={"requestId": rid})
    return _json(200, {**summary, "status": existing["status"], "duplicate": True})


@app.get("/requests/<rid>")
@tracer.capture_method(capture_response=False, capture_error=False)
def get_request(rid: str) -> Response:
    if not REQUEST_ID.match(rid):
        return _no_such_request()  # not even a request ID: not repeated back
    not_found = _json(404, {"message": f"No request {rid} of yours"})
    try:
        execution = boto3.client("stepfunctions").describe_execution(executionArn=_execution_arn(rid))
    except ClientError as error:
        if error.response["Error"]["Code"] in ("ExecutionDoesNotExist", "InvalidArn"):
            return not_found
        raise
    request = json.loads(execution.get("input") or "{}")
    if request.get("requester", {}).get("id") != _caller():
        return not_found  # someone else's request: do not even confirm it exists
    table = boto3.resource("dynamodb").Table(os.environ["AUDIT_TABLE"])
    body: dict[str, Any] = {"requestId": rid, "status": execution["status"], "product": request.get("product"),
                            "parameters": request.get("parameters"), "audit": audit_trail(table, rid)}
    if execution.get("output"):
        body["output"] = json.loads(execution["output"])
    if execution.get("error"):
        body["error"] = {"error": execution["error"], "cause": execution.get("cause")}
    return _json(200, body)


def _no_such_request() -> Response:
    return _json(404, {"message": "No such request"})


@app.not_found
def not_found(error: Exception) -> Response:
    # A path the routes' patterns refuse (/requests/%00): not found, rather than the catch-all's 503 below.
    return _no_such_request()


@app.exception_handler(Exception)
def unexpected(error: Exception) -> Response:
    logger.exception("unexpected error")
    return _json(503, {"message": "The request service is unavailable; try again later"})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
