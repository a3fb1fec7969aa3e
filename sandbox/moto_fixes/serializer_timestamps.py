"""moto's response serializer writes the timestamps it holds as text without parsing them with dateutil.

moto's backends keep many timestamps as ISO 8601 text in UTC (S3's LastModified,
`2026-12-05T14:46:38.000Z`), and its serializer turns each into a datetime with botocore's
`parse_to_aware_datetime` before writing it in the member's format: a float conversion that
fails, then dateutil's general parser, about 0.3 ms a value (two per CopyObject, one per object of
a ListObjectsV2 page). Text of exactly that form (and an HTTP date, `Sat, 05 Dec 2026 14:46:38 GMT`)
is read here with the standard library into the same instant; every other value takes moto's path.
The text written is moto's own converter's, so the response is byte for byte the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final

_ISO_UTC: Final[re.Pattern[str]] = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?Z")
_HTTP_DATE: Final[re.Pattern[str]] = re.compile(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT")

_installed = False
moto_convert: Callable[..., Any] | None = None
"""moto's own `TimestampSerializer._convert_timestamp_to_str`, once installed (to compare against)."""


def aware_utc(value: str) -> datetime | None:
    """The instant of an ISO 8601 UTC text or an HTTP date, as an aware UTC datetime; None for any other text."""
    if _ISO_UTC.fullmatch(value):
        return datetime.fromisoformat(value)  # Python 3.11 reads the "Z"
    if _HTTP_DATE.fullmatch(value):
        return parsedate_to_datetime(value).astimezone(UTC)
    return None


def install() -> None:
    global _installed, moto_convert
    if _installed:
        return
    from moto.core.serialize import TimestampSerializer

    original = moto_convert = TimestampSerializer._convert_timestamp_to_str

    def convert(self: TimestampSerializer, value: Any, timestamp_format: str) -> Any:
        moment = aware_utc(value) if isinstance(value, str) else None
        if moment is None:
            return original(self, value, timestamp_format)
        return getattr(self, f"_timestamp_{timestamp_format.lower()}")(moment)

    TimestampSerializer._convert_timestamp_to_str = convert
    _installed = True
