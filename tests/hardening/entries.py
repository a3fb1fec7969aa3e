"""Each workflow's entry, read from the template, and what the sandbox holds (to prove nothing was written).

* `event_patterns(w)`: the EventBridge rule patterns of a state machine (S3 events...).
* `snapshot(sb)`: every bucket object, table item and bus event of the template, to compare before/after.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from sandbox.core import Sandbox
from tests.hardening.suite import TEMPLATE, Workflow, seed_files, template

Path_ = tuple[str | int, ...]


def event_patterns(workflow: Workflow) -> list[dict[str, Any]]:
    """Patterns of the state machine's EventBridgeRule/CloudWatchEvent events."""
    return [(event.get("Properties") or {}).get("Pattern") or {}
            for event in (workflow.properties.get("Events") or {}).values()
            if event.get("Type") in ("EventBridgeRule", "CloudWatchEvent")]


def is_s3_event(workflow: Workflow) -> bool:
    return any(pattern.get("source") == ["aws.s3"] for pattern in event_patterns(workflow))


def samples(workflow: Workflow) -> list[Any]:
    """The workflow's sample events; without any, the events its rules match (see `synthesized`)."""
    found = [json.loads(path.read_text()) for path in workflow.samples]
    return found or synthesized(workflow)


def synthesized(workflow: Workflow) -> list[dict[str, Any]]:
    """An event per rule pattern and seeded object of the rule's bucket, for a workflow with no sample of its own
    (started by events another workflow causes: S3 restores...). Each pattern's first values, resolved."""
    from sandbox.stack import Stack

    stack = Stack(template(), TEMPLATE.parent)
    seeded: dict[str, list[str]] = {}
    for seed in seed_files():
        for logical_id, objects in json.loads(seed.read_text()).items():
            if isinstance(objects, dict):
                seeded.setdefault(stack.resources[logical_id].name, []).extend(objects)
    events = []
    for pattern in event_patterns(workflow):
        resolved = stack.resolve(pattern)
        detail = _first_values(resolved.get("detail") or {})
        bucket = (detail.get("bucket") or {}).get("name")
        for n, key in enumerate(seeded.get(bucket, [None])[:3]):
            event = {"version": "0", "id": f"00000000-0000-4000-8000-{n:012d}",
                     "detail-type": (resolved.get("detail-type") or ["Event"])[0],
                     "source": (resolved.get("source") or ["sandbox"])[0], "account": stack.account_id,
                     "time": "2025-01-15T10:00:00Z", "region": stack.region,
                     "resources": [f"arn:aws:s3:::{bucket}"] if bucket else [], "detail": {"version": "0", **detail}}
            if key is not None:
                event["detail"]["object"] = {"key": key, "size": 1, "etag": "0" * 32, "sequencer": f"{n:016X}"}
            events.append(event)
    return events


def _first_values(pattern: Any) -> Any:
    if isinstance(pattern, dict):
        return {k: _first_values(v) for k, v in pattern.items()}
    if isinstance(pattern, list) and pattern and not isinstance(pattern[0], dict):
        return pattern[0]
    return pattern


def containers(value: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Paths of the objects and arrays inside a JSON value (the root included)."""
    if isinstance(value, dict):
        yield path
        for key, item in value.items():
            yield from containers(item, (*path, key))
    elif isinstance(value, list):
        yield path
        for index, item in enumerate(value):
            yield from containers(item, (*path, index))


def replaced(value: Any, path: Path_, new: Any) -> Any:
    if not path:
        return new
    result = copy.deepcopy(value)
    target = result
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return result


def get(value: Any, path: Path_) -> Any:
    """The value at `path`, or None where there is none."""
    for step in path:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def snapshot(sb: Sandbox) -> dict[str, Any]:
    """Objects (key -> ETag) of every bucket, items of every table, events delivered on any bus.

    Read from moto's backends: through the APIs, listing and scanning the seeded buckets and tables
    before and after every example cost more than the examples themselves.
    """
    from moto.dynamodb.models import dynamodb_backends
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    s3 = s3_backends[sb.account_id][get_partition(sb.region)]
    dynamodb = dynamodb_backends[sb.account_id][sb.region]
    state: dict[str, Any] = {}
    for bucket in sb.stack.of_type("AWS::S3::Bucket"):
        keys, _, _, _ = s3.list_objects(s3.get_bucket(bucket.name), None, None, None, None)
        state[bucket.logical_id] = sorted((key.name, key.etag) for key in keys)
    for table in sb.stack.of_type("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"):
        items = dynamodb.get_table(table.name).all_items()
        state[table.logical_id] = sorted(json.dumps(item.to_json()["Attributes"], sort_keys=True) for item in items)
    assert sb.router is not None
    state["bus events"] = len(sb.router.delivered)
    return state


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {name: {"before": before.get(name), "after": value} for name, value in after.items()
            if before.get(name) != value}
