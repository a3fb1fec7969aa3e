"""The endpoint cache of the shared session's clients gives botocore's own endpoint for every call it keeps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from sandbox import endpoint_cache
from sandbox.session import shared_session

REGION = "us-east-1"

S3_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("HeadObject", {"Bucket": "archive-bucket", "Key": "a/b.bin"}),
    ("HeadObject", {"Bucket": "archive-bucket", "Key": "another/key.bin"}),
    ("HeadObject", {"Bucket": "other-bucket", "Key": "a/b.bin"}),
    ("HeadObject", {"Bucket": "Not_A_Host_Label", "Key": "a"}),  # path style is required
    ("HeadObject", {"Bucket": "dotted.bucket.name", "Key": "a"}),
    ("RestoreObject", {"Bucket": "archive-bucket", "Key": "a", "RestoreRequest": {"Days": 1}}),
    ("GetBucketLocation", {"Bucket": "archive-bucket"}),  # path style, always
    ("ListBuckets", {}),
    ("CopyObject", {"Bucket": "archive-bucket", "Key": "b", "CopySource": "archive-bucket/a"}),
    ("GetObject", {"Bucket": "arn:aws:s3:us-east-1:123456789012:accesspoint/my-point", "Key": "a"}),
]
DYNAMODB_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("PutItem", {"TableName": "objects", "Item": {}}),
    ("PutItem", {"TableName": "requests", "Item": {}}),
    ("UpdateItem", {"TableName": "objects", "Key": {}}),
    ("Query", {"TableName": "objects"}),
    ("BatchGetItem", {"RequestItems": {"objects": {"Keys": []}}}),  # JMESPath context parameters: not kept
    ("ListTables", {}),
]


@pytest.fixture
def mocked() -> Iterator[None]:
    with mock_aws():
        yield


def _client(service: str, **kwargs: Any) -> Any:
    return shared_session(REGION).client(service, region_name=REGION, **kwargs)


def _cache_of(client: Any) -> endpoint_cache.CachedEndpoints:
    return client._ruleset_resolver.construct_endpoint.cache


def _uncached(client: Any, operation: str, params: dict[str, Any], context: dict[str, Any]) -> Any:
    cache = _cache_of(client)
    return cache._construct(client.meta.service_model.operation_model(operation), params, context)


def _resolved(client: Any, operation: str, params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """What `_make_api_call` takes from endpoint resolution: the URL, headers, properties and request context."""
    context: dict[str, Any] = {"client_region": REGION}
    url, headers, properties = client._resolve_endpoint_ruleset(
        client.meta.service_model.operation_model(operation), params, context)
    return (url, headers, properties), context


@pytest.mark.parametrize(("service", "calls"), [("s3", S3_CALLS), ("dynamodb", DYNAMODB_CALLS)])
@pytest.mark.parametrize("config", [None, Config(s3={"addressing_style": "path"}), Config(use_fips_endpoint=True)],
                         ids=["default", "path-style", "fips"])
def test_every_call_resolves_to_botocores_own_endpoint_first_and_second_time(
        mocked: None, service: str, calls: list[tuple[str, dict[str, Any]]], config: Config | None) -> None:
    client = _client(service, config=config)
    for _ in range(2):
        for operation, params in calls:
            expected = _uncached(client, operation, params, {"client_region": REGION})
            (url, headers, properties), _ = _resolved(client, operation, params)
            assert (url, headers, properties) == (expected.url, expected.headers, expected.properties), operation
    assert _cache_of(client).hits >= len(calls) - 1  # the second round came from the cache (BatchGetItem never)


def test_a_call_from_the_cache_gives_the_same_signing_context_and_its_own_headers(mocked: None) -> None:
    client = _client("s3")
    first, first_context = _resolved(client, "HeadObject", {"Bucket": "archive-bucket", "Key": "a"})
    second, second_context = _resolved(client, "HeadObject", {"Bucket": "archive-bucket", "Key": "b"})
    assert _cache_of(client).hits == 1
    assert (first, first_context) == (second, second_context)
    assert first[1] is not second[1]  # a caller changing its headers changes no other call's


def test_the_bucket_is_part_of_the_key_and_the_key_is_not(mocked: None) -> None:
    client = _client("s3")
    urls = {_resolved(client, "HeadObject", {"Bucket": bucket, "Key": key})[0][0]
            for bucket in ("one-bucket", "two-bucket") for key in ("k1", "k2")}
    assert urls == {"https://one-bucket.s3.amazonaws.com", "https://two-bucket.s3.amazonaws.com"}
    assert _cache_of(client).hits == 2


def test_a_bucket_the_region_redirector_remembers_is_resolved_by_botocore(mocked: None) -> None:
    client = _client("s3")
    _resolved(client, "HeadObject", {"Bucket": "moved-bucket", "Key": "a"})
    redirector = next(handler.__self__ for handler in client.meta.events._emitter._handlers.prefix_search(
        "before-endpoint-resolution.s3") if hasattr(handler, "__self__"))
    redirector._cache["moved-bucket"] = "eu-west-1"
    (url, _, _), _ = _resolved(client, "HeadObject", {"Bucket": "moved-bucket", "Key": "a"})
    assert url == "https://moved-bucket.s3.eu-west-1.amazonaws.com"
    assert _cache_of(client).hits == 0


def test_any_other_endpoint_handler_turns_the_cache_off_for_that_client(mocked: None) -> None:
    client = _client("s3")
    _resolved(client, "HeadObject", {"Bucket": "archive-bucket", "Key": "a"})

    def to_frankfurt(builtins: dict[str, Any], **_: Any) -> None:
        builtins["AWS::Region"] = "eu-central-1"

    client.meta.events.register("before-endpoint-resolution.s3", to_frankfurt)
    (url, _, _), _ = _resolved(client, "HeadObject", {"Bucket": "archive-bucket", "Key": "a"})
    assert url == "https://archive-bucket.s3.eu-central-1.amazonaws.com"
    assert _cache_of(client).hits == 0


def test_a_presigned_global_endpoint_is_never_kept(mocked: None) -> None:
    client = _client("s3")
    model = client.meta.service_model.operation_model("GetObject")
    for _ in range(2):
        client._ruleset_resolver.construct_endpoint(model, {"Bucket": "archive-bucket", "Key": "a"},
                                                    {"use_global_endpoint": True})
    assert _cache_of(client).hits == 0


def test_calls_through_a_client_still_reach_moto(mocked: None) -> None:
    s3 = _client("s3")
    s3.create_bucket(Bucket="archive-bucket")
    for key in ("a", "b", "c"):
        s3.put_object(Bucket="archive-bucket", Key=key, Body=b"x")
    assert [s3.head_object(Bucket="archive-bucket", Key=key)["ContentLength"] for key in ("a", "b", "c")] == [1] * 3
    assert _cache_of(s3).hits >= 4


def test_a_client_of_another_session_is_left_alone(mocked: None) -> None:
    client = boto3.Session(region_name=REGION).client("s3")
    assert not isinstance(client._ruleset_resolver.construct_endpoint, endpoint_cache._BoundCache)
