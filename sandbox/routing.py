"""Deliver EventBridge events along the template's rules, as EventBridge would.

moto delivers only to logs, SQS, buses and archives, raises for a state machine
or Lambda target, and sends S3 notifications to every bus. The router keeps
moto's pattern matching and takes over delivery: every event put on a bus is
recorded (so tests can assert what was published), matched against that bus's
rules, shaped by the target's Input/InputPath/InputTransformer, and handed to a
state machine (StartExecution) or an in-process function (async Invoke).
"""

from __future__ import annotations

import copy
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sandbox.clock import VirtualClock

_active: EventRouter | None = None
_installed = False

_S3_REASONS = {"Put": "PutObject", "Post": "PostObject", "Copy": "CopyObject",
               "CompleteMultipartUpload": "CompleteMultipartUpload"}


@dataclass(frozen=True)
class DeliveredEvent:
    bus: str
    event: dict[str, Any]


class EventRouter:
    """Routes events for one sandbox."""

    def __init__(self, clock: VirtualClock, region: str, account_id: str,
                 start_execution: Callable[[str, str], None],
                 invoke_async: Callable[[str, Any], None]) -> None:
        self.clock = clock
        self.region = region
        self.account_id = account_id
        self._start_execution = start_execution
        self._invoke_async = invoke_async
        self.delivered: list[DeliveredEvent] = []
        self._lock = threading.Lock()
        self._muted = False

    @contextmanager
    def muted(self) -> Iterator[None]:
        """Drop events while seeding fixtures: setting up a scenario triggers nothing."""
        self._muted = True
        try:
            yield
        finally:
            self._muted = False

    # -- entry points --------------------------------------------------------
    def put(self, bus: str, event: dict[str, Any]) -> None:
        """Put one fully formed event on a bus and deliver it to matching rules."""
        if self._muted:
            return
        with self._lock:
            self.delivered.append(DeliveredEvent(bus, event))
        from moto.events.models import events_backends

        backend = events_backends[self.account_id][self.region]
        event_bus = backend.event_buses.get(bus)
        if event_bus is None:
            return
        for rule in list(event_bus.rules.values()):
            if rule.state == "ENABLED" and rule.event_pattern.matches_event(event):
                for target in rule.targets:
                    self._deliver(rule, target, event)

    def envelope(self, source: str, detail_type: str, detail: dict[str, Any],
                 resources: list[str] | None = None, time: str | None = None) -> dict[str, Any]:
        """An event with EventBridge's envelope, stamped with virtual time."""
        return {
            "version": "0", "id": str(uuid.uuid4()), "detail-type": detail_type, "source": source,
            "account": self.account_id, "time": time or self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region, "resources": resources or [], "detail": detail,
        }

    # -- delivery ------------------------------------------------------------
    def _deliver(self, rule: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
        payload = _target_input(target, event)
        service = target["Arn"].split(":")[2]
        if service == "states":
            self._start_execution(target["Arn"], json.dumps(payload))
        elif service == "lambda":
            self._invoke_async(target["Arn"], payload)
        else:
            # Queues, logs, archives: moto knows how; give it this one target only.
            clone = copy.copy(rule)
            clone.targets = [target]
            _original_send_to_targets(clone, event)


def _target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        return _json_path(event, target["InputPath"])
    if "InputTransformer" in target:
        return _transform(target["InputTransformer"], event)
    return event


_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def _transform(transformer: dict[str, Any], event: dict[str, Any]) -> Any:
    """EventBridge InputTransformer: `<name>` takes the value at InputPathsMap[name].

    As in EventBridge, a placeholder inside a JSON string inserts the raw text; outside
    one it inserts the JSON value (so a string gains its quotes). `<aws.events.*>`
    names are predefined.
    """
    values = {name: _json_path(event, path) for name, path in transformer.get("InputPathsMap", {}).items()}
    values.update({"aws.events.event": event, "aws.events.event.json": event,
                   "aws.events.rule-arn": "", "aws.events.event.ingestion-time": event.get("time")})
    template = transformer.get("InputTemplate", "")
    out, in_string, last = [], False, 0
    for index, char in enumerate(template):
        if char == '"' and (index == 0 or template[index - 1] != "\\"):
            in_string = not in_string
        elif char == "<" and (match := _PLACEHOLDER.match(template, index)) and match.group(1) in values:
            value = values[match.group(1)]
            out.append(template[last:index])
            if in_string:
                out.append(json.dumps(value)[1:-1] if isinstance(value, str) else json.dumps(value))
            else:
                out.append(json.dumps(value))
            last = match.end()
    out.append(template[last:])
    text = "".join(out)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text  # a plain-text template delivers text, as EventBridge does


def _json_path(document: Any, path: str) -> Any:
    value = document
    for part in [p for p in path.removeprefix("$").split(".") if p]:
        value = value.get(part) if isinstance(value, dict) else None
    return value


# -- moto patches ---------------------------------------------------------------
def _original_send_to_targets(rule: Any, event: dict[str, Any]) -> None:
    _ORIGINALS["send_to_targets"](rule, event, transform_input=True)


_ORIGINALS: dict[str, Any] = {}


def _put_events(backend: Any, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """PutEvents with EventBridge's per-entry validation, delivered by the router."""
    router = _active
    if router is None:
        return _ORIGINALS["put_events"](backend, entries)
    if len(entries) > 10:
        from moto.events.exceptions import ValidationException

        raise ValidationException("1 validation error detected: Value at 'entries' failed to satisfy "
                                  "constraint: Member must have length less than or equal to 10")
    results = []
    for entry in entries:
        problem = _entry_problem(entry)
        if problem:
            results.append(problem)
            continue
        bus = backend._normalize_event_bus_arn(entry.get("EventBusName"))
        event = router.envelope(entry["Source"], entry["DetailType"], json.loads(entry["Detail"]),
                                entry.get("Resources", []))
        router.put(bus, event)
        results.append({"EventId": event["id"]})
    return results


def _entry_problem(entry: dict[str, Any]) -> dict[str, str] | None:
    for key in ("Source", "DetailType", "Detail"):
        if not entry.get(key):
            return {"ErrorCode": "InvalidArgument",
                    "ErrorMessage": f"Parameter {key} is not valid. Reason: {key} is a required argument."}
    try:
        json.loads(entry["Detail"])
    except ValueError:
        return {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    return None


def _send_s3_event(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
    """S3 -> EventBridge: the real detail shape, on the default bus only."""
    router = _active
    if router is None:
        return
    _, category, action = event_name.split(":")
    detail_type = {"ObjectCreated": "Object Created", "ObjectRemoved": "Object Deleted"}.get(category)
    if detail_type is None:
        return
    detail: dict[str, Any] = {
        "version": "0", "bucket": {"name": bucket.name},
        "object": {"key": key.name, "size": key.size, "etag": key.etag.replace('"', ""),
                   "sequencer": uuid.uuid4().hex[:18].upper()},
        "request-id": uuid.uuid4().hex[:16].upper(), "requester": account_id,
        "source-ip-address": "127.0.0.1", "reason": _S3_REASONS.get(action, action),
    }
    if key.version_id and key.version_id != "null":
        detail["object"]["version-id"] = key.version_id
    if detail_type == "Object Deleted":
        detail["deletion-type"] = "Permanently Deleted"
    router.put("default", router.envelope("aws.s3", detail_type, detail, [f"arn:aws:s3:::{bucket.name}"]))


def install() -> None:
    """Take over EventBridge delivery in moto (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.events.models import EventsBackend, Rule
    from moto.s3 import notifications

    _ORIGINALS["put_events"] = EventsBackend.put_events
    _ORIGINALS["send_to_targets"] = Rule.send_to_targets
    EventsBackend.put_events = _put_events
    notifications._send_event_bridge_message = _send_s3_event
    _installed = True


def activate(router: EventRouter | None) -> None:
    global _active
    _active = router
