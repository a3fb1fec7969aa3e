"""Routes of the template's REST APIs defined by an OpenAPI `DefinitionBody` with AWS integrations.

`integration_routes(stack)` reads every `AWS::Serverless::Api` (and `AWS::ApiGateway::RestApi` with
a `Body`) after the sandbox's own `Ref`/`Sub`/`GetAtt` resolution, and returns one route per
operation whose `x-amazon-apigateway-integration` has `type: aws` (case-insensitive). Other
integration types in a DefinitionBody are listed as skipped (Lambda proxy routes are served from
the functions' `Api` events instead).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
DEFAULT_STAGE = "Prod"


def compile_path(resource: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """/items/{id} and /files/{proxy+} as a regex with named groups."""
    names: list[str] = []
    regex = ""
    for part in re.split(r"(\{[^}]+\})", resource):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1].rstrip("+")
            names.append(name)
            regex += f"(?P<{name}>.+)" if part.endswith("+}") else f"(?P<{name}>[^/]+)"
        else:
            regex += re.escape(part)
    return re.compile(regex), tuple(names)


@dataclass(frozen=True)
class IntegrationRoute:
    """One OpenAPI operation with an AWS service integration."""

    api: str
    """Logical ID of the API."""
    stage: str
    method: str
    """Upper case; ANY (x-amazon-apigateway-any-method) matches every method."""
    resource: str
    operation: dict[str, Any] = field(compare=False, repr=False)
    document: dict[str, Any] = field(compare=False, repr=False)
    """The whole resolved OpenAPI document: models (`$ref`), validators, gateway responses."""
    pattern: re.Pattern[str] = field(compare=False, repr=False, default=re.compile(""))
    params: tuple[str, ...] = ()

    @property
    def integration(self) -> dict[str, Any]:
        return self.operation["x-amazon-apigateway-integration"]

    @property
    def action(self) -> tuple[str, str]:
        """(service, action) of an `arn:...:apigateway:<region>:<service>:action/<Action>` URI."""
        found = re.fullmatch(r"arn:[^:]+:apigateway:[^:]*:([^:]+):action/([A-Za-z0-9]+)", self.integration["uri"])
        if not found:
            raise ValueError(f"{self.api} {self.method} {self.resource}: only action/ URIs are served, "
                             f"not {self.integration['uri']}")
        return found.group(1), found.group(2)

    @property
    def validator(self) -> dict[str, bool]:
        name = self.operation.get("x-amazon-apigateway-request-validator",
                                  self.document.get("x-amazon-apigateway-request-validator"))
        validators = self.document.get("x-amazon-apigateway-request-validators", {})
        return validators.get(name, {}) if name else {}

    @property
    def required_parameters(self) -> dict[str, list[str]]:
        where = {"header": "header", "query": "querystring", "path": "path"}
        required: dict[str, list[str]] = {}
        for parameter in self.operation.get("parameters", []):
            if parameter.get("required") and parameter.get("in") in where:
                required.setdefault(where[parameter["in"]], []).append(parameter["name"])
        return required

    def body_schema(self, content_type: str) -> dict[str, Any] | None:
        """The model of the request body for a content type (OpenAPI 3 requestBody, or Swagger 2 body parameter)."""
        content = self.operation.get("requestBody", {}).get("content", {})
        if content:
            media = content.get(content_type) or content.get("$default")
            return media.get("schema") if media else None
        for parameter in self.operation.get("parameters", []):
            if parameter.get("in") == "body":
                return parameter.get("schema")
        return None

    @property
    def gateway_responses(self) -> dict[str, Any]:
        return self.document.get("x-amazon-apigateway-gateway-responses", {})

    @property
    def specificity(self) -> tuple[bool, int]:
        return ("+}" in self.resource, len(self.params))

    def match(self, method: str, path: str) -> dict[str, str] | None:
        return match_route(self.method, self.pattern, method, path)


def match_route(route_method: str, pattern: re.Pattern[str], method: str, path: str) -> dict[str, str] | None:
    """The path parameters when a route (`ANY` or one method, a path pattern) takes this request."""
    if route_method not in ("ANY", method):
        return None
    found = pattern.fullmatch(path)
    if found is None:
        return None
    return {name: unquote(value) for name, value in found.groupdict().items()}


def integration_routes(stack: Any) -> tuple[list[IntegrationRoute], list[str]]:
    """AWS-integration routes of the stack's OpenAPI definitions, most specific first; what was skipped."""
    routes: list[IntegrationRoute] = []
    skipped: list[str] = []
    for api in stack.of_type("AWS::Serverless::Api", "AWS::ApiGateway::RestApi"):
        raw = api.properties.get("DefinitionBody") or api.properties.get("Body")
        if not isinstance(raw, dict):
            continue
        document = stack.resolve(raw)
        stage = str(stack.resolve(api.properties.get("StageName", DEFAULT_STAGE)))
        for resource, operations in (document.get("paths") or {}).items():
            for key, operation in operations.items():
                method = "ANY" if key == "x-amazon-apigateway-any-method" else key.upper()
                if key.lower() not in METHODS and method != "ANY":
                    continue
                integration = operation.get("x-amazon-apigateway-integration") or {}
                if str(integration.get("type", "")).lower() != "aws":
                    skipped.append(f"{api.logical_id} {method} {resource}: integration type "
                                   f"{integration.get('type', 'none')!r} is not served from the DefinitionBody")
                    continue
                pattern, params = compile_path(resource)
                routes.append(IntegrationRoute(api.logical_id, stage, method, resource, operation, document,
                                               pattern, params))
    return sorted(routes, key=lambda r: r.specificity), skipped
