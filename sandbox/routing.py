"""Deliver EventBridge events along the template's rules, as EventBridge would.

moto delivers only to logs, SQS, buses and archives, raises for a state machine
or Lambda target, and sends S3 notifications to every bus. The router keeps
moto's pattern matching and takes over delivery (`sandbox.moto_fixes.eventbridge_delivery`
hands it moto's PutEvents and S3 notifications): every event put on a bus is
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
        flat: dict[str, Any] | None = None
        for rule in list(event_bus.rules.values()):
            if rule.state != "ENABLED":
                continue
            if flat is None:
                flat = _flattened(event)
            if _matches(rule.event_pattern, flat):
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
            self.clock.pace()
            self._start_execution(target["Arn"], json.dumps(payload))
        elif service == "lambda":
            self.clock.pace()
            self._invoke_async(target["Arn"], payload)
        else:
            # Queues, logs, archives: moto knows how; give it this one target only.
            clone = copy.copy(rule)
            clone.targets = [target]
            clone.send_to_targets(event, transform_input=True)


def _flattened(event: dict[str, Any]) -> dict[str, Any]:
    """The event as moto's EventPattern.matches_event reads it (a JSON copy, flattened), once for every rule."""
    from moto.events.models import EventPattern

    return EventPattern._flatten_dict(json.loads(json.dumps(event)))


def _matches(pattern: Any, flat: dict[str, Any]) -> bool:
    """moto's EventPattern.matches_event on an event already flattened."""
    rules = pattern.get_pattern()
    return not rules or bool(pattern._does_event_match(flat, rules))


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


def activate(router: EventRouter | None) -> None:
    global _active
    _active = router


def active() -> EventRouter | None:
    """The running sandbox's router; None when no sandbox runs (moto then delivers as it does)."""
    return _active
