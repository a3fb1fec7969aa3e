"""moto's serializer writes timestamps held as text exactly as before, without dateutil's parser.

Each value is written in every timestamp format moto knows, by the sandbox's converter and by
moto's own; then whole S3 responses (CopyObject, HeadObject, ListObjectsV2) are compared byte for
byte with moto's converter put back. The work saved is counted (dateutil's parser is not called).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import boto3
import dateutil.parser
import pytest
from moto import mock_aws
from moto.core.responses import ActionContext, ActionResult
from moto.core.serialize import TimestampSerializer

from sandbox.moto_fixes import serializer_timestamps
from tests.sandbox.engine_helpers import ENGINE_CONFIG, REGION

FORMATS = ("iso8601", "iso8601_zeroed", "rfc822", "unixtimestamp")
VALUES: list[Any] = [
    "2026-12-05T14:46:38.000Z", "2026-12-05T14:46:38.123Z", "2026-12-05T14:46:38.123456Z", "2026-12-05T14:46:38Z",
    "2024-02-29T23:59:59.999Z", "1970-01-01T00:00:00.000Z",
    "Sat, 05 Dec 2026 14:46:38 GMT", "Thu, 29 Feb 2024 23:59:59 GMT",
    # other forms: moto's own path
    "2026-12-05T14:46:38+02:00", "2026-12-05", "1765000000", "2026-12-05T14:46:38.1Z", 1765000000, 1765000000.25,
    datetime(2026, 12, 5, 14, 46, 38), datetime(2026, 12, 5, 14, 46, 38, 5000, tzinfo=UTC),
    datetime(2026, 12, 5, 14, 46, 38, tzinfo=timezone(timedelta(hours=-5))),
]


@pytest.mark.parametrize("value", VALUES, ids=str)
@pytest.mark.parametrize("timestamp_format", FORMATS)
def test_every_value_is_written_as_moto_writes_it(value: Any, timestamp_format: str) -> None:
    serializer_timestamps.install()
    assert serializer_timestamps.moto_convert is not None
    serializer = TimestampSerializer(timestamp_format)
    ours = serializer._convert_timestamp_to_str(value, timestamp_format)
    assert ours == serializer_timestamps.moto_convert(serializer, value, timestamp_format)
    assert type(ours) is type(serializer_timestamps.moto_convert(serializer, value, timestamp_format))


def test_only_the_two_forms_moto_holds_are_read_here() -> None:
    assert serializer_timestamps.aware_utc("2026-12-05T14:46:38.123Z") == datetime(2026, 12, 5, 14, 46, 38, 123000,
                                                                                     tzinfo=UTC)
    assert serializer_timestamps.aware_utc("Sat, 05 Dec 2026 14:46:38 GMT") == datetime(2026, 12, 5, 14, 46, 38,
                                                                                          tzinfo=UTC)
    for other in ("2026-12-05T14:46:38+02:00", "2026-12-05", "1765000000", "2026-12-05T14:46:38.1Z", "now"):
        assert serializer_timestamps.aware_utc(other) is None


_SERIALIZE = ActionResult.execute_result


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, Any, Any]]]:
    """Every response serialized in the block: (operation, the sandbox's answer, moto's answer)."""
    serializer_timestamps.install()
    pairs: list[tuple[str, Any, Any]] = []
    ours = TimestampSerializer._convert_timestamp_to_str

    def execute_result(self: ActionResult, context: ActionContext) -> Any:
        with _counted():
            status, headers, body = answer = _SERIALIZE(self, context)
        monkeypatch.setattr(TimestampSerializer, "_convert_timestamp_to_str", serializer_timestamps.moto_convert)
        try:
            status2, headers2, body2 = _SERIALIZE(self, context)
        finally:
            monkeypatch.setattr(TimestampSerializer, "_convert_timestamp_to_str", ours)
        pairs.append((context.operation_model.name, (status, dict(headers), body), (status2, dict(headers2), body2)))
        return answer

    monkeypatch.setattr(ActionResult, "execute_result", execute_result)
    with mock_aws(config=ENGINE_CONFIG):
        yield pairs


_PER_REQUEST = ("date", "x-amz-request-id", "x-amzn-requestid")


def _without_dates(answer: tuple[int, dict[str, Any], Any]) -> tuple[int, dict[str, Any], Any]:
    status, headers, body = answer
    return status, {k: v for k, v in headers.items() if k.lower() not in _PER_REQUEST}, body


def test_s3_answers_are_byte_for_byte_motos(compared: list[tuple[str, Any, Any]],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="bkt")
    for i in range(3):
        s3.put_object(Bucket="bkt", Key=f"in/{i}", Body=b"x", StorageClass="DEEP_ARCHIVE" if i else "STANDARD")
    parsed: list[str] = []

    def parse(*args: Any, **kwargs: Any) -> Any:
        if _counting:
            parsed.append(args[0])
        return _real_parse(*args, **kwargs)

    monkeypatch.setattr(dateutil.parser, "parse", parse)
    copied = s3.copy_object(Bucket="bkt", CopySource="bkt/in/0", Key="out/0", StorageClass="STANDARD",
                            MetadataDirective="COPY")
    s3.list_objects_v2(Bucket="bkt", Prefix="in/")
    s3.list_objects(Bucket="bkt")
    s3.get_object_attributes(Bucket="bkt", Key="in/0", ObjectAttributes=["ETag", "StorageClass"])
    assert isinstance(copied["CopyObjectResult"]["LastModified"], datetime)
    timed = [(name, _without_dates(ours), _without_dates(motos)) for name, ours, motos in compared
             if name in ("CopyObject", "ListObjectsV2", "ListObjects", "GetObjectAttributes")]
    assert [name for name, _, _ in timed] == ["CopyObject", "ListObjectsV2", "ListObjects", "GetObjectAttributes"]
    for name, ours, motos in timed:
        assert ours == motos, name
    assert "LastModified" in timed[0][1][2]
    assert parsed == []  # while the sandbox serialized


_real_parse = dateutil.parser.parse
_counting: list[bool] = []
"""Non-empty while the sandbox serializes (the client's own parser and moto's path are not counted)."""


@contextmanager
def _counted() -> Iterator[None]:
    _counting.append(True)
    try:
        yield
    finally:
        _counting.pop()
