"""Executions an EventBridge rule starts are started on moto's backend, exactly as through the API.

The same "Object Restore Completed" events (a copied object, a copy that fails, a duplicate, an
object nobody requested, the last object that notifies) go through the same rules twice, with moto's
random generator seeded alike: once started in-process (`api.start_in_process`), once through
botocore's StartExecution. Statuses, inputs, outputs and whole histories are equal; names are drawn
from moto's generator as the API draws them (compared where no execution draws at the same time: on
the API path a running execution's calls race the StartExecution answer for the generator).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from moto.moto_api._internal import mock_random

from sandbox.clock import VirtualClock
from sandbox.core import Sandbox
from sandbox.moto_fixes import api as api_fixes
from sandbox.session import shared_client
from tests.conftest import TEMPLATE

COMPLETE = "glacier-restore-complete"
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KEYS = ["in/copied.bin", "in/archived.bin", "in/copied.bin", "in/stranger.bin", "in/last.bin"]
"""In delivery order: copied; still archived (CopyObject fails); a duplicate; never requested; the last one."""


def _event(bucket: str, key: str, number: int) -> dict[str, Any]:
    """An S3 "Object Restore Completed" event, fixed to the byte (its id too)."""
    return {
        "version": "0", "id": f"00000000-0000-4000-8000-{number:012}", "detail-type": "Object Restore Completed",
        "source": "aws.s3", "account": "123456789012", "time": "2026-03-01T12:00:00Z", "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {"version": "0", "bucket": {"name": bucket}, "object": {"key": key, "size": 1, "etag": "e"},
                   "request-id": f"R{number}", "requester": "s3.amazonaws.com",
                   "restore-expiry-time": "2026-03-05T00:00:00Z", "source-storage-class": "DEEP_ARCHIVE"},
    }


def _story(monkeypatch: pytest.MonkeyPatch, *, in_process: bool) -> tuple[list[tuple[Any, ...]], list[bool]]:
    """Every post-processing execution of the events above, and what `start_in_process` answered each time."""
    answers: list[bool] = []
    original: Callable[..., bool] = api_fixes.start_in_process

    def start_in_process(*args: Any) -> bool:
        answers.append(original(*args) if in_process else False)
        return answers[-1]

    monkeypatch.setattr(api_fixes, "start_in_process", start_in_process)
    with Sandbox.from_template(TEMPLATE, clock=VirtualClock(START), direct_calls=True) as sb:
        mock_random.seed(20260301)  # here: a sandbox restored from a snapshot draws less while it starts
        bucket, table = sb.bucket_name("ArchiveBucket"), sb.stack.resources["RestoreTrackingTable"].name
        s3, ddb = shared_client(sb.region, "s3"), shared_client(sb.region, "dynamodb")
        with sb.router.muted():
            s3.put_object(Bucket=bucket, Key="in/copied.bin", Body=b"x")
            s3.put_object(Bucket=bucket, Key="in/archived.bin", Body=b"x", StorageClass="DEEP_ARCHIVE")
            s3.put_object(Bucket=bucket, Key="in/last.bin", Body=b"x")
        for key in ("in/copied.bin", "in/archived.bin", "in/last.bin"):
            ddb.put_item(TableName=table, Item={"pk": {"S": f"OBJECT#{key}"}, "sk": {"S": "OBJECT"},
                                                "status": {"S": "RESTORING"}, "requestId": {"S": "req-1"}})
        ddb.put_item(TableName=table, Item={"pk": {"S": "REQUEST#req-1"}, "sk": {"S": "REQUEST"},
                                            "pending": {"N": "3"}, "restored": {"N": "0"}, "copyFailed": {"N": "0"},
                                            "days": {"N": "3"}, "requester": {"S": "jane.doe@example.com"}})
        for number, key in enumerate(KEYS):
            sb.router.put("default", _event(bucket, key, number))
            sb.settle()
        runs = sb.executions(COMPLETE)
        return [_without_request_ids((r.execution_arn.rsplit(":", 1)[0], r.status, r.input, r.output, r.error, r.cause,
                                      json.dumps(r.history, default=str))) for r in runs], answers


def _without_request_ids(run: tuple[Any, ...]) -> tuple[Any, ...]:
    """Without what differs between any two runs: a service error's random request ID and SNS's message ID (drawn
    from the same generator, which the API path's calls race for) and the copy's LastModified (moto's S3 writes
    wall time)."""
    text = re.sub(r"Request ID: [A-Za-z0-9]+", "Request ID: ...", json.dumps(run, default=str))
    text = re.sub(r'(MessageId\\+": \\+")[0-9a-f-]+', r"\1...", text)
    text = re.sub(r'(LastModified\\+": \\+")[0-9T:Z-]+', r"\1...", text)
    return tuple(json.loads(text))


def test_executions_started_in_process_are_those_the_api_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    in_process, answered = _story(monkeypatch, in_process=True)
    through_api, _ = _story(monkeypatch, in_process=False)
    assert answered == [True] * len(KEYS)
    assert len(in_process) == len(KEYS)
    for ours, theirs in zip(in_process, through_api, strict=True):
        assert ours[:6] == theirs[:6]
        assert _events(ours) == _events(theirs)
    ends = [json.loads(history)[-2]["stateExitedEventDetails"]["name"] for *_, history in in_process]
    assert ends == ["ObjectProcessed", "ObjectProcessed", "AlreadyProcessed", "NotRequested", "RequestComplete"]
    assert [(status, error) for _, status, _, _, error, _, _ in in_process] == [("SUCCEEDED", None)] * len(KEYS)


def _events(run: tuple[Any, ...]) -> list[str]:
    """A run's history, one event a line (a difference shows as the event it is in)."""
    return [json.dumps(event, sort_keys=True) for event in json.loads(run[6])]


def _names(start: Callable[[Sandbox, str], Any]) -> list[str]:
    with Sandbox.from_template(TEMPLATE) as sb:
        arn = sb.workflow(COMPLETE).arn
        mock_random.seed(7)
        for _ in range(3):
            start(sb, arn)  # "{}" fails the first state: the execution draws nothing
            sb.settle()
        return [run.execution_arn.rsplit(":", 1)[1] for run in sb.executions(COMPLETE)]


def test_names_are_drawn_as_the_api_draws_them() -> None:
    in_process = _names(lambda sb, arn: api_fixes.start_in_process(sb._backend(), arn, "{}"))
    through_api = _names(lambda sb, arn: sb.sfn.start_execution(stateMachineArn=arn, input="{}"))
    assert in_process == through_api and len(set(in_process)) == 3


def test_what_the_api_must_answer_is_left_to_it() -> None:
    with Sandbox.from_template(TEMPLATE) as sb:
        backend = sb._backend()
        arn = sb.workflow(COMPLETE).arn
        missing = arn.rsplit(":", 1)[0] + ":no-such-machine"
        assert api_fixes.start_in_process(backend, missing, "{}") is False
        assert api_fixes.start_in_process(backend, arn, json.dumps({"x": "y" * 300_000})) is False
        assert api_fixes.start_in_process(backend, "not-an-arn", "{}") is False
        assert sb.executions(COMPLETE) == []
        assert api_fixes.start_in_process(backend, arn, "{}") is True
        (run,) = sb.settle()
        assert run.error == "GlacierRestoreComplete.InvalidEvent"
