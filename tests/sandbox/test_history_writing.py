"""History events written without copying a state's input read as moto writes them.

Timestamps (`history_timestamps`): every form of datetime moto's history sees (naive, UTC, other offsets,
the same instant in two offsets, with and without microseconds), against moto's own function.
Details: the same executions (Pass, Parameters, Assign, a Choice, a Fail) run with the sandbox's
writers and again with moto's put back; their histories are equal, timestamps aside (wall time).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from moto import mock_aws
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.asl.eval.event import event_manager

from sandbox.moto_fixes import history_timestamps, history_writing
from tests.sandbox.engine_helpers import ENGINE_CONFIG, create_machine, history, sfn_client, wait_done

PLUS_TWO = timezone(timedelta(hours=2))
MOMENTS = [
    datetime(2026, 3, 1, 12, 0), datetime(2026, 3, 1, 12, 0, tzinfo=UTC), datetime(2026, 3, 1, 12, 0, 0, 1, tzinfo=UTC),
    datetime(2026, 3, 1, 12, 0, 0, 999999, tzinfo=UTC), datetime(2026, 3, 1, 14, 0, tzinfo=PLUS_TWO),
    datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=PLUS_TWO),
]


def test_each_instant_reads_as_moto_writes_it() -> None:
    history_timestamps.install()
    ours = event_manager.iso_8601_datetime_with_milliseconds
    assert ours is history_timestamps.iso_8601_with_milliseconds
    for moment in MOMENTS:
        assert ours(moment) == history_timestamps.moto_format(moment)
    # 12:00 UTC and 14:00 +02:00 are one instant, read two ways
    assert ours(MOMENTS[1]) != ours(MOMENTS[4])


DEFINITION = {
    "StartAt": "Shape",
    "States": {
        "Shape": {"Type": "Pass", "Parameters": {"id.$": "$.id", "when": "now", "list": [1, {"a": None}]},
                  "Assign": {"seen.$": "$.id", "count": 2}, "Next": "Decide"},
        "Decide": {"Type": "Choice", "Choices": [{"Variable": "$.id", "StringEquals": "fail", "Next": "Broken"}],
                   "Default": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"seen.$": "$.id", "text": "é\u2028\"q\""}, "End": True},
        "Broken": {"Type": "Fail", "Error": "Broken", "Cause": "asked to"},
    },
}


@pytest.fixture
def machine() -> Iterator[str]:
    history_writing.install()
    with mock_aws(config=ENGINE_CONFIG):
        yield create_machine(DEFINITION)


def _histories(machine: str) -> list[list[dict[str, Any]]]:
    runs = []
    for payload in ({"id": "x-1", "extra": {"deep": [1, 2, {"b": True}]}}, {"id": "fail"}):
        arn = sfn_client().start_execution(stateMachineArn=machine, name=uuid.uuid4().hex,
                                           input=json.dumps(payload))["executionArn"]
        wait_done(arn)
        runs.append([{k: v for k, v in event.items() if k != "timestamp"} for event in history(arn)])
    return runs


def test_state_details_are_moto_own(machine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ours = _histories(machine)
    monkeypatch.setattr(CommonStateField, "_get_state_entered_event_details", history_writing.moto_originals["entered"])
    monkeypatch.setattr(CommonStateField, "_get_state_exited_event_details", history_writing.moto_originals["exited"])
    assert ours == _histories(machine)
    exited = [e["stateExitedEventDetails"] for e in ours[0] if e["type"] == "PassStateExited"]
    assert exited[0]["assignedVariables"] == {"seen": '"x-1"', "count": "2"}
    assert json.loads(exited[1]["output"]) == {"seen": "x-1", "text": "é\u2028\"q\""}
