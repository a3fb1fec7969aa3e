"""Routes of REST APIs written as plain CloudFormation: `AWS::ApiGateway::RestApi`, `Resource`, `Method`.

Each `AWS::ApiGateway::Resource` adds a `PathPart` under its `ParentId` (another Resource, or the
API's `RootResourceId`); each `AWS::ApiGateway::Method` on it is one route:

- `Integration.Type: AWS_PROXY` to a Lambda function of the template (`.../functions/<arn>/invocations`):
  a `LambdaMethod`, served like SAM's `Api` events (the REST proxy event, payload 1.0).
- `Integration.Type: AWS` to a service action (`arn:aws:apigateway:<region>:states:action/StartExecution`):
  an `IntegrationRoute`, the same shape an OpenAPI `x-amazon-apigateway-integration` gives, so request
  templates, passthrough behaviour, integration responses, the method's request validator and model
  (`AWS::ApiGateway::RequestValidator`, `AWS::ApiGateway::Model`) and the API's
  `AWS::ApiGateway::GatewayResponse`s behave the same.

Other integration types (HTTP, MOCK, ...) are listed as skipped. The stage is the API's
`AWS::ApiGateway::Stage` (or `Deployment`) `StageName`, else `Prod`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sandbox.apigateway.openapi import DEFAULT_STAGE, IntegrationRoute, compile_path

_LAMBDA_URI = re.compile(r"arn:[^:]+:apigateway:[^:]*:lambda:path/[^/]+/functions/(?P<function>.+)/invocations")


@dataclass(frozen=True)
class LambdaMethod:
    """An AWS_PROXY method to one of the template's functions."""

    method_id: str
    """Logical ID of the AWS::ApiGateway::Method."""
    api: str
    stage: str
    method: str
    resource: str
    function: str
    """Logical ID of the function."""
    auth: str


def method_routes(stack: Any) -> tuple[list[LambdaMethod], list[IntegrationRoute], list[str]]:
    """The Lambda proxy methods, the AWS-integration routes, and what was skipped (one reason each)."""
    paths = _paths(stack)
    stages = _stages(stack)
    functions = _functions(stack)
    documents: dict[str, dict[str, Any]] = {}
    proxies: list[LambdaMethod] = []
    integrations: list[IntegrationRoute] = []
    skipped: list[str] = []
    for method in stack.of_type("AWS::ApiGateway::Method"):
        props = stack.resolve(method.properties)
        api = _api_of(stack, props.get("RestApiId"))
        path = paths.get(str(props.get("ResourceId")))
        verb = str(props.get("HttpMethod", "ANY")).upper()
        integration = props.get("Integration") or {}
        kind = str(integration.get("Type", "")).upper()
        where = f"{method.logical_id} {verb} {path or '?'}"
        if api is None or path is None:
            skipped.append(f"{where}: its RestApiId/ResourceId is not an API or resource of the template")
            continue
        stage = stages.get(api, DEFAULT_STAGE)
        if kind == "AWS_PROXY":
            found = _LAMBDA_URI.fullmatch(str(integration.get("Uri", "")))
            function = functions.get(_unqualified(found.group("function"))) if found else None
            if function is None:
                skipped.append(f"{where}: AWS_PROXY to {integration.get('Uri')}, not a function of the template")
                continue
            auth = _auth(props)
            proxies.append(LambdaMethod(method.logical_id, api, stage, verb, path, function, auth))
        elif kind == "AWS":
            document = documents.setdefault(api, _document(stack, api))
            operation = _operation(stack, props, integration)
            pattern, params = compile_path(path)
            integrations.append(IntegrationRoute(api, stage, verb, path, operation, document, pattern, params))
        else:
            skipped.append(f"{where}: integration type {kind or 'none'!r} is not served")
    return proxies, integrations, skipped


def _paths(stack: Any) -> dict[str, str]:
    """Resolved resource id (a Resource's Ref, an API's RootResourceId) -> its path."""
    paths = {str(stack.get_att(api.logical_id, "RootResourceId")): "/"
             for api in stack.of_type("AWS::ApiGateway::RestApi")}
    pending = {r.ref: stack.resolve(r.properties) for r in stack.of_type("AWS::ApiGateway::Resource")}
    while pending:
        ready = {ref: props for ref, props in pending.items() if str(props.get("ParentId")) in paths}
        if not ready:
            break  # parents outside the template: those resources are not served
        for ref, props in ready.items():
            parent = paths[str(props["ParentId"])]
            paths[ref] = f"{parent.rstrip('/')}/{props.get('PathPart', '')}"
            del pending[ref]
    return paths


def _stages(stack: Any) -> dict[str, str]:
    stages: dict[str, str] = {}
    for resource in stack.of_type("AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage"):
        props = stack.resolve(resource.properties)
        api = _api_of(stack, props.get("RestApiId"))
        if api and props.get("StageName"):
            stages.setdefault(api, str(props["StageName"]))
    return stages


def _functions(stack: Any) -> dict[str, str]:
    """Function ARN or name -> logical ID."""
    found = {}
    for function in stack.of_type("AWS::Serverless::Function", "AWS::Lambda::Function"):
        found[function.name] = function.logical_id
        found[function.attributes.get("Arn", function.name)] = function.logical_id
    return found


def _unqualified(function: str) -> str:
    """arn:aws:lambda:r:a:function:name:alias -> arn:aws:lambda:r:a:function:name."""
    parts = function.split(":")
    return ":".join(parts[:7]) if function.startswith("arn:") else function


def _api_of(stack: Any, ref: Any) -> str | None:
    return next((api.logical_id for api in stack.of_type("AWS::ApiGateway::RestApi") if api.ref == str(ref)), None)


def _auth(props: dict[str, Any]) -> str:
    kind = str(props.get("AuthorizationType", "NONE")).upper()
    return kind if kind in ("NONE", "AWS_IAM") else str(props.get("AuthorizerId") or kind)


def _operation(stack: Any, props: dict[str, Any], integration: dict[str, Any]) -> dict[str, Any]:
    """The Method as the OpenAPI operation `sandbox.apigateway.integration` reads."""
    responses: dict[str, Any] = {}
    for response in integration.get("IntegrationResponses") or []:
        responses[response.get("SelectionPattern") or "default"] = {
            "statusCode": str(response.get("StatusCode", "200")),
            "responseTemplates": response.get("ResponseTemplates") or {},
        }
    translated = {"type": "aws", "uri": integration.get("Uri", ""),
                  "httpMethod": integration.get("IntegrationHttpMethod"),
                  "requestTemplates": integration.get("RequestTemplates") or {},
                  "passthroughBehavior": integration.get("PassthroughBehavior", "WHEN_NO_MATCH"),
                  "responses": responses or {"default": {"statusCode": "200"}}}
    operation: dict[str, Any] = {"x-amazon-apigateway-integration": translated}
    where = {"querystring": "query", "header": "header", "path": "path"}
    operation["parameters"] = [
        {"name": name.split(".", 3)[3], "in": where[name.split(".")[2]], "required": bool(required)}
        for name, required in (props.get("RequestParameters") or {}).items()
        if name.count(".") >= 3 and name.split(".")[2] in where]
    validator = props.get("RequestValidatorId")
    if validator:
        operation["x-amazon-apigateway-request-validator"] = str(validator)
    models = _models(stack)
    content = {content_type: {"schema": models[str(model)]}
               for content_type, model in (props.get("RequestModels") or {}).items() if str(model) in models}
    if content:
        operation["requestBody"] = {"content": content}
    return operation


def _models(stack: Any) -> dict[str, Any]:
    """Model name (what a method's RequestModels names) -> its JSON schema."""
    models = {}
    for model in stack.of_type("AWS::ApiGateway::Model"):
        props = stack.resolve(model.properties)
        schema = props.get("Schema") or {}
        models[str(props.get("Name") or model.ref)] = schema
        models[model.ref] = schema
    return models


def _document(stack: Any, api: str) -> dict[str, Any]:
    """The API-wide parts an OpenAPI document would hold: request validators and gateway responses."""
    validators = {}
    for validator in stack.of_type("AWS::ApiGateway::RequestValidator"):
        props = stack.resolve(validator.properties)
        if _api_of(stack, props.get("RestApiId")) == api:
            validators[validator.ref] = {"validateRequestBody": bool(props.get("ValidateRequestBody")),
                                         "validateRequestParameters": bool(props.get("ValidateRequestParameters"))}
    gateway_responses = {}
    for response in stack.of_type("AWS::ApiGateway::GatewayResponse"):
        props = stack.resolve(response.properties)
        if _api_of(stack, props.get("RestApiId")) == api and props.get("ResponseType"):
            spec: dict[str, Any] = {"responseTemplates": props.get("ResponseTemplates") or {},
                                    "responseParameters": props.get("ResponseParameters") or {}}
            if props.get("StatusCode"):
                spec["statusCode"] = str(props["StatusCode"])
            gateway_responses[str(props["ResponseType"])] = spec
    return {"x-amazon-apigateway-request-validators": validators,
            "x-amazon-apigateway-gateway-responses": gateway_responses}
