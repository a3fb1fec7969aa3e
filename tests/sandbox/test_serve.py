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

from sandbox import serve_command
from sandbox.core import Sandbox
from sandbox.serve import CALLER_HEADER, DEFAULT_CALLER, api_routes, banner
from tests.sandbox.serving import serving

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
    with serving(FIXTURE) as served_sandbox:
        yield served_sandbox


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
    serve_command.add_parser(commands)
    args = parser.parse_args(["--template", "missing.yaml", "serve", "--port", "0",
                              "--start", "it-provisioning=events/it-provisioning/needs-approval.json"])
    assert (args.command, args.port, args.host, args.caller) == ("serve", 0, "127.0.0.1", DEFAULT_CALLER)
    assert serve_command.main(args) == 2
    assert "template not found" in capsys.readouterr().err


# -- AWS integrations from an OpenAPI DefinitionBody: POST /applications -> StartSyncExecution --------

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "template.yaml"
APPLICATIONS = ROOT / "events" / "account-application"


def application(name: str = "approved") -> dict[str, Any]:
    return json.loads((APPLICATIONS / f"{name}.json").read_text())["application"]


@pytest.fixture
def suite_served() -> Iterator[tuple[Sandbox, Any]]:
    with serving(SUITE) as (sb, server):
        sb.seed(APPLICATIONS / "objects.json")
        yield sb, server


def apply(server: Any, body: Any, key: str | None = None, content_type: str = "application/json",
          path: str = "/v1/applications") -> tuple[int, dict[str, list[str]], Any]:
    headers = {"Content-Type": content_type}
    if key is not None:
        headers["Idempotency-Key"] = key
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    status, found, answer = call(server, "POST", path, body=raw, headers=headers)
    return status, found, json.loads(answer)


def written(sb: Sandbox) -> tuple[int, int, int]:
    """(executions, table items, events published) so far."""
    from sandbox.session import shared_client

    table = sb.stack.resources["AccountTable"].name
    items = shared_client(sb.region, "dynamodb").scan(TableName=table)["Count"]
    return len(sb.executions("account-application")), items, len(sb.published("SuiteEventBus"))


def test_approved_application_is_a_201_with_the_account_id(suite_served):
    sb, server = suite_served
    status, headers, body = apply(server, application(), key="http-approved-1")
    assert status == 201
    assert headers["content-type"] == ["application/json"]
    assert body == {"outcome": "APPROVED", "applicationId": "http-approved-1", "accountId": body["accountId"],
                    "interestsPublished": 3}
    (run,) = sb.executions("account-application")
    assert run.output == body and run.path[-1] == "Respond"
    assert run.input == {"application": application(), "idempotencyKey": "http-approved-1"}
    assert len(sb.published("SuiteEventBus", "AccountInterestRegistered")) == 3


def test_a_retry_with_the_same_idempotency_key_gets_the_same_answer_and_changes_nothing(suite_served):
    sb, server = suite_served
    first = apply(server, application(), key="http-retry-1")
    before = written(sb)
    second = apply(server, application(), key="http-retry-1")
    assert (first[0], first[2]) == (second[0], second[2]) == (201, first[2])
    executions, items, events = written(sb)
    assert (items, events) == before[1:] and executions == before[0] + 1
    assert sb.executions("account-application")[-1].path[-1] == "ReplayStoredResult"


def test_rejected_application_is_a_422_with_every_reason(suite_served):
    _sb, server = suite_served
    body = {**application("rejected-everything"), "name": "J4ne"}  # "" would not pass the validator
    status, _headers, answer = apply(server, body, key="http-rejected-1")
    assert status == 422
    assert answer["outcome"] == "REJECTED"
    assert sorted(r["code"] for r in answer["reasons"]) == [
        "DATE_IN_FUTURE", "DUPLICATE_EMAIL", "NAME_INVALID", "POSTCODE_INVALID", "PO_BOX_NOT_ACCEPTED"]


def test_a_key_still_in_progress_is_a_409(suite_served):
    sb, server = suite_served
    from sandbox.session import shared_client

    shared_client(sb.region, "dynamodb").put_item(
        TableName=sb.stack.resources["AccountTable"].name,
        Item={"pk": {"S": "APPLICATION#http-busy"}, "status": {"S": "IN_PROGRESS"}})
    status, _headers, body = apply(server, application(), key="http-busy")
    assert status == 409 and "still being processed" in body["message"]


def _with(**changes: Any) -> dict[str, Any]:
    return {**application(), **changes}


BAD_BODIES = {
    "missing field": ({k: v for k, v in application().items() if k != "email"},
                      'object has missing required properties (["email"])'),
    "missing nested field": (_with(address={"line1": "1 High St", "city": "Leeds", "country": "GB"}),
                             'object has missing required properties (["postcode"])'),
    "wrong type": (_with(dateOfBirth=19900412),
                   'instance type (integer) does not match any allowed primitive type (allowed: ["string"])'),
    "extra field": (_with(password="hunter2"),
                    'object instance has properties which are not allowed by the schema: ["password"]'),
    "oversized field": (_with(name="x" * 101), "is too long (length: 101, maximum allowed: 100)"),
    "too many interests": (_with(interests=[f"i{n}" for n in range(1001)]),
                           "array is too long: must have at most 1000 elements but instance has 1001 elements"),
    "malformed json": (b'{"name": "Jane", ', "Invalid JSON in request body"),
    "not an object": (b'["Jane"]', 'instance type (array) does not match any allowed primitive type'),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_bad_bodies_are_a_400_from_the_validator_and_start_nothing(suite_served, case):
    sb, server = suite_served
    before = written(sb)
    body, expected = BAD_BODIES[case]
    status, headers, answer = apply(server, body, key=f"bad-{case}")
    assert status == 400
    assert headers["x-amzn-errortype"] == ["BAD_REQUEST_BODY"]
    assert answer["message"] == "Invalid request body"
    assert expected in answer["errors"] and answer["errors"].startswith("[")
    assert written(sb) == before


def test_a_body_over_10_mb_is_a_413_and_an_unsupported_media_type_a_415(suite_served):
    sb, server = suite_served
    before = written(sb)
    huge = json.dumps(_with(name="x" * (10 * 1024 * 1024))).encode()
    assert apply(server, huge)[0] == 413
    status, _headers, answer = apply(server, application(), content_type="text/plain")
    assert (status, answer["message"]) == (415, "Unsupported Media Type")
    assert written(sb) == before


def test_an_unknown_route_of_the_integration_api_is_403(suite_served):
    _sb, server = suite_served
    status, _headers, raw = call(server, "GET", "/v1/applications")
    assert (status, json.loads(raw)["message"]) == (403, "Missing Authentication Token")


def test_banner_lists_the_aws_integration(suite_served):
    _sb, server = suite_served
    assert f"POST    {server.url}/v1/applications  -> states:StartSyncExecution" in banner(server)


# -- the pieces: VTL, validation, StartSyncExecution -----------------------------------------------


def test_escape_javascript_is_commons_lang_2():
    from sandbox.apigateway.vtl import escape_javascript

    assert escape_javascript('O\'Brien "x" a/b\\ é\n\t') == 'O\\\'Brien \\"x\\" a\\/b\\\\ \\u00E9\\n\\t'
    assert escape_javascript("😀") == "\\uD83D\\uDE00"
    assert escape_javascript(None) == ""


def test_vtl_input_util_and_response_override():
    from sandbox.apigateway.vtl import render

    context: dict[str, Any] = {"requestId": "r-1"}
    template = ("#set($o = $util.parseJson($input.path('$.output')))"
                "#set($context.responseOverride.status = 422)"
                "$input.params('idempotency-key')|$input.json('$.list[0]')|$o.a|$util.base64Encode('hi')|"
                "$util.urlEncode('a b&c')|$context.requestId|$input.path('$.missing')")
    out = render(template, body=json.dumps({"output": '{"a": 1}', "list": [{"x": 1}]}),
                 params={"header": {"Idempotency-Key": "k"}}, context=context)
    assert out == 'k|{"x":1}|1|aGk=|a+b%26c|r-1|'  # a missing path renders as nothing
    assert context["responseOverride"]["status"] == 422


def test_start_sync_execution_answers_as_aws_does(suite_served):
    sb, _server = suite_served
    from sandbox.session import shared_client

    sfn = shared_client(sb.region, "stepfunctions")
    arn = sb.workflow("account-application").arn
    ok = sfn.start_sync_execution(stateMachineArn=arn, name="sync-1",
                                  input=json.dumps({"idempotencyKey": "sync-1", "application": application()}))
    assert ok["status"] == "SUCCEEDED" and json.loads(ok["output"])["outcome"] == "APPROVED"
    assert ok["name"] == "sync-1" and ok["stateMachineArn"] == arn
    assert ok["billingDetails"]["billedMemoryUsedInMB"] == 64
    assert ok["billingDetails"]["billedDurationInMilliseconds"] % 100 == 0
    assert "error" not in ok and ok["outputDetails"] == {"included": True}
    failed = sfn.start_sync_execution(stateMachineArn=arn, input=json.dumps({"application": "x"}))
    assert (failed["status"], failed["error"]) == ("FAILED", "AccountApplication.InvalidInput")
    assert "output" not in failed and failed["cause"]
    with pytest.raises(Exception) as standard:
        sfn.start_sync_execution(stateMachineArn=sb.workflow("glacier-restore").arn, input="{}")
    assert standard.value.response["Error"]["Code"] == "StateMachineTypeNotSupported"
    with pytest.raises(Exception) as too_large:
        sfn.start_sync_execution(stateMachineArn=arn, input=json.dumps({"x": "y" * 262_144}))
    assert too_large.value.response["Error"]["Code"] == "ValidationException"


def test_billed_duration_rounds_up_to_100_ms():
    from datetime import datetime, timedelta

    from sandbox.moto_fixes.sync_execution import billed_duration_ms

    start = datetime(2025, 1, 1)
    assert [billed_duration_ms(start, start + timedelta(milliseconds=ms)) for ms in (0, 1, 100, 101)] == [
        100, 100, 100, 200]


@pytest.mark.parametrize(("schema", "instance", "expected"), [
    ({"minLength": 2}, "a", 'string "a" is too short (length: 1, required minimum: 2)'),
    ({"maxLength": 1}, "ab", 'string "ab" is too long (length: 2, maximum allowed: 1)'),
    ({"pattern": "^[A-Z]{2}$"}, "gb", 'ECMA 262 regex "^[A-Z]{2}$" does not match input string "gb"'),
    ({"minItems": 2}, [1], "array is too short: must have at least 2 elements but instance has 1 elements"),
    ({"maxItems": 1}, [1, 2], "array is too long: must have at most 1 elements but instance has 2 elements"),
    ({"uniqueItems": True}, [1, 1], "array must not contain duplicate elements"),
    ({"enum": ["b", "a"]}, "c", 'instance value ("c") not found in enum (possible values: ["a","b"])'),
    ({"minimum": 1}, 0, "numeric instance is lower than the required minimum (minimum: 1, found: 0)"),
    ({"maximum": 1}, 2, "numeric instance is greater than the required maximum (maximum: 1, found: 2)"),
    ({"type": "string"}, 1, 'instance type (integer) does not match any allowed primitive type (allowed: ["string"])'),
    ({"properties": {}, "additionalProperties": False}, {"x": 1},
     'object instance has properties which are not allowed by the schema: ["x"]'),
])
def test_each_schema_keyword_is_worded_as_api_gateway_words_it(schema: dict, instance: object, expected: str) -> None:
    from jsonschema import Draft4Validator

    from sandbox.apigateway.validation import message

    (error,) = Draft4Validator(schema).iter_errors(instance)
    assert message(error) == expected
