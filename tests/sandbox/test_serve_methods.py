"""`sandbox serve` serves REST APIs written as AWS::ApiGateway::RestApi / Resource / Method resources."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.apigateway.resources import method_routes
from sandbox.core import Sandbox
from sandbox.serve import banner
from tests.sandbox.serving import serving

FIXTURE = Path(__file__).parent / "fixture_api_methods" / "template.yaml"


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, Any]]:
    with serving(FIXTURE) as served_sandbox:
        yield served_sandbox


def _request(server: Any, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_paths_come_from_the_resource_tree_and_the_stage_from_the_stage_resource():
    with Sandbox.from_template(FIXTURE) as sb:
        proxies, integrations, skipped = method_routes(sb.stack)
    assert [(p.method, p.resource, p.function, p.stage, p.auth) for p in proxies] == [
        ("GET", "/orders/{orderId}", "OrderFunction", "v1", "NONE")]
    assert [(r.method, r.resource, r.action, r.stage) for r in integrations] == [
        ("POST", "/orders", ("states", "StartExecution"), "v1")]
    assert skipped == ["OrdersPreflight OPTIONS /orders: integration type 'MOCK' is not served"]


def test_an_aws_proxy_method_gets_the_rest_proxy_event(served):
    _sb, server = served
    status, body = _request(server, "GET", "/v1/orders/o-42")
    assert (status, body) == (200, {"orderId": "o-42", "resource": "/orders/{orderId}", "stage": "v1"})


def test_an_aws_integration_starts_the_state_machine_through_its_templates(served):
    sb, server = served
    status, body = _request(server, "POST", "/v1/orders", {"item": "book"})
    assert status == 202  # the integration response without a SelectionPattern is the default
    run = sb.wait(body["executionArn"])
    assert (run.status, run.input) == ("SUCCEEDED", {"item": "book"})


def test_the_methods_validator_model_and_gateway_response_apply(served):
    sb, server = served
    status, body = _request(server, "POST", "/v1/orders", {"quantity": 1})
    assert status == 422
    assert body == {"problem": "[object has missing required properties ([\"item\"])]"}
    assert sb.executions() == []


def test_banner_lists_the_methods_and_what_is_skipped(served):
    _sb, server = served
    text = banner(server)
    assert f"GET     {server.url}/v1/orders/{{orderId}}  -> OrderFunction" in text
    assert f"POST    {server.url}/v1/orders  -> states:StartExecution" in text
    assert "skipped OrdersPreflight OPTIONS /orders: integration type 'MOCK' is not served" in text
