"""History event timestamps are formatted without `strftime` (speed only).

Every history event gets its time as moto's `iso_8601_datetime_with_milliseconds` text
(`2026-12-05T14:46:38.123Z`), through `datetime.strftime` and a slice: ten events per Distributed
Map child, a fortieth of a child's time. The same text comes from `sandbox.history.iso_text` (the
sandbox's own history text, built with `isoformat`); "now" still goes through moto's function.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.history import iso_text

_installed = False
moto_format: Any = None
"""moto's own `iso_8601_datetime_with_milliseconds` (what the tests compare the replacement with)."""


def iso_8601_with_milliseconds(value: datetime | None = None) -> str:
    """moto's `iso_8601_datetime_with_milliseconds`: the wall (not converted) time, milliseconds truncated, a `Z`."""
    return str(moto_format(value)) if value is None else iso_text(value)


def install() -> None:
    """Format the interpreter's history timestamps directly (idempotent)."""
    global _installed, moto_format
    if _installed:
        return
    from moto.stepfunctions.parser.asl.eval.event import event_manager

    moto_format = event_manager.iso_8601_datetime_with_milliseconds
    event_manager.iso_8601_datetime_with_milliseconds = iso_8601_with_milliseconds
    _installed = True
