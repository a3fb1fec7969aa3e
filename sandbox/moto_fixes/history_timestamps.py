"""History event timestamps are formatted without `strftime` (speed only).

Every history event gets its time as moto's `iso_8601_datetime_with_milliseconds` text
(`2026-12-05T14:46:38.123Z`), through `datetime.strftime` and a slice: ten events per Distributed
Map child, a fortieth of a child's time. The same text comes from `sandbox.history.iso_text` (the
sandbox's own history text, built with `isoformat`); "now" still goes through moto's function.

The virtual clock only moves when every thread that holds it waits: the events of a state, and of
a whole Map child between two waits, all carry one instant. The last instant's text is kept and
given again for the same instant in the same zone (equal fields, so equal text).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.history import iso_text

_installed = False
moto_format: Any = None
"""moto's own `iso_8601_datetime_with_milliseconds` (what the tests compare the replacement with)."""
_last: tuple[datetime, str] | None = None
"""The instant formatted last and its text (one tuple: threads read and replace it whole)."""


def iso_8601_with_milliseconds(value: datetime | None = None) -> str:
    """moto's `iso_8601_datetime_with_milliseconds`: the wall (not converted) time, milliseconds truncated, a `Z`."""
    global _last
    if value is None:
        return str(moto_format(value))
    last = _last
    # Equal instants in one zone have equal fields; one instant in two zones (or naive) does not.
    if last is not None and last[0] == value and last[0].tzinfo is value.tzinfo:
        return last[1]
    text = iso_text(value)
    _last = (value, text)
    return text


def install() -> None:
    """Format the interpreter's history timestamps directly (idempotent)."""
    global _installed, moto_format
    if _installed:
        return
    from moto.stepfunctions.parser.asl.eval.event import event_manager

    moto_format = event_manager.iso_8601_datetime_with_milliseconds
    event_manager.iso_8601_datetime_with_milliseconds = iso_8601_with_milliseconds
    _installed = True
