"""`sandbox serve`: HTTP requests become API Gateway REST proxy events for the in-process handlers."""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox import serve as serve_module
from sandbox.core import Sandbox
from sandbox.serve import CALLER_HEADER, DEFAULT_CALLER, api_routes, banner, serve

FIXTURE = Path(__file__).parent / "fixture_api" / "template.yaml"

# Keys of `sam local generate-event apigateway aws-proxy` (SAM CLI 1.170.0): the v1 proxy event.
EVENT_KEYS = {"body", "resource", "path", "httpMethod", "isBase64Encoded", "queryStringParameters",
              "multiValueQueryStringParameters", "pathParameters", "stageVariables", "headers", "multiValueHeaders",
              "requestContext"}
CONTEXT_KEYS = {"accountId", "resourceId", "stage", "requestId", "requestTime", "requestTimeEpoch", "identity", "path",
                "resourcePath", "httpMethod", "apiId", "protocol"}
IDENTITY_KEYS = {"cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "accessKey", "sourceIp",
                 "cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn", "userAgent", "user"}


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, Any]]:
    with Sandbox.from_template(FIXTURE) as sb:
        server, thread = serve(sb)
        try:
            yield sb, server
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def call(server: Any, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, list[str]], bytes]:
    request = urllib.request.Request(server.url + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, message, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, message, raw = error.code, error.headers, error.read()
    found: dict[str, list[str]] = {}
    for name, value in message.items():
        found.setdefault(name.lower(), []).append(value)
    return status, found, raw


def echoed(server: Any, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    status, _headers, raw = call(server, method, path, **kwargs)
    assert status in (200, 201), raw
    return json.loads(raw)


def test_routes_come_from_the_api_events_most_specific_first():
    from sandbox.stack import Stack
    from sandbox.template_yaml import load_template

    routes, skipped = api_routes(Stack(load_template(FIXTURE), FIXTURE.parent))
    table = [(r.method, r.stage, r.resource, r.function, r.auth) for r in routes]
    assert table[0][2] in ("/items/latest", "/items", "/picture", "/broken", "/malformed")  # static first
    assert ("GET", "dev", "/items/{itemId}", "EchoFunction", "AWS_IAM") in table
    assert ("POST", "dev", "/items", "EchoFunction", "NONE") in table
    assert ("ANY", "Prod", "/files/{proxy+}", "EchoFunction", "NONE") in table
    assert table.index(("GET", "dev", "/items/latest", "EchoFunction", "AWS_IAM")) < table.index(
        ("GET", "dev", "/items/{itemId}", "EchoFunction", "AWS_IAM"))
    assert table[-1][2] == "/files/{proxy+}"  # greedy last
    assert [(s.function, s.event) for s in skipped] == [("EchoFunction", "Version2")]


def test_a_get_becomes_a_v1_proxy_event_with_the_shape_sam_generates(served):
    _sb, server = served
    event = echoed(server, "GET", "/dev/items/a%20b?color=red&size=1&size=2", headers={"X-Trace": "t1"})
    assert set(event) == EVENT_KEYS
    assert set(event["requestContext"]) >= CONTEXT_KEYS
    assert set(event["requestContext"]["identity"]) == IDENTITY_KEYS
    assert event["resource"] == "/items/{itemId}"
    assert event["path"] == "/items/a b"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"itemId": "a b"}
    assert event["queryStringParameters"] == {"color": "red", "size": "2"}
    assert event["multiValueQueryStringParameters"] == {"color": ["red"], "size": ["1", "2"]}
    assert event["headers"]["X-Trace"] == "t1"
    assert event["multiValueHeaders"]["X-Trace"] == ["t1"]
    assert (event["body"], event["isBase64Encoded"], event["stageVariables"]) == (None, False, None)
    context = event["requestContext"]
    assert (context["stage"], context["path"], context["resourcePath"]) == ("dev", "/dev/items/a b", "/items/{itemId}")
    assert context["apiId"] == "sfn-suite-FixtureApi"
    assert context["accountId"] == "123456789012"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userArn"] == DEFAULT_CALLER  # IAM route: the configured caller, unsigned


def test_the_stage_prefix_is_optional(served):
    _sb, server = served
    assert echoed(server, "GET", "/items/7")["pathParameters"] == {"itemId": "7"}
    assert echoed(server, "GET", "/dev/items/7")["pathParameters"] == {"itemId": "7"}


def test_static_route_wins_over_a_path_parameter(served):
    _sb, server = served
    assert echoed(server, "GET", "/dev/items/latest")["resource"] == "/items/latest"


def test_post_body_status_and_headers_go_both_ways(served):
    _sb, server = served
    status, headers, raw = call(server, "POST", "/dev/items", body=b'{"name": "x"}',
                                headers={"Content-Type": "application/json"})
    assert status == 201
    assert headers["x-echo"] == ["yes"]
    assert headers["set-cookie"] == ["a=1", "b=2"]
    event = json.loads(raw)
    assert event["body"] == '{"name": "x"}'
    assert event["isBase64Encoded"] is False
    assert event["requestContext"]["identity"]["userArn"] is None  # Auth NONE: no identity


def test_caller_header_acts_as_another_iam_caller_and_is_not_forwarded(served):
    _sb, server = served
    arn = "arn:aws:iam::123456789012:user/alice"
    event = echoed(server, "GET", "/dev/items/1", headers={CALLER_HEADER: arn})
    assert event["requestContext"]["identity"]["userArn"] == arn
    assert event["requestContext"]["identity"]["user"] == "alice"
    assert CALLER_HEADER not in event["headers"]


def test_any_method_and_greedy_proxy_on_the_implicit_api(served):
    _sb, server = served
    event = echoed(server, "DELETE", "/Prod/files/a/b/c.txt")
    assert event["pathParameters"] == {"proxy": "a/b/c.txt"}
    assert event["requestContext"]["stage"] == "Prod"
    assert echoed(server, "PUT", "/files/x", body=b"data")["body"] == "data"


def test_binary_bodies_are_base64_in_the_event_and_decoded_in_the_response(served):
    _sb, server = served
    event = echoed(server, "POST", "/Prod/files/upload", body=b"\xff\xfe\x00")
    assert event["isBase64Encoded"] is True
    assert event["body"] == "//4A"
    status, headers, raw = call(server, "GET", "/dev/picture")
    assert (status, headers["content-type"], raw) == (200, ["image/png"], b"\x89PNG\r\n\x1a\n\x00\xff")


@pytest.mark.parametrize(("method", "path"), [("GET", "/dev/nothing"), ("DELETE", "/dev/items/1"), ("GET", "/v2")])
def test_unknown_routes_answer_like_api_gateway(served, method, path):
    _sb, server = served
    status, _headers, raw = call(server, method, path)
    assert (status, json.loads(raw)) == (403, {"message": "Missing Authentication Token"})


@pytest.mark.parametrize("path", ["/dev/broken", "/dev/malformed"])
def test_failing_or_malformed_handlers_are_a_502(served, path):
    _sb, server = served
    status, _headers, raw = call(server, "GET", path)
    assert (status, json.loads(raw)) == (502, {"message": "Internal server error"})


def test_handlers_run_in_process_and_are_counted(served):
    sb, server = served
    before = sb.lambdas.functions["EchoFunction"].invocations
    echoed(server, "GET", "/dev/items/1")
    assert sb.lambdas.functions["EchoFunction"].invocations == before + 1


def test_banner_says_authorisers_are_not_enforced_and_lists_skipped_events(served):
    _sb, server = served
    text = banner(server)
    assert "IAM NOT ENFORCED offline" in text
    assert f"{server.url}/dev/items/{{itemId}}" in text
    assert "skipped EchoFunction.Version2" in text


def test_localize_points_deployed_api_urls_at_the_server(served):
    _sb, server = served
    link = "see https://sfn-suite-FixtureApi.execute-api.us-east-1.amazonaws.com/dev/items/1 now"
    assert server.localize(link) == f"see {server.url}/dev/items/1 now"


def test_cli_parser_and_usage_errors(capsys):
    parser = argparse.ArgumentParser(prog="sandbox")
    parser.add_argument("--template", default="template.yaml")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_module.add_parser(commands)
    args = parser.parse_args(["--template", "missing.yaml", "serve", "--port", "0",
                              "--start", "it-provisioning=events/it-provisioning/needs-approval.json"])
    assert (args.command, args.port, args.host, args.caller) == ("serve", 0, "127.0.0.1", DEFAULT_CALLER)
    assert serve_module.main(args) == 2
    assert "template not found" in capsys.readouterr().err
