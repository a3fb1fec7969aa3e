"""EventBridge delivers to every target of a matching rule, and S3 sends its events to the default bus only.

moto delivers only to logs, SQS, buses and archives, raises for a state machine or Lambda
target, skips PutEvents' per-entry validation, and sends S3 notifications to every bus. While
a sandbox runs, PutEvents entries are checked as EventBridge checks them and, with S3's
EventBridge notifications (the real detail shape), handed to the sandbox's router
(`sandbox.routing`), which matches rules and delivers. With no sandbox running, PutEvents is
moto's own and S3 sends nothing to EventBridge.

S3 sends an object's event once the request that wrote it is done, as AWS does: moto notifies
from inside PutObject, before its response layer sets the object's metadata, ACL and tags, so
an execution started by the event could read the object without its metadata.
"""

from __future__ import annotations

import functools
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

from sandbox import routing

_installed = False

_S3_REASONS = {"Put": "PutObject", "Post": "PostObject", "Copy": "CopyObject",
               "CompleteMultipartUpload": "CompleteMultipartUpload"}

_ORIGINALS: dict[str, Any] = {}
_requests = threading.local()
"""`pending`: the S3 events of the object request this thread is answering (None: no such request)."""


def _put_events(backend: Any, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """PutEvents with EventBridge's per-entry validation, delivered by the router."""
    router = routing.active()
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
    router = routing.active()
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
    event = router.envelope("aws.s3", detail_type, detail, [f"arn:aws:s3:::{bucket.name}"])
    pending = getattr(_requests, "pending", None)
    if pending is None:
        router.put("default", event)
    else:
        pending.append((router, event))


def sending_events_at_the_end(handler: Callable[..., Any]) -> Callable[..., Any]:
    """An S3 request handler whose object events go out once it returned (or failed, the object written)."""

    @functools.wraps(handler)
    def handle(*args: Any, **kwargs: Any) -> Any:
        if getattr(_requests, "pending", None) is not None:  # nested: the outer request sends
            return handler(*args, **kwargs)
        _requests.pending = []
        try:
            return handler(*args, **kwargs)
        finally:
            pending, _requests.pending = _requests.pending, None
            for router, event in pending:
                router.put("default", event)

    return handle


def install() -> None:
    """Take over EventBridge delivery in moto (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.events.models import EventsBackend
    from moto.s3 import notifications
    from moto.s3.responses import S3Response

    _ORIGINALS["put_events"] = EventsBackend.put_events
    EventsBackend.put_events = _put_events  # type: ignore[assignment]
    notifications._send_event_bridge_message = _send_s3_event
    for name in ("key_response", "bucket_response"):  # object writes: PUT/POST/copy/multipart, form uploads
        setattr(S3Response, name, sending_events_at_the_end(getattr(S3Response, name)))
    _installed = True
