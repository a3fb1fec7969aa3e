"""Read objects straight from moto's S3 backend, as Textract and Rekognition read S3.

The fakes run inside a botocore event handler; going through another boto3 client
there would re-enter the event machinery. Reading moto's model is direct and cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from sandbox.fakes._api import AwsError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
IMAGE_CONTENT_TYPES = ("image/jpeg", "image/jpg", "image/png")

S3_OBJECT_UNREADABLE = (
    "Unable to get object metadata from S3. Check object key, region and/or access permissions."
)
"""The message Rekognition and Textract give for a missing or unreadable S3 object."""


@dataclass(frozen=True)
class S3Document:
    bucket: str
    key: str
    body: bytes
    content_type: str
    metadata: dict[str, str]
    """User metadata (x-amz-meta-*), keys lower-cased without the prefix."""


def s3_backend(account_id: str, region: str) -> Any:
    return s3_backends[account_id][get_partition(region)]


def read_object(account_id: str, region: str, s3_object: dict[str, Any], error_code: str) -> S3Document:
    """The object an `S3Object {Bucket, Name, Version}` points at, or the service's error."""
    bucket, name = s3_object.get("Bucket", ""), s3_object.get("Name", "")
    try:
        key = s3_backend(account_id, region).get_object(bucket, name, version_id=s3_object.get("Version"))
    except Exception:  # moto raises MissingBucket / MissingVersion and friends
        key = None
    if key is None:
        raise AwsError(error_code, S3_OBJECT_UNREADABLE)
    headers = {str(k).lower(): str(v) for k, v in dict(key.metadata).items()}
    user = {k.removeprefix("x-amz-meta-"): v for k, v in headers.items() if k.startswith("x-amz-meta-")}
    return S3Document(bucket, name, bytes(key.value), headers.get("content-type", ""), user)


def looks_like_image(name: str, content_type: str, body: bytes) -> bool:
    """JPEG or PNG, judged by magic bytes, then by file name or content type.

    Real services look at the bytes only; sandbox fixtures are often a few bytes of
    text named `licence.jpg`, so the name and content type count too.
    """
    if body.startswith(b"\xff\xd8\xff") or body.startswith(b"\x89PNG\r\n\x1a\n"):
        return True
    if name.lower().endswith(IMAGE_EXTENSIONS):
        return True
    return content_type.split(";")[0].strip().lower() in IMAGE_CONTENT_TYPES
