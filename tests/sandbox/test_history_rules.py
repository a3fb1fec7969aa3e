"""Which history events are a state's failure: one rule for the execution page and ASL coverage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sandbox import view
from sandbox.asl_graph import parse
from sandbox.coverage import transitions
from sandbox.history import event_details, is_state_failure

# Branch A fails, so Step Functions aborts branch B's Wait; the Parallel's Catch routes to Recover.
DEFINITION: dict[str, Any] = {
    "StartAt": "Both",
    "States": {
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Check", "States": {"Check": {"Type": "Fail", "Error": "Bad", "Cause": "no"}}},
                {"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 60, "End": True}}},
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
            "End": True,
        },
        "Recover": {"Type": "Pass", "End": True},
    },
}

_START = datetime(2026, 1, 1, tzinfo=UTC)


def _history() -> list[dict[str, Any]]:
    """(type, previous event id, details): each branch's events follow the Parallel's start."""
    events: list[tuple[str, int, dict[str, Any]]] = [
        ("ExecutionStarted", 0, {"executionStartedEventDetails": {"input": "{}"}}),
        ("ParallelStateEntered", 1, {"stateEnteredEventDetails": {"name": "Both", "input": "{}"}}),
        ("ParallelStateStarted", 2, {}),
        ("FailStateEntered", 3, {"stateEnteredEventDetails": {"name": "Check", "input": "{}"}}),
        ("WaitStateEntered", 3, {"stateEnteredEventDetails": {"name": "Pause", "input": "{}"}}),
        ("WaitStateAborted", 5, {}),
        ("ParallelStateFailed", 3, {"parallelStateFailedEventDetails": {"error": "Bad", "cause": "no"}}),
        ("ParallelStateExited", 7, {"stateExitedEventDetails": {"name": "Both", "output": "{}"}}),
        ("PassStateEntered", 8, {"stateEnteredEventDetails": {"name": "Recover", "input": "{}"}}),
        ("PassStateExited", 9, {"stateExitedEventDetails": {"name": "Recover", "output": "{}"}}),
        ("ExecutionSucceeded", 10, {"executionSucceededEventDetails": {"output": "{}"}}),
    ]
    return [{"id": index, "previousEventId": previous, "type": kind,
             "timestamp": _START + timedelta(seconds=index), **details}
            for index, (kind, previous, details) in enumerate(events, start=1)]


@pytest.mark.parametrize("event_type", ["TaskFailed", "TaskTimedOut", "LambdaFunctionFailed",
                                        "LambdaFunctionTimedOut", "MapStateFailed", "ParallelStateFailed"])
def test_an_error_a_state_raises_is_a_failure(event_type: str) -> None:
    assert is_state_failure(event_type)


@pytest.mark.parametrize("event_type", ["TaskStateAborted", "WaitStateAborted", "MapIterationAborted",
                                        "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted", "TaskSucceeded"])
def test_an_abort_or_the_execution_end_is_not_a_state_failure(event_type: str) -> None:
    """An aborted state carries no error; no Retry or Catch ever sees it."""
    assert not is_state_failure(event_type)


def test_a_state_aborted_because_its_sibling_failed_shows_no_error_of_its_own() -> None:
    analysis = view.analyse(parse(DEFINITION), _history(), "SUCCEEDED", None, None)
    pause = next(state for state_id, state in analysis["states"].items() if state_id.endswith("Pause"))
    assert pause["visits"][0]["errors"] == []
    assert pause["outcome"] != "retried"
    assert analysis["states"]["Both"]["outcome"] == "caught"


def test_the_page_and_coverage_agree_on_the_caught_failure() -> None:
    taken = [(t.source, t.target, t.kind) for t in transitions(parse(DEFINITION), _history())]
    assert ("Both", "Recover", "catch") in taken


def test_event_details_are_the_events_own() -> None:
    assert event_details({"type": "TaskFailed", "taskFailedEventDetails": {"error": "E"}}) == {"error": "E"}
    assert event_details({"type": "WaitStateAborted"}) == {}
