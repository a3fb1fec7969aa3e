"""The objects of one seeded entry after its first, made as S3 made the first (speed only).

`Sandbox.seed` with `"count": N` puts N objects that differ only in their key. The first goes
through PutObject, moto's whole request handling (validation of the storage class, the checksum
botocore sends, metadata and content type from the headers, the bucket's default encryption,
lock and ACL). Each other one is made by moto's S3 backend from that first object: its body,
storage class, encryption, lock, checksum, metadata, ACL, redirect and tags, as PutObject made
them for the first: a PutObject through botocore costs ~1.5 ms, and a seed of 10,000 archived
objects spent 17 s of a 4-minute story in them. The S3 events the backend sends are those of
PutObject (ObjectCreated:Put, and the tagging event PutObject's tags send).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def put_like_first(account_id: str, region: str, bucket: str, first: str, keys: Iterable[str]) -> None:
    """Put each of `keys` into `bucket` as the object `first` (put there by PutObject) was put."""
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    backend = s3_backends[account_id][get_partition(region)]
    template: Any = backend.get_object(bucket, first)
    tags = {tag["Key"]: tag["Value"] for tag in backend.get_object_tagging(template)["Tags"]}
    for key in keys:
        made = backend.put_object(bucket, key, template.value, storage=template.storage_class,
                                  encryption=template.encryption, kms_key_id=template.kms_key_id,
                                  bucket_key_enabled=template.bucket_key_enabled, lock_mode=template.lock_mode,
                                  lock_legal_status=template.lock_legal_status, lock_until=template.lock_until,
                                  checksum_value=template.checksum_value)
        _as_put(made, template)
        backend.put_object_tagging(made, tags)


def _as_put(made: Any, template: Any) -> None:
    """What PutObject sets on the new object after the backend made it (moto's S3Response.put_object)."""
    made.set_metadata(dict(template.metadata))
    made.set_acl(template.acl)
    made.website_redirect_location = template.website_redirect_location
    if template.checksum_algorithm:
        made.checksum_algorithm = template.checksum_algorithm
