"""Execution history, shown the way the Step Functions console shows it."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Required, TypedDict, cast


class HistoryEvent(TypedDict, total=False):
    """One GetExecutionHistory event as boto3 returns it (`Run.history`): its type as text, an aware UTC timestamp,
    and the one `...EventDetails` entry its type has, if any."""

    id: Required[int]
    type: Required[str]
    timestamp: Required[datetime]
    previousEventId: int
    activityFailedEventDetails: dict[str, Any]
    activityScheduleFailedEventDetails: dict[str, Any]
    activityScheduledEventDetails: dict[str, Any]
    activityStartedEventDetails: dict[str, Any]
    activitySucceededEventDetails: dict[str, Any]
    activityTimedOutEventDetails: dict[str, Any]
    taskFailedEventDetails: dict[str, Any]
    taskScheduledEventDetails: dict[str, Any]
    taskStartFailedEventDetails: dict[str, Any]
    taskStartedEventDetails: dict[str, Any]
    taskSubmitFailedEventDetails: dict[str, Any]
    taskSubmittedEventDetails: dict[str, Any]
    taskSucceededEventDetails: dict[str, Any]
    taskTimedOutEventDetails: dict[str, Any]
    executionFailedEventDetails: dict[str, Any]
    executionStartedEventDetails: dict[str, Any]
    executionSucceededEventDetails: dict[str, Any]
    executionAbortedEventDetails: dict[str, Any]
    executionTimedOutEventDetails: dict[str, Any]
    executionRedrivenEventDetails: dict[str, Any]
    mapStateStartedEventDetails: dict[str, Any]
    mapIterationStartedEventDetails: dict[str, Any]
    mapIterationSucceededEventDetails: dict[str, Any]
    mapIterationFailedEventDetails: dict[str, Any]
    mapIterationAbortedEventDetails: dict[str, Any]
    lambdaFunctionFailedEventDetails: dict[str, Any]
    lambdaFunctionScheduleFailedEventDetails: dict[str, Any]
    lambdaFunctionScheduledEventDetails: dict[str, Any]
    lambdaFunctionStartFailedEventDetails: dict[str, Any]
    lambdaFunctionSucceededEventDetails: dict[str, Any]
    lambdaFunctionTimedOutEventDetails: dict[str, Any]
    stateEnteredEventDetails: dict[str, Any]
    stateExitedEventDetails: dict[str, Any]
    mapRunStartedEventDetails: dict[str, Any]
    mapRunFailedEventDetails: dict[str, Any]
    mapRunRedrivenEventDetails: dict[str, Any]
    evaluationFailedEventDetails: dict[str, Any]


def json_or_text(value: Any) -> Any:
    """A JSON text as its value; anything else (text that is no JSON, a value already read) as it is."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


_last_read: tuple[str, datetime] | None = None
"""The timestamp text read last and its datetime: consecutive events mostly share one virtual instant."""


def as_api_event(event: Mapping[str, Any]) -> HistoryEvent:
    """A backend history event in boto3's shape: enum type as text, timestamp as an aware UTC datetime."""
    global _last_read
    converted = dict(event)
    converted["type"] = getattr(event["type"], "value", event["type"])
    stamp = event.get("timestamp")
    if isinstance(stamp, str):
        last = _last_read
        if last is None or last[0] != stamp:  # datetimes are immutable: one can stand in several events
            last = _last_read = (stamp, datetime.fromisoformat(stamp))
        converted["timestamp"] = last[1]
    return cast(HistoryEvent, converted)

_DETAIL_KEYS = ("taskScheduledEventDetails", "lambdaFunctionScheduledEventDetails")


def is_state_failure(event_type: str) -> bool:
    """Whether the event is an error a state raised, which its Retry and Catch see.

    TaskFailed, LambdaFunctionTimedOut, MapStateFailed... count. The execution's own end does
    not (Execution*), nor does an abort: a state stopped because its execution stopped or a
    sibling branch failed (TaskStateAborted, WaitStateAborted, MapIterationAborted) carries no
    error, and no Retry or Catch ever sees it.
    """
    return not event_type.startswith("Execution") and event_type.endswith(("Failed", "TimedOut"))


def event_details(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event's `...EventDetails` (error and cause for a failure); empty if it has none."""
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, Mapping):
            return value
    return {}


def history_rows(history: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per event: ID, type, step (state), resource, elapsed ms, virtual timestamp."""
    rows = []
    start = history[0]["timestamp"] if history else None
    step = ""
    for event in history:
        entered = event.get("stateEnteredEventDetails") or event.get("stateExitedEventDetails")
        if entered:
            step = entered["name"]
        rows.append({
            "id": event["id"],
            "type": event["type"],
            "step": step if not event["type"].startswith("Execution") else "",
            "resource": _resource(event),
            "elapsed_ms": int((event["timestamp"] - start).total_seconds() * 1000) if start else 0,
            "timestamp": iso_text(event["timestamp"]),
        })
    return rows


def _resource(event: Mapping[str, Any]) -> str:
    for key in _DETAIL_KEYS:
        details = event.get(key)
        if details:
            if "resourceType" in details:
                return f"{details['resourceType']}:{details['resource']}"
            return details.get("resource", "")
    return ""


def iso_text(value: datetime) -> str:
    """`2026-01-02T03:04:05.678Z`: the datetime's own fields, to the millisecond (cut, not rounded): moto's
    `iso_8601_datetime_with_milliseconds`, whose text the history's timestamps have."""
    if value.year < 1000:  # strftime writes such a year unpadded; isoformat pads it
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    # isoformat is strftime's text in a third less time (ten thousand Map children's histories are saved)
    return value.isoformat(timespec="milliseconds")[:23] + "Z"


def format_table(history: Sequence[Mapping[str, Any]]) -> str:
    rows = history_rows(history)
    headers = {"id": "ID", "type": "Type", "step": "Step", "resource": "Resource",
               "elapsed_ms": "Elapsed (ms)", "timestamp": "Timestamp (virtual)"}
    widths = {k: max(len(h), *(len(str(r[k])) for r in rows)) if rows else len(h) for k, h in headers.items()}
    lines = ["  ".join(h.ljust(widths[k]) for k, h in headers.items())]
    lines.append("  ".join("-" * widths[k] for k in headers))
    for row in rows:
        lines.append("  ".join(str(row[k]).ljust(widths[k]) for k in headers))
    return "\n".join(lines)


def json_default(value: Any) -> str:
    """How json.dumps writes what JSON has no type for: a datetime as ISO text, anything else as str()."""
    return _recent_iso(value, value.tzinfo) if isinstance(value, datetime) else str(value)


@functools.lru_cache(maxsize=256)
def _recent_iso(value: datetime, tzinfo: Any) -> str:
    """`iso_text`, remembered: ten thousand Map children's histories are mostly one virtual instant.

    Keyed by the zone too: equal instants in two zones are equal datetimes with different text.
    """
    return iso_text(value)


def jsonable(value: Any) -> Any:
    """History events with timestamps as ISO strings, ready for json.dumps."""
    return json.loads(json.dumps(value, default=json_default))


def virtual_duration(history: Sequence[Mapping[str, Any]]) -> float:
    """Seconds of virtual time from the first to the last event."""
    if not history:
        return 0.0
    return (history[-1]["timestamp"] - history[0]["timestamp"]).total_seconds()


def format_duration(seconds: float) -> str:
    """`2d 3h 4m 5s` (leading zero units left out); under a minute, to the millisecond."""
    if seconds < 60:
        return f"{seconds:.3f}s"
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    units = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    while units[0][0] == 0:
        units.pop(0)
    return " ".join(f"{value}{unit}" for value, unit in units)
