"""moto's answer to the hottest S3 read, from its backend instead of its S3 response layer.

A Distributed Map child of a restore request starts with HeadObject. Through moto's stubber that
call builds a werkzeug request, runs `S3Response.setup_class` (URL, headers, body, account,
region), dispatches by URL and method, and only then reads the key: some 600 µs, where the
backend's read takes a microsecond. Here, for a plain HeadObject (a bucket and a key, nothing
conditional, versioned, ranged or encrypted), the same backend reads are made and the same
(status, headers, body) moto's `S3Response.head_object` would give are built from the key,
for botocore's own parser to read (`sandbox.direct_calls`): the result and the errors are
botocore's, not a second copy of its rules.

Anything this does not know to be plain goes moto's whole way: another bucket addressing (an
access point, a custom endpoint), a bucket with server access logging (moto writes a log object per
request), a delete marker, an unsigned client (moto then checks the key's ACL), moto's request
recorder on. A bucket policy is evaluated as moto's S3 layer evaluates it (`FakeBucket.get_permission`).
"""

from __future__ import annotations

import os
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from moto.core.common_types import TYPE_RESPONSE
from moto.iam.access_control import PermissionResult
from moto.iam.models import get_account_id_from, mark_account_as_visited
from moto.moto_api import recorder
from moto.s3.exceptions import S3ClientError
from moto.s3.models import FakeKey
from moto.utilities.aws_headers import gen_amzn_requestid_long

from sandbox.fakes._s3 import s3_backend

OPERATIONS: Final[frozenset[tuple[str, str]]] = frozenset({("s3", "HeadObject")})
"""(botocore service id, operation) answered here when the call is plain."""

HEAD_OBJECT_PLAIN_PARAMS: Final[frozenset[str]] = frozenset({"Bucket", "Key"})
"""The HeadObject parameters answered here; any other (VersionId, If-*, Range, PartNumber, SSE-C,
ChecksumMode, ExpectedBucketOwner...) changes what moto checks or returns."""


def answer(service_id: str, operation: str, api_params: dict[str, Any] | None, url: str,
           access_key: str | None, region: str) -> TYPE_RESPONSE | None:
    """moto's (status, headers, body) for the call, or None where moto's own request handling must answer."""
    if service_id == "s3" and operation == "HeadObject" and api_params is not None and access_key is not None:
        return _head_object(api_params, url, access_key, region)
    return None


def _head_object(api_params: dict[str, Any], url: str, access_key: str, region: str) -> TYPE_RESPONSE | None:
    if api_params.keys() != HEAD_OBJECT_PLAIN_PARAMS or recorder._user_enabled:
        return None
    bucket_name, key_name = api_params["Bucket"], api_params["Key"]
    if not _addresses(url, bucket_name, key_name):
        return None
    account = _account(access_key)
    backend = s3_backend(account, region)
    try:
        bucket = backend.get_bucket(bucket_name)
        key = backend.get_object(bucket_name, key_name)  # what S3Response reads before dispatching
    except S3ClientError:
        return None  # NoSuchBucket: moto's error body
    if bucket.logging:
        return None
    mark_account_as_visited(account_id=account, access_key=access_key, service="s3", region=region)
    headers: dict[str, Any] = {}
    # What S3Response checks before any object operation: a bucket policy can deny it (403, no body).
    resource = f"arn:{bucket.partition}:s3:::{bucket_name}/{key_name}"
    if bucket.get_permission("s3:HeadObject", resource) == PermissionResult.DENIED:
        gen_amzn_requestid_long(headers)
        return 403, headers, b""
    if key is None:
        if bucket.is_versioned:
            return None  # a delete marker may stand there: moto answers with its headers
        gen_amzn_requestid_long(headers)
        return 404, headers, b""
    if not isinstance(key, FakeKey):
        return None
    headers.update(key.metadata)
    headers.update(key.response_dict)
    headers["Accept-Ranges"] = "bytes"
    gen_amzn_requestid_long(headers)  # what moto's S3 responses add to every answer
    return 200, headers, b""


def _addresses(url: str, bucket_name: str, key_name: str) -> bool:
    """Whether moto would read this bucket and key from the URL (virtual-hosted style on AWS's S3 domain)."""
    parts = urlsplit(url)
    return (parts.netloc.startswith(bucket_name + ".s3.") and parts.netloc.endswith(".amazonaws.com")
            and not parts.query and unquote(parts.path[1:]) == key_name)


def _account(access_key: str) -> str:
    """The account moto's response classes take the request's to be (`BaseResponse.get_current_account`)."""
    return os.environ.get("MOTO_ACCOUNT_ID") or get_account_id_from(access_key)
