"""One request through an API Gateway AWS integration, as API Gateway handles it.

1. Body over 10 MB (the HTTP layer leaves it unread: `Request.too_large`) -> REQUEST_TOO_LARGE (413).
2. Content type (default `application/json`) without a request template while
   `passthroughBehavior` is `never` -> UNSUPPORTED_MEDIA_TYPE (415).
3. Request validator: required parameters -> BAD_REQUEST_PARAMETERS (400); the body against the
   content type's model -> BAD_REQUEST_BODY (400, `$context.error.validationErrorString`).
   Nothing is called when validation fails.
4. The request template renders the action's request (JSON), sent with the integration's
   credentials to the sandbox's moto backends through boto3 (e.g. states:StartSyncExecution).
5. Integration response: the first `selectionPattern` matching the service's HTTP status code,
   else `default`; its template renders the method response; `$context.responseOverride.status`
   and `.header.*` override the status and headers.

Gateway responses come from the API's `x-amazon-apigateway-gateway-responses` (the type, else
DEFAULT_4XX / DEFAULT_5XX), else API Gateway's defaults (`{"message": $context.error.messageString}`).
A template that cannot render is API_CONFIGURATION_ERROR (500 Internal server error), as on AWS.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError, ParamValidationError

from sandbox.apigateway import validation, vtl
from sandbox.apigateway.openapi import IntegrationRoute

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
DEFAULT_CONTENT_TYPE = "application/json"
DEFAULT_GATEWAY_TEMPLATE = '{"message":$context.error.messageString}'
BOTO3_SERVICES = {"states": "stepfunctions", "sqs": "sqs", "sns": "sns", "dynamodb": "dynamodb",
                  "events": "events", "s3": "s3", "lambda": "lambda", "kinesis": "kinesis"}
GATEWAY_DEFAULTS = {
    "BAD_REQUEST_BODY": (400, "Invalid request body"),
    "BAD_REQUEST_PARAMETERS": (400, "Missing required request parameters"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "Unsupported Media Type"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long"),
    "API_CONFIGURATION_ERROR": (500, "Internal server error"),
    "INTEGRATION_FAILURE": (504, "Internal server error"),
}

HttpAnswer = tuple[int, list[tuple[str, str]], bytes]


@dataclass
class Request:
    method: str
    path: str
    """Without the stage prefix."""
    path_params: dict[str, str]
    query: dict[str, str]
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    too_large: bool = False
    """The body was over MAX_PAYLOAD_BYTES and left unread (`body` is empty)."""


def handle(route: IntegrationRoute, request: Request, *, api_id: str, account_id: str, region: str,
           now: float, client_for: Any) -> HttpAnswer:
    """Answer `request` on `route`; `client_for(service)` gives the boto3 client of a service."""
    headers = dict(request.headers)
    context = _context(route, request, api_id=api_id, account_id=account_id, now=now)
    if request.too_large:
        return gateway_response(route, "REQUEST_TOO_LARGE", context)
    integration = route.integration
    content_type = _content_type(headers)
    templates = integration.get("requestTemplates") or {}
    behaviour = str(integration.get("passthroughBehavior", "when_no_match")).lower()
    if content_type not in templates and (behaviour == "never" or (behaviour == "when_no_templates" and templates)):
        return gateway_response(route, "UNSUPPORTED_MEDIA_TYPE", context)
    body = request.body.decode("utf-8", errors="replace")
    params = {"path": request.path_params, "querystring": request.query, "header": headers}
    checks = route.validator
    if checks.get("validateRequestParameters"):
        missing = validation.missing_parameters(route.required_parameters, headers, request.query,
                                                request.path_params)
        if missing:
            return gateway_response(route, "BAD_REQUEST_PARAMETERS", context,
                                    message=f"Missing required request parameters: [{', '.join(missing)}]")
    schema = route.body_schema(content_type)
    if checks.get("validateRequestBody") and schema is not None:
        problems = validation.body_errors(body, schema, route.document)
        if problems:
            context["error"]["validationErrorString"] = validation.validation_error_string(problems)
            return gateway_response(route, "BAD_REQUEST_BODY", context)
    try:
        template = templates.get(content_type)
        action_request = body if template is None else vtl.render(template, body=body, params=params,
                                                                  context=context)
    except vtl.VtlError:
        return gateway_response(route, "API_CONFIGURATION_ERROR", context)
    status, service_body = call_action(route, action_request, client_for)
    context["integration"] = {"status": status}
    return integration_response(route, status, service_body, params, context)


def call_action(route: IntegrationRoute, request_text: str, client_for: Any) -> tuple[int, str]:
    """Call the route's AWS action with the rendered request; (HTTP status, JSON body) as the service answers."""
    service, action = route.action
    try:
        parameters = json.loads(request_text) if request_text.strip() else {}
    except (json.JSONDecodeError, RecursionError) as error:
        return 400, json.dumps({"__type": "SerializationException", "message": str(error)})
    client = client_for(BOTO3_SERVICES.get(service, service))
    try:
        answer = getattr(client, xform_name(action))(**parameters)
    except ParamValidationError as error:
        return 400, json.dumps({"__type": "ValidationException", "message": str(error)})
    except ClientError as error:
        code = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
        return code, json.dumps({"__type": error.response["Error"]["Code"],
                                 "message": error.response["Error"].get("Message", "")})
    answer.pop("ResponseMetadata", None)
    return 200, json.dumps(answer, default=_json_protocol_value)


def integration_response(route: IntegrationRoute, status: int, service_body: str,
                         params: dict[str, Any], context: dict[str, Any]) -> HttpAnswer:
    responses = route.integration.get("responses") or {}
    chosen = responses.get("default", {"statusCode": "200"})
    for pattern, response in responses.items():
        if pattern != "default" and re.fullmatch(pattern, str(status)):
            chosen = response
            break
    templates = chosen.get("responseTemplates") or {}
    template = templates.get(DEFAULT_CONTENT_TYPE, next(iter(templates.values()), None))
    try:
        text = service_body if template is None else vtl.render(template, body=service_body, params=params,
                                                                context=context)
    except vtl.VtlError:
        return gateway_response(route, "API_CONFIGURATION_ERROR", context)
    override = context.get("responseOverride", {})
    final = int(override.get("status") or chosen.get("statusCode", 200))
    headers = [("Content-Type", DEFAULT_CONTENT_TYPE)]
    headers += [(name, str(value)) for name, value in (override.get("header") or {}).items()]
    return final, headers, wire_bytes(text)


def gateway_response(route: IntegrationRoute, kind: str, context: dict[str, Any], *,
                     message: str | None = None) -> HttpAnswer:
    """API Gateway's own answer of `kind` (BAD_REQUEST_BODY, ...), customised by the API's gateway responses."""
    default_status, default_message = GATEWAY_DEFAULTS[kind]
    text = message or default_message
    context["error"].update({"message": text, "messageString": json.dumps(text), "responseType": kind})
    configured = route.gateway_responses
    family = "DEFAULT_4XX" if default_status < 500 else "DEFAULT_5XX"
    spec = {**configured.get(family, {}), **configured.get(kind, {})}
    status = int(spec.get("statusCode", default_status))
    templates = spec.get("responseTemplates") or {}
    template = templates.get(DEFAULT_CONTENT_TYPE, DEFAULT_GATEWAY_TEMPLATE)
    body = vtl.render(template, body="", params={}, context=context)
    headers = [("Content-Type", DEFAULT_CONTENT_TYPE), ("x-amzn-ErrorType", kind)]
    headers += [(name.split(".")[-1], str(value).strip("'"))
                for name, value in (spec.get("responseParameters") or {}).items()
                if name.startswith("gatewayresponse.header.")]
    return status, headers, wire_bytes(body)


def wire_bytes(text: str) -> bytes:
    """A response body as API Gateway (Java) sends it: UTF-8, an unpaired surrogate (a "\\ud800" escape the
    client sent, decoded on the way) becoming "?" instead of failing the request."""
    return text.encode("utf-8", errors="replace")


def _content_type(headers: dict[str, str]) -> str:
    value = next((v for k, v in headers.items() if k.lower() == "content-type"), "") or DEFAULT_CONTENT_TYPE
    return value.split(";")[0].strip().lower()


def _context(route: IntegrationRoute, request: Request, *, api_id: str, account_id: str,
             now: float) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    user_agent = next((v for k, v in request.headers if k.lower() == "user-agent"), None)
    host = next((v for k, v in request.headers if k.lower() == "host"), "127.0.0.1")
    return {
        "requestId": request_id,
        "extendedRequestId": request_id,
        "apiId": api_id,
        "accountId": account_id,
        "stage": route.stage,
        "httpMethod": request.method,
        "resourcePath": route.resource,
        "path": f"/{route.stage}{request.path}",
        "protocol": "HTTP/1.1",
        "domainName": host,
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "requestTimeEpoch": int(now * 1000),
        "identity": {"sourceIp": request.source_ip, "userAgent": user_agent},
        "error": {"message": "", "messageString": '""', "responseType": "", "validationErrorString": ""},
        "responseOverride": {"header": {}},
    }


def _json_protocol_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()  # AWS JSON protocol: epoch seconds
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
