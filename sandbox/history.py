"""Execution history, shown the way the Step Functions console shows it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

_DETAIL_KEYS = ("taskScheduledEventDetails", "lambdaFunctionScheduledEventDetails")


def history_rows(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
            "timestamp": _iso(event["timestamp"]),
        })
    return rows


def _resource(event: dict[str, Any]) -> str:
    for key in _DETAIL_KEYS:
        details = event.get(key)
        if details:
            if "resourceType" in details:
                return f"{details['resourceType']}:{details['resource']}"
            return details.get("resource", "")
    return ""


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def format_table(history: list[dict[str, Any]]) -> str:
    rows = history_rows(history)
    headers = {"id": "ID", "type": "Type", "step": "Step", "resource": "Resource",
               "elapsed_ms": "Elapsed (ms)", "timestamp": "Timestamp (virtual)"}
    widths = {k: max(len(h), *(len(str(r[k])) for r in rows)) if rows else len(h) for k, h in headers.items()}
    lines = ["  ".join(h.ljust(widths[k]) for k, h in headers.items())]
    lines.append("  ".join("-" * widths[k] for k in headers))
    for row in rows:
        lines.append("  ".join(str(row[k]).ljust(widths[k]) for k in headers))
    return "\n".join(lines)


def jsonable(value: Any) -> Any:
    """History events with timestamps as ISO strings, ready for json.dumps."""
    return json.loads(json.dumps(value, default=lambda v: _iso(v) if isinstance(v, datetime) else str(v)))
