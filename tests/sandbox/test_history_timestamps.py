"""History timestamps formatted from the datetime's fields (`sandbox.moto_fixes.history_timestamps`) read as moto's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sandbox.moto_fixes import history_timestamps


@pytest.mark.parametrize("moment", [
    datetime(2026, 12, 5, 14, 46, 38, 123456, tzinfo=UTC), datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 999999), datetime(1999, 9, 9, 9, 9, 9, 999),
    datetime(2026, 6, 1, 12, 0, 0, 1000, tzinfo=timezone(timedelta(hours=2))), datetime(999, 1, 1, 0, 0, 0, 5000),
], ids=["aware", "no fraction", "naive, last microsecond", "sub-millisecond", "other zone", "year 999"])
def test_timestamps_read_as_moto_formats_them(moment: datetime) -> None:
    history_timestamps.install()
    assert history_timestamps.iso_8601_with_milliseconds(moment) == history_timestamps.moto_format(moment)


def test_the_interpreter_uses_the_direct_format() -> None:
    from moto.stepfunctions.parser.asl.eval.event import event_manager

    history_timestamps.install()
    assert event_manager.iso_8601_datetime_with_milliseconds is history_timestamps.iso_8601_with_milliseconds
