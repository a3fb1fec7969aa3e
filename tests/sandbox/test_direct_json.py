"""JSON-protocol calls reach moto's response class without the HTTP-shaped request (`sandbox.direct_json`).

moto's stubber and the direct route must give the same answer to the same serialized request: status,
headers and body, apart from what differs on every call (request id, date, and the CRC32 of a body that
holds a request id).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import ClientError
from moto.core.models import botocore_stubber

from sandbox import direct_json
from sandbox.core import Sandbox
from sandbox.moto_fixes.api import cached_boto_client_for
from sandbox.session import shared_client
from tests.conftest import TEMPLATE

TABLE = "direct-json-table"
QUEUE = "direct-json-queue"
VOLATILE_HEADERS = frozenset({"x-amzn-requestid", "date", "x-amz-crc32", "content-length"})


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The hosts of the requests moto's stubber answered."""
    hosts: list[str] = []
    original = botocore_stubber.process_request

    def process_request(request: Any) -> Any:
        hosts.append(request.url.split("/")[2].split(".")[0])
        return original(request)

    monkeypatch.setattr(botocore_stubber, "process_request", process_request)
    yield hosts


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox.from_template(TEMPLATE, direct_calls=True) as sb:
        shared_client(sb.region, "dynamodb").create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        shared_client(sb.region, "sqs").create_queue(QueueName=QUEUE)
        yield sb


def test_json_protocol_calls_skip_the_stubber_and_xml_calls_keep_it(sandbox: Sandbox, stubbed: list[str]) -> None:
    dynamodb = cached_boto_client_for(sandbox.region, "dynamodb")
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "a"}})
    shared_client(sandbox.region, "sqs").get_queue_url(QueueName=QUEUE)
    shared_client(sandbox.region, "s3").list_buckets()
    assert stubbed == ["s3"]


def test_without_the_direct_path_json_calls_go_through_the_stubber(stubbed: list[str]) -> None:
    with Sandbox.from_template(TEMPLATE, direct_calls=False) as sb:
        shared_client(sb.region, "dynamodb").list_tables()
    assert "dynamodb" in stubbed


@pytest.fixture
def both_routes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, Any]]]:
    """Each read-only request answered by the direct route and, again, by moto's stubber."""
    pairs: list[tuple[Any, Any]] = []
    original = direct_json.answer

    def answer(method: str, url: str, headers: Any, body: Any, api_params: Any = None) -> Any:
        direct = original(method, url, headers, body, api_params)
        stubbed = botocore_stubber.process_request(AWSPreparedRequest(method, url, headers, body, False))
        pairs.append((_comparable(direct), _comparable(stubbed)))
        return direct

    monkeypatch.setattr(direct_json, "answer", answer)
    yield pairs


def _comparable(answer: Any) -> Any:
    status, headers, body = answer
    text = body.decode() if isinstance(body, bytes) else body
    return (int(status), {k.lower(): v for k, v in dict(headers).items() if k.lower() not in VOLATILE_HEADERS},
            json.loads(text) if text else text)


def test_moto_answers_the_same_request_the_same_way_on_both_routes(sandbox: Sandbox,
                                                                   both_routes: list[tuple[Any, Any]]) -> None:
    dynamodb = cached_boto_client_for(sandbox.region, "dynamodb")
    sqs = shared_client(sandbox.region, "sqs")
    calls = [
        lambda: dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "missing"}}),
        lambda: dynamodb.scan(TableName=TABLE, ReturnConsumedCapacity="TOTAL"),
        lambda: dynamodb.get_item(TableName="no-such-table", Key={"pk": {"S": "a"}}),
        lambda: dynamodb.query(TableName=TABLE, KeyConditionExpression="pk = :a"),
        lambda: sqs.get_queue_url(QueueName=QUEUE),
        lambda: sqs.get_queue_url(QueueName="no-such-queue"),
    ]
    for call in calls:
        with contextlib.suppress(ClientError):  # the answers are compared below, errors included
            call()
    assert len(both_routes) == len(calls)
    for direct, stubbed in both_routes:
        assert direct == stubbed
    statuses = [direct[0] for direct, _ in both_routes]
    assert statuses == [200, 200, 400, 400, 200, 400]


def test_a_request_moto_does_not_route_plainly_is_left_to_the_stubber(sandbox: Sandbox) -> None:
    s3_url = "https://s3.us-east-1.amazonaws.com/"
    assert direct_json.answer("POST", s3_url, {"Content-Type": "application/x-amz-json-1.0"}, b"{}") is None
    assert direct_json.answer("POST", "http://127.0.0.1:9/", {}, b"{}") is None
    compressed = {"Content-Type": "application/x-amz-json-1.0", "Content-Encoding": "gzip",
                  "X-Amz-Target": "DynamoDB_20120810.ListTables"}
    assert direct_json.answer("POST", "https://dynamodb.us-east-1.amazonaws.com/", compressed, b"{}") is None


def _details(event: dict[str, Any]) -> tuple[str, str]:
    """A history event's type and details, with what differs from run to run masked (ids, names, dates)."""
    details = json.dumps({k: v for k, v in event.items() if k.endswith("EventDetails")}, sort_keys=True)
    details = re.sub(r"Request ID: [^;)]+", "Request ID: <id>", details)
    details = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", details)
    return event["type"], re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", "<date>", details)


def _restore_twice(direct: bool) -> list[Any]:
    """Two restore requests for the same keys (the second finds them tracked): what each child did."""
    from pathlib import Path

    from sandbox.moto_fixes.distributed_map import child_executions

    events = Path(TEMPLATE).parent / "events" / "glacier-restore"
    request = {**json.loads((events / "keys.json").read_text()),
               "keys": ["archive/2019/report-a.pdf", "archive/2019/readme.txt", "archive/missing.bin"]}
    seen = []
    with Sandbox.from_template(TEMPLATE, direct_calls=direct) as sb:
        sb.seed(events / "objects.json")
        for _ in range(2):
            run = sb.run("glacier-restore", request)
            children = [(c.index, c.status, c.path, [_details(e) for e in c.history], c.output)
                        for c in child_executions(run.execution_arn)]
            seen.append((run.status, run.path, {k: (run.output or {}).get(k) for k in ("started", "skipped", "failed")},
                         children))
    return seen


def test_a_restore_request_takes_the_same_paths_either_way() -> None:
    """Tracked, already requested (ConditionalCheckFailed), not archived, missing (NoSuchKey): same children."""
    direct, botocore_path = _restore_twice(True), _restore_twice(False)
    assert direct == botocore_path
    first, second = direct
    assert first[2] == {"started": 1, "skipped": 1, "failed": 1}
    assert any("Keys.AlreadyRequested" in path for _, _, path, _, _ in second[3])
    assert "DynamoDB.ConditionalCheckFailedException" in json.dumps(second[3])


def test_kept_parameters_are_what_moto_parses_from_the_body(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shortcut's premise: for each operation whose callers' parameters are kept, moto's JSON parser reads the
    serialized body back into exactly those parameters (binary attributes, numbers, nested lists and maps included)."""
    from tests.sandbox.test_direct_calls import CALLS, _run_calls

    checked: list[tuple[str, bool]] = []
    original = direct_json.answer

    def answer(method: str, url: str, headers: Any, body: Any, api_params: Any = None) -> Any:
        if api_params is not None:
            action = headers["X-Amz-Target"].split(".")[-1]
            parser = direct_json._parser("dynamodb", action, dict)
            parsed = parser.parse({"method": "POST", "values": {}, "headers": headers, "body": body,
                                   "url_path": "/", "url_params": {}})
            checked.append((action, parsed == api_params))
        return original(method, url, headers, body, api_params)

    monkeypatch.setattr(direct_json, "answer", answer)
    kept = {operation for _, operation in direct_json.PARAMS_KEPT}
    steps = [step for step in CALLS if step[1] == "dynamodb"]
    _run_calls(True, steps)
    assert {action for action, _ in checked} == kept
    assert all(same for _, same in checked), checked


def test_the_date_header_follows_moto_s_clock_to_the_second(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime

    from werkzeug.http import http_date

    moments = iter([datetime(2026, 12, 5, 14, 46, 38, 100), datetime(2026, 12, 5, 14, 46, 38, 900_000),
                    datetime(2026, 12, 5, 14, 46, 39, 5), datetime(2027, 1, 1)])
    monkeypatch.setattr(direct_json, "utcnow", lambda: next(moments))
    dates = [direct_json._http_date_now() for _ in range(4)]
    assert dates == [http_date(datetime(2026, 12, 5, 14, 46, 38))] * 2 + [
        http_date(datetime(2026, 12, 5, 14, 46, 39)), http_date(datetime(2027, 1, 1))]


@pytest.mark.parametrize("params", [
    {"TableName": "t", "Item": {"l": {"L": ({"S": "x"},)}}},
    {"TableName": "t", "Item": {"b": {"B": bytearray(b"\x00")}}},
    {"TableName": "t", "Item": {"n": {"N": "1"}}, 1: "not a member name"},
], ids=["tuple", "bytearray", "non-text key"])
def test_parameters_moto_would_read_back_otherwise_are_not_kept(params: dict[str, Any]) -> None:
    assert direct_json.plain_copy(params) is None


def test_plain_parameters_are_copied_deeply() -> None:
    params = {"TableName": "t", "Item": {"l": {"L": [{"S": "x"}, {"NULL": True}]}, "b": {"B": b"\x00"},
                                         "n": {"N": "1.5"}}, "Limit": 3}
    copied = direct_json.plain_copy(params)
    assert copied == params
    assert copied is not None and copied["Item"]["l"]["L"] is not params["Item"]["l"]["L"]


def test_a_tuple_in_the_parameters_reaches_moto_as_the_list_it_parses(sandbox: Sandbox) -> None:
    dynamodb = cached_boto_client_for(sandbox.region, "dynamodb")
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "t"}, "l": {"L": ({"S": "x"}, {"N": "2"})}})
    item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "t"}})["Item"]
    assert item["l"] == {"L": [{"S": "x"}, {"N": "2"}]}


SCOPE = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261205/ap-south-1/dynamodb/aws4_request, SignedHeaders=host"


@pytest.mark.parametrize(("url", "headers"), [
    ("https://dynamodb.eu-west-3.amazonaws.com/", {}),
    ("https://dynamodb.eu-west-3.amazonaws.com/", {"User-Agent": "Boto3/1 region/us-west-2", "Authorization": SCOPE}),
    ("http://localhost:4566/", {"User-Agent": "Boto3/1 region/us-west-2", "Authorization": SCOPE}),
    ("http://localhost:4566/", {"Authorization": SCOPE}),
    ("http://localhost:4566/", {}),
], ids=["url", "url over the rest", "user agent", "credential scope", "default"])
def test_the_region_is_read_as_moto_reads_it(url: str, headers: dict[str, str]) -> None:
    from types import SimpleNamespace

    from moto.dynamodb.responses import DynamoHandler
    from werkzeug.datastructures import Headers

    for _ in range(2):  # (the second time from what the first kept)
        handler = DynamoHandler()
        direct_json._set_up(handler, url, Headers(headers), b"{}")
        assert handler.region == DynamoHandler().get_region_from_url(SimpleNamespace(headers=Headers(headers)), url)


def test_the_url_is_matched_by_the_custom_s3_endpoints_set_at_the_time(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://storage.example.test/bucket/key"
    monkeypatch.delenv(direct_json.S3_CUSTOM_ENDPOINTS, raising=False)
    assert direct_json.clean_url_of(url) == url
    monkeypatch.setenv(direct_json.S3_CUSTOM_ENDPOINTS, "https://storage.example.test")
    assert direct_json.clean_url_of(url) == "https://s3.amazonaws.com/bucket/key"
    monkeypatch.delenv(direct_json.S3_CUSTOM_ENDPOINTS)
    assert direct_json.clean_url_of(url) == url
