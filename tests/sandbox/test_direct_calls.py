"""The in-process path to moto answers exactly as botocore's HTTP path does (`sandbox.direct_calls`).

Each covered operation is called with the same arguments in a sandbox with the direct path and in one
without it; the parsed answers (or the modeled errors) must be the same, apart from what AWS makes
different on every call (request ids, message ids, receipt handles, dates).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, ParamValidationError
from botocore.response import StreamingBody
from botocore.signers import RequestSigner

from sandbox import direct_calls
from sandbox.core import Sandbox
from sandbox.moto_fixes.api import cached_boto_client_for
from sandbox.session import shared_client
from tests.conftest import EVENTS, TEMPLATE
from tests.test_cli import LICENCE_PATH

BUCKET = "direct-calls-bucket"
TABLE = "direct-calls-table"
VOLATILE_KEYS = frozenset({
    "RequestId", "MessageId", "ReceiptHandle", "SequenceNumber", "EventId", "date", "x-amzn-requestid",
    "x-amz-request-id", "x-amz-id-2", "x-amz-crc32", "content-length", "executionArn", "x-amzn-trace-id",
    "last-modified", "eventId",
})
"""Differ from call to call on AWS too (content-length and crc32 follow the ids in the body)."""

Step = tuple[str, str, str, dict[str, Any]]
"""(client kind: "sdk" as handler code builds it, "interpreter" as Task states do; service; method; kwargs)."""

SETUP: list[Step] = [
    ("sdk", "s3", "create_bucket", {"Bucket": BUCKET}),
    ("sdk", "dynamodb", "create_table", {
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}),
    ("sdk", "sns", "create_topic", {"Name": "direct-calls-topic"}),
    ("sdk", "sqs", "create_queue", {"QueueName": "direct-calls-queue"}),
]
ACCOUNT = "123456789012"
TOPIC_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:direct-calls-topic"
QUEUE_URL = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/direct-calls-queue"
ITEM = {"pk": {"S": "a"}, "n": {"N": "1"}, "b": {"B": b"\x00\x01"}, "l": {"L": [{"S": "x"}, {"NULL": True}]}}

CALLS: list[Step] = [
    # S3 (restXml, streaming output, checksums)
    ("sdk", "s3", "put_object", {"Bucket": BUCKET, "Key": "a/one.txt", "Body": b"hello", "Metadata": {"m": "1"},
                                 "ContentType": "text/plain"}),
    ("interpreter", "s3", "put_object", {"Bucket": BUCKET, "Key": "a/two.bin", "Body": b"\x00" * 300,
                                         "StorageClass": "DEEP_ARCHIVE"}),
    ("interpreter", "s3", "head_object", {"Bucket": BUCKET, "Key": "a/one.txt"}),
    ("interpreter", "s3", "head_object", {"Bucket": BUCKET, "Key": "missing"}),
    ("interpreter", "s3", "get_object", {"Bucket": BUCKET, "Key": "a/one.txt"}),
    ("interpreter", "s3", "get_object", {"Bucket": BUCKET, "Key": "a/two.bin"}),
    ("sdk", "s3", "get_object", {"Bucket": BUCKET, "Key": "missing"}),
    ("interpreter", "s3", "get_object", {"Bucket": "no-such-bucket-here", "Key": "k"}),
    ("interpreter", "s3", "copy_object", {"Bucket": BUCKET, "Key": "b/copy.txt",
                                          "CopySource": {"Bucket": BUCKET, "Key": "a/one.txt"}}),
    ("interpreter", "s3", "list_objects_v2", {"Bucket": BUCKET, "Prefix": "a/"}),
    ("sdk", "s3", "list_objects", {"Bucket": BUCKET}),
    ("interpreter", "s3", "head_bucket", {"Bucket": BUCKET}),
    ("sdk", "s3", "put_object_tagging", {"Bucket": BUCKET, "Key": "a/one.txt",
                                         "Tagging": {"TagSet": [{"Key": "t", "Value": "v"}]}}),
    ("interpreter", "s3", "get_object_tagging", {"Bucket": BUCKET, "Key": "a/one.txt"}),
    ("sdk", "s3", "get_object_attributes", {"Bucket": BUCKET, "Key": "a/one.txt", "ObjectAttributes": ["ETag"]}),
    ("interpreter", "s3", "delete_object", {"Bucket": BUCKET, "Key": "b/copy.txt"}),
    # DynamoDB (JSON 1.0, binary attributes, modeled errors with extra fields)
    ("interpreter", "dynamodb", "put_item", {"TableName": TABLE, "Item": ITEM}),
    ("interpreter", "dynamodb", "put_item", {"TableName": TABLE, "Item": ITEM,
                                             "ConditionExpression": "attribute_not_exists(pk)"}),
    ("interpreter", "dynamodb", "put_item", {"TableName": "no-such-table", "Item": ITEM}),
    ("interpreter", "dynamodb", "put_item", {"TableName": TABLE, "Item": {"n": {"N": "1"}}}),
    ("interpreter", "dynamodb", "get_item", {"TableName": TABLE, "Key": {"pk": {"S": "a"}}}),
    ("interpreter", "dynamodb", "update_item", {
        "TableName": TABLE, "Key": {"pk": {"S": "a"}}, "UpdateExpression": "ADD n :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}}, "ReturnValues": "ALL_NEW"}),
    ("interpreter", "dynamodb", "update_item", {
        "TableName": TABLE, "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET n = :v",
        "ConditionExpression": "n = :zero", "ExpressionAttributeValues": {":v": {"N": "5"}, ":zero": {"N": "0"}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}),
    ("interpreter", "dynamodb", "update_item", {
        "TableName": TABLE, "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET = :v",
        "ExpressionAttributeValues": {":v": {"N": "5"}}}),
    ("sdk", "dynamodb", "query", {"TableName": TABLE, "KeyConditionExpression": "pk = :a",
                                  "ExpressionAttributeValues": {":a": {"S": "a"}}}),
    ("sdk", "dynamodb", "scan", {"TableName": TABLE}),
    ("sdk", "dynamodb", "batch_write_item", {"RequestItems": {TABLE: [
        {"PutRequest": {"Item": {"pk": {"S": "b"}}}}, {"PutRequest": {"Item": {"pk": {"S": "c"}}}}]}}),
    ("sdk", "dynamodb", "batch_get_item", {"RequestItems": {TABLE: {"Keys": [{"pk": {"S": "b"}}]}}}),
    ("sdk", "dynamodb", "transact_write_items", {"TransactItems": [
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "b"}}, "ConditionExpression": "attribute_not_exists(pk)"}}]}),
    ("sdk", "dynamodb", "transact_get_items", {"TransactItems": [
        {"Get": {"TableName": TABLE, "Key": {"pk": {"S": "c"}}}}]}),
    ("interpreter", "dynamodb", "delete_item", {"TableName": TABLE, "Key": {"pk": {"S": "c"}},
                                                "ReturnValues": "ALL_OLD"}),
    # SNS (query protocol), SQS (JSON), EventBridge
    ("interpreter", "sns", "publish", {"TopicArn": TOPIC_ARN, "Message": "hi", "Subject": "s",
                                       "MessageAttributes": {"a": {"DataType": "String", "StringValue": "v"}}}),
    ("interpreter", "sns", "publish", {"TopicArn": TOPIC_ARN + "-missing", "Message": "hi"}),
    ("sdk", "sns", "publish_batch", {"TopicArn": TOPIC_ARN, "PublishBatchRequestEntries": [
        {"Id": "1", "Message": "one"}, {"Id": "2", "Message": "two"}]}),
    ("interpreter", "sqs", "send_message", {"QueueUrl": QUEUE_URL, "MessageBody": "body",
                                            "MessageAttributes": {"a": {"DataType": "String", "StringValue": "v"}}}),
    ("interpreter", "sqs", "send_message", {"QueueUrl": QUEUE_URL + "-missing", "MessageBody": "body"}),
    ("sdk", "sqs", "send_message_batch", {"QueueUrl": QUEUE_URL, "Entries": [{"Id": "1", "MessageBody": "b"}]}),
    ("sdk", "sqs", "get_queue_url", {"QueueName": "direct-calls-queue"}),
    ("sdk", "sqs", "get_queue_attributes", {"QueueUrl": QUEUE_URL, "AttributeNames": ["QueueArn"]}),
    ("sdk", "sqs", "receive_message", {"QueueUrl": QUEUE_URL, "MaxNumberOfMessages": 1}),
    ("sdk", "sqs", "delete_message", {"QueueUrl": QUEUE_URL, "ReceiptHandle": "not-a-handle"}),
    ("interpreter", "events", "put_events", {"Entries": [
        {"Source": "direct.calls", "DetailType": "Checked", "Detail": json.dumps({"a": 1})}]}),
    # Step Functions
    ("sdk", "stepfunctions", "describe_execution", {
        "executionArn": f"arn:aws:states:us-east-1:{ACCOUNT}:execution:nowhere:none"}),
    ("sdk", "stepfunctions", "send_task_success", {"taskToken": "no-such-token", "output": "{}"}),
]


def _client(kind: str, sb: Sandbox, service: str) -> Any:
    return cached_boto_client_for(sb.region, service) if kind == "interpreter" else shared_client(sb.region, service)


def _comparable(value: Any) -> Any:
    """The answer with what differs on every call masked, streams read."""
    if isinstance(value, dict):
        return {k: "<varies>" if k in VOLATILE_KEYS else _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, StreamingBody):
        return value.read()
    if isinstance(value, datetime):
        return "<date>"
    return value


def _outcome(call: Callable[[], Any]) -> Any:
    try:
        return ("answer", _comparable(call()))
    except ClientError as error:
        return ("error", error.response["Error"]["Code"], _comparable(error.response))


def _run_calls(direct: bool, steps: list[Step]) -> list[Any]:
    with Sandbox.from_template(TEMPLATE, direct_calls=direct) as sb:
        for kind, service, method, kwargs in SETUP:
            getattr(_client(kind, sb, service), method)(**kwargs)
        return [_outcome(functools.partial(getattr(_client(kind, sb, service), method), **kwargs))
                for kind, service, method, kwargs in steps]


@pytest.fixture(scope="module")
def outcomes() -> dict[bool, list[Any]]:
    return {direct: _run_calls(direct, CALLS) for direct in (False, True)}


@pytest.mark.parametrize("index", range(len(CALLS)), ids=[f"{s}.{m}-{i}" for i, (_, s, m, _) in enumerate(CALLS)])
def test_each_covered_call_answers_as_the_http_path_does(outcomes: dict[bool, list[Any]], index: int) -> None:
    assert outcomes[True][index] == outcomes[False][index]


def test_failing_calls_keep_their_aws_error_codes(outcomes: dict[bool, list[Any]]) -> None:
    codes = [outcome[1] for outcome in outcomes[True] if outcome[0] == "error"]
    assert codes == ["404", "InvalidObjectState", "NoSuchKey", "NoSuchBucket", "ConditionalCheckFailedException",
                     "ResourceNotFoundException", "ValidationException", "ConditionalCheckFailedException",
                     "ValidationException", "TransactionCanceledException", "NotFound",
                     "AWS.SimpleQueueService.NonExistentQueue", "ReceiptHandleIsInvalid", "ExecutionDoesNotExist",
                     "InvalidToken"]


@pytest.mark.slow
def test_every_call_of_the_list_is_covered() -> None:
    covered = {(direct_calls_service(service), _operation(service, method)) for _, service, method, _ in CALLS}
    assert all(direct_calls.covers(*pair) for pair in covered)
    assert covered == {(service, op) for service, ops in direct_calls.OPERATIONS.items() for op in ops
                       if (service, op) in covered}


def direct_calls_service(service: str) -> str:
    return {"stepfunctions": "sfn"}.get(service, service)


def _operation(service: str, method: str) -> str:
    import boto3

    return boto3.session.Session().client(service, region_name="us-east-1").meta.method_to_api_mapping[method]


@pytest.fixture
def signatures(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The operations botocore signed (those that took the HTTP path)."""
    signed: list[str] = []
    original = RequestSigner.sign

    def sign(self: RequestSigner, operation_name: str, *args: Any, **kwargs: Any) -> Any:
        signed.append(operation_name)
        return original(self, operation_name, *args, **kwargs)

    monkeypatch.setattr(RequestSigner, "sign", sign)
    yield signed


def test_covered_calls_skip_signing_and_others_keep_the_http_path(signatures: list[str]) -> None:
    _run_calls(True, [("interpreter", "s3", "head_object", {"Bucket": BUCKET, "Key": "missing"}),
                      ("sdk", "s3", "get_bucket_location", {"Bucket": BUCKET})])
    assert "HeadObject" not in signatures and "GetBucketLocation" in signatures


def test_the_switch_sends_covered_calls_through_botocore(signatures: list[str]) -> None:
    _run_calls(False, [("interpreter", "s3", "head_object", {"Bucket": BUCKET, "Key": "missing"})])
    assert "HeadObject" in signatures


def test_the_environment_variable_turns_the_direct_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(direct_calls.ENV_SWITCH, "0")
    assert Sandbox.from_template(TEMPLATE).direct_calls is False
    monkeypatch.delenv(direct_calls.ENV_SWITCH)
    assert Sandbox.from_template(TEMPLATE).direct_calls is True
    assert Sandbox.from_template(TEMPLATE, direct_calls=False).direct_calls is False


def test_botocore_still_validates_parameters_first() -> None:
    with Sandbox.from_template(TEMPLATE, direct_calls=True) as sb, pytest.raises(ParamValidationError):
        shared_client(sb.region, "dynamodb").put_item(TableName=TABLE, Item="not a map")


def test_an_execution_takes_the_same_path_to_the_same_output_either_way() -> None:
    runs = {}
    for direct in (False, True):
        with Sandbox.from_template(TEMPLATE, direct_calls=direct) as sb:
            sb.seed(EVENTS / "document-processing" / "objects.json")
            run = sb.run("document-processing", json.loads((EVENTS / "document-processing/licence.json").read_text()))
            runs[direct] = (run.status, run.path, _comparable(run.output), [event["type"] for event in run.history])
    assert runs[True] == runs[False]
    assert runs[True][1] == LICENCE_PATH


def test_a_client_with_its_own_endpoint_is_sent_by_botocore() -> None:
    """moto answers no such URL: the request goes out over HTTP as before (here to a closed port)."""
    from botocore.config import Config
    from botocore.exceptions import EndpointConnectionError

    with Sandbox.from_template(TEMPLATE, direct_calls=True) as sb:
        client = sb_session_client(sb, "s3", endpoint_url="http://127.0.0.1:9",
                                   config=Config(retries={"total_max_attempts": 1}, connect_timeout=1))
        with pytest.raises(EndpointConnectionError):
            client.put_object(Bucket=BUCKET, Key="k", Body=b"body")


def sb_session_client(sb: Sandbox, service: str, **kwargs: Any) -> Any:
    from sandbox.session import shared_session

    return shared_session(sb.region).client(service, region_name=sb.region, **kwargs)


@pytest.mark.parametrize("text", [
    "Sat, 05 Dec 2026 14:46:38 GMT", "Sat, 5 Dec 2026 4:46:38 GMT", "2026-12-05T14:46:38.000Z", "2026-12-05T14:46:38Z",
    "2026-12-05T14:46:38.123456Z", "2026-12-05T14:46:38+02:00", "1700000000", "2026-12-05",
])
def test_timestamps_parse_to_what_botocore_gives(text: str) -> None:
    """The quick forms (HTTP date, ISO 8601 in UTC) and botocore's own for the rest: same instant, same zone object."""
    from botocore.utils import parse_timestamp

    ours, botocores = direct_calls.parse_timestamp(text), parse_timestamp(text)
    assert (ours, type(ours.tzinfo)) == (botocores, type(botocores.tzinfo))



def test_response_headers_are_looked_up_as_botocore_s_whatever_the_case() -> None:
    from botocore.awsrequest import HeadersDict

    ours = direct_calls.ResponseHeaders({"Content-Length": "5", "x-amz-meta-Owner": "me"})
    theirs = HeadersDict({"Content-Length": "5", "x-amz-meta-Owner": "me"})
    for name in ("content-length", "CONTENT-LENGTH", "X-Amz-Meta-Owner", "missing"):
        assert (name in ours, ours.get(name)) == (name in theirs, theirs.get(name))
    assert dict(ours) == dict(theirs) and list(ours.copy()) == list(theirs.copy())
    ours["content-length"] = theirs["content-length"] = "6"
    del ours["X-AMZ-META-OWNER"], theirs["X-AMZ-META-OWNER"]
    assert dict(ours) == dict(theirs) == {"Content-Length": "6"}
    assert "x-amz-meta-owner" not in ours and isinstance(ours, HeadersDict)
    ours["x-amz-meta-owner"] = theirs["x-amz-meta-owner"] = "you"  # set again: last, with the new spelling
    ours["X-Amz-Meta-Owner"] = theirs["X-Amz-Meta-Owner"] = "them"  # set once more: the first spelling stays
    assert (list(ours), repr(ours), len(ours)) == (list(theirs), repr(theirs), len(theirs))
    assert dict(ours) == {"Content-Length": "6", "x-amz-meta-owner": "them"}


def test_one_response_parser_per_protocol_serves_threads_at_once() -> None:
    """The parser `_exchange` shares keeps nothing of a response: eight threads parsing different answers at
    once each get their own, as from a parser of their own."""
    import threading

    import botocore.session
    from botocore.endpoint import convert_to_response_dict
    from moto.core.botocore_stubber import MockRawResponse

    model = botocore.session.get_session().get_service_model("dynamodb").operation_model("GetItem")

    def response(index: int) -> dict[str, Any]:
        http = AWSResponse("https://dynamodb.us-east-1.amazonaws.com/", 200, {},
                           MockRawResponse(json.dumps({"Item": {"n": {"N": str(index)}}}).encode()))
        http.headers = direct_calls.ResponseHeaders({"x-amzn-RequestId": f"r{index}"})
        return convert_to_response_dict(http, model)

    fresh = direct_calls._PARSERS.create_parser("json")
    wrong: list[int] = []

    def parse_many(worker: int) -> None:
        for round_ in range(200):
            index = worker * 1000 + round_
            expected = fresh.parse(response(index), model.output_shape)
            if direct_calls._parser("json").parse(response(index), model.output_shape) != expected:
                wrong.append(index)

    threads = [threading.Thread(target=parse_many, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert direct_calls._parser("json") is direct_calls._parser("json")
