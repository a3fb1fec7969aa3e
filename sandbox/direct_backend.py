"""moto's answer to the hottest S3 calls, from its backend instead of its S3 response layer.

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

Each post-processing execution of a restored object copies it with CopyObject (a bucket, a key, a copy
source, maybe a storage class and `MetadataDirective: COPY`). For such a plain copy, the backend calls
moto's `S3Response.copy_object` makes are made here (the copy, which sends S3's "Object Created" events,
then the bucket's ACL on the new key), and its answer (headers and `CopyObjectResult` XML) is built from the
new key. Every error (missing or archived source, a denying policy, a missing bucket, an object-lock
bucket, a copy onto itself) is left to moto's whole way, which checks it before writing anything.
"""

from __future__ import annotations

import os
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from moto.core.common_types import TYPE_RESPONSE
from moto.core.utils import utcnow
from moto.iam.access_control import PermissionResult
from moto.iam.models import get_account_id_from, mark_account_as_visited
from moto.moto_api import recorder
from moto.s3.exceptions import S3ClientError
from moto.s3.models import FakeKey, S3Backend
from moto.s3.utils import ARCHIVE_STORAGE_CLASSES, STORAGE_CLASS
from moto.utilities.aws_headers import gen_amzn_requestid_long
from werkzeug.http import http_date

from sandbox.fakes._s3 import s3_backend
from sandbox.moto_fixes.eventbridge_delivery import sending_events_at_the_end

OPERATIONS: Final[frozenset[tuple[str, str]]] = frozenset({("s3", "HeadObject"), ("s3", "CopyObject")})
"""(botocore service id, operation) answered here when the call is plain."""

HEAD_OBJECT_PLAIN_PARAMS: Final[frozenset[str]] = frozenset({"Bucket", "Key"})
"""The HeadObject parameters answered here; any other (VersionId, If-*, Range, PartNumber, SSE-C,
ChecksumMode, ExpectedBucketOwner...) changes what moto checks or returns."""

COPY_OBJECT_PLAIN_PARAMS: Final[frozenset[str]] = frozenset({"Bucket", "Key", "CopySource"})
COPY_OBJECT_PLAIN_OPTIONS: Final[frozenset[str]] = frozenset({"StorageClass", "MetadataDirective"})
"""The CopyObject parameters answered here (a storage class moto knows, metadata copied); any other (ACL,
tagging, encryption, object lock, conditions, checksums, SSE-C...) changes what moto checks or writes."""

S3_XML_NAMESPACE: Final[str] = "http://s3.amazonaws.com/doc/2006-03-01/"


def answer(service_id: str, operation: str, api_params: dict[str, Any] | None, url: str,
           access_key: str | None, region: str) -> TYPE_RESPONSE | None:
    """moto's (status, headers, body) for the call, or None where moto's own request handling must answer."""
    if service_id != "s3" or api_params is None or access_key is None:
        return None
    if operation == "HeadObject":
        return _head_object(api_params, url, access_key, region)
    if operation == "CopyObject":
        return _copy_object(api_params, url, access_key, region)
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


def _copy_object(api_params: dict[str, Any], url: str, access_key: str, region: str) -> TYPE_RESPONSE | None:
    if not _plain_copy(api_params) or recorder._user_enabled:
        return None
    bucket_name, key_name = api_params["Bucket"], api_params["Key"]
    source = _copy_source(api_params["CopySource"])
    if source is None or source == (bucket_name, key_name) or not _addresses(url, bucket_name, key_name):
        return None
    account = _account(access_key)
    backend = s3_backend(account, region)
    try:
        bucket = backend.get_bucket(bucket_name)
        source_key = backend.get_object(*source)
    except S3ClientError:
        return None  # NoSuchBucket (either bucket): moto's error body
    if bucket.logging or bucket.object_lock_enabled or not isinstance(source_key, FakeKey):
        return None  # a request log object, object-lock headers, a missing source: moto's way
    if source_key.storage_class in ARCHIVE_STORAGE_CLASSES and not _restored(source_key):
        return None  # InvalidObjectState
    resource = f"arn:{bucket.partition}:s3:::{bucket_name}/{key_name}"
    if bucket.get_permission("s3:PutObject", resource) == PermissionResult.DENIED:
        return None  # moto's 403 for a denying policy
    mark_account_as_visited(account_id=account, access_key=access_key, service="s3", region=region)
    return _copied(backend, source_key, bucket_name, key_name, api_params)


@sending_events_at_the_end
def _copied(backend: S3Backend, source_key: FakeKey, bucket_name: str, key_name: str,
            api_params: dict[str, Any]) -> TYPE_RESPONSE:
    """The copy as `S3Response.copy_object` makes it, S3's events sent once it is answered, and moto's answer."""
    backend.copy_object(source_key, bucket_name, key_name, storage=api_params.get("StorageClass"),
                        mdirective=api_params.get("MetadataDirective"), metadata={})
    new_key: FakeKey = backend.get_object(bucket_name, key_name)  # type: ignore[assignment]
    acl = backend.get_bucket(bucket_name).acl
    if acl is not None:
        new_key.set_acl(acl)
    result = f"<ETag>{new_key.etag}</ETag><LastModified>{new_key.last_modified_ISO8601}</LastModified>"
    if new_key.checksum_value:
        checksum = f"Checksum{new_key.checksum_algorithm}"
        result += f"<{checksum}>{new_key.checksum_value}</{checksum}>"
    body = (f'<?xml version="1.0" encoding="utf-8"?>\n<CopyObjectResult xmlns="{S3_XML_NAMESPACE}">{result}'
            "</CopyObjectResult>").encode()
    headers: dict[str, Any] = {"Content-Type": "application/xml", "server": "amazon.com", "date": http_date(utcnow())}
    if source_key.version_id != "null":
        headers["x-amz-copy-source-version-id"] = source_key.version_id
    headers.update(new_key.response_dict)
    headers["content-length"] = str(len(body))
    gen_amzn_requestid_long(headers)
    return 200, headers, body


def _plain_copy(api_params: dict[str, Any]) -> bool:
    keys = api_params.keys()
    return (keys >= COPY_OBJECT_PLAIN_PARAMS and keys <= COPY_OBJECT_PLAIN_PARAMS | COPY_OBJECT_PLAIN_OPTIONS
            and api_params.get("StorageClass", "STANDARD") in STORAGE_CLASS
            and api_params.get("MetadataDirective", "COPY") == "COPY")


def _copy_source(copy_source: Any) -> tuple[str, str] | None:
    """The source bucket and key moto reads from `x-amz-copy-source` (botocore has quoted the parameter into
    the header's text), as `S3Response.copy_object` parses it; None for a versioned source or any other form."""
    if not isinstance(copy_source, str):
        return None
    parsed = urlsplit(copy_source)
    if parsed.scheme or parsed.netloc or parsed.query or parsed.fragment:
        return None
    bucket_name, _, key_name = unquote(parsed.path).lstrip("/").partition("/")
    return (bucket_name, key_name) if bucket_name and key_name else None


def _restored(key: FakeKey) -> bool:
    """Whether moto copies an archived object: a restore requested and no longer ongoing."""
    restore = key.response_dict.get("x-amz-restore")
    return restore is not None and 'ongoing-request="true"' not in restore


def _addresses(url: str, bucket_name: str, key_name: str) -> bool:
    """Whether moto would read this bucket and key from the URL (virtual-hosted style on AWS's S3 domain)."""
    parts = urlsplit(url)
    return (parts.netloc.startswith(bucket_name + ".s3.") and parts.netloc.endswith(".amazonaws.com")
            and not parts.query and unquote(parts.path[1:]) == key_name)


def _account(access_key: str) -> str:
    """The account moto's response classes take the request's to be (`BaseResponse.get_current_account`)."""
    return os.environ.get("MOTO_ACCOUNT_ID") or get_account_id_from(access_key)
