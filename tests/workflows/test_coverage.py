"""sandbox/coverage.py on small synthetic histories: Parallel/Map chains, Catch, unresolvable Choices."""

from __future__ import annotations

import json
from typing import Any

from sandbox.asl_graph import parse
from sandbox.coverage import coverage, error_matches, evaluate_rule, transitions

DEFINITION = {
    "StartAt": "Route",
    "States": {
        "Route": {"Type": "Choice", "QueryLanguage": "JSONata", "Choices": [
            {"Condition": "{% $states.input.n > 1 %}", "Next": "Fan"},
            {"Condition": "{% $states.input.n = 1 %}", "Next": "Fan"}], "Default": "Done"},
        "Fan": {"Type": "Parallel", "Branches": [
            {"StartAt": "A1", "States": {"A1": {"Type": "Pass", "Next": "A2"}, "A2": {"Type": "Pass", "End": True}}},
            {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": True}}}], "Next": "Call"},
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
                 "Catch": [{"ErrorEquals": ["Custom.Error"], "Next": "Done"},
                           {"ErrorEquals": ["States.ALL"], "Next": "Done"}]},
        "Done": {"Type": "Succeed"},
    },
}


def ev(event_id: int, previous: int, kind: str, name: str | None = None, **details: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"id": event_id, "previousEventId": previous, "type": kind}
    if kind.endswith("StateEntered"):
        event["stateEnteredEventDetails"] = {"name": name, "input": json.dumps(details.get("input", {}))}
    elif kind.endswith("StateExited"):
        event["stateExitedEventDetails"] = {"name": name, "output": "{}"}
    elif details:
        event["taskFailedEventDetails"] = details
    return event


# Branches interleave in list order; only previousEventId tells them apart. The caught failure
# has no TaskStateExited (as AWS records it).
HISTORY = [
    ev(1, 0, "ExecutionStarted"),
    ev(2, 0, "ChoiceStateEntered", "Route", input={"n": 1}),
    ev(3, 2, "ChoiceStateExited", "Route"),
    ev(4, 3, "ParallelStateEntered", "Fan"),
    ev(5, 4, "ParallelStateStarted"),
    ev(6, 5, "PassStateEntered", "A1"),
    ev(7, 5, "PassStateEntered", "B1"),
    ev(8, 6, "PassStateExited", "A1"),
    ev(9, 7, "PassStateExited", "B1"),
    ev(10, 8, "PassStateEntered", "A2"),
    ev(11, 10, "PassStateExited", "A2"),
    ev(12, 11, "ParallelStateSucceeded"),
    ev(13, 12, "ParallelStateExited", "Fan"),
    ev(14, 13, "TaskStateEntered", "Call"),
    ev(15, 14, "TaskScheduled"),
    ev(16, 15, "TaskFailed", error="Custom.Error", cause="boom"),
    ev(17, 16, "SucceedStateEntered", "Done"),
    ev(18, 17, "SucceedStateExited", "Done"),
    ev(19, 18, "ExecutionSucceeded"),
]


def test_transitions_follow_each_branch_and_resolve_the_catcher():
    graph = parse(DEFINITION)
    taken = [(t.source, t.kind, t.target, t.edge.index if t.edge else None, t.resolved)
             for t in transitions(graph, HISTORY)]
    assert taken == [
        ("Route", "choice", "Fan", 0, False),  # JSONata: mapped to the first rule with that target
        ("Fan/branch1/B1", "end", "Fan/branch1/(end)", None, True),
        ("Fan/branch0/A1", "next", "Fan/branch0/A2", None, True),
        ("Fan/branch0/A2", "end", "Fan/branch0/(end)", None, True),
        ("Fan", "next", "Call", None, True),
        ("Call", "catch", "Done", 0, True),
        ("Done", "end", "(end)", None, True),
    ]


def test_report_lists_what_was_not_covered():
    report = coverage(parse(DEFINITION), [HISTORY])
    assert report.uncovered_states == []
    assert [str(e) for e in report.uncovered_edges] == [
        "Route -choice [$states.input.n = 1]-> Fan",
        "Route -default [default]-> Done",
        "Call -catch [States.ALL]-> Done",
        "Call -end-> (end)",
    ]
    assert [(t.source, t.target) for t in report.unresolved] == [("Route", "Fan")]
    assert report.summary().splitlines()[0] == "states 7/7 (100%), edges 7/11 (64%)"


def test_choice_rules_evaluate_on_the_recorded_input():
    document = {"a": {"b": [1, "x"]}, "t": "2025-01-15T10:00:00Z", "n": None}
    assert evaluate_rule({"Variable": "$.a.b[0]", "NumericEquals": 1}, document) is True
    assert evaluate_rule({"Variable": "$.a.b[1]", "NumericEquals": 1}, document) is False
    assert evaluate_rule({"Variable": "$.t", "TimestampLessThan": "2025-01-16T00:00:00Z"}, document) is True
    assert evaluate_rule({"Variable": "$.n", "IsNull": True}, document) is True
    assert evaluate_rule({"Variable": "$.zz", "IsPresent": False}, document) is True
    assert evaluate_rule({"Variable": "$.a.b[1]", "StringMatches": "x*"}, document) is True
    assert evaluate_rule({"Not": {"Variable": "$.zz", "StringEquals": "x"}}, document) is None  # missing field
    assert evaluate_rule({"Variable": "$$.Execution.Id", "IsPresent": True}, document) is None
    assert evaluate_rule({"Or": [{"Variable": "$.zz", "StringEquals": "x"},
                                 {"Variable": "$.n", "IsNull": True}]}, document) is True


def test_error_matching_follows_the_asl_rules():
    assert error_matches(["States.ALL"], "States.Timeout")
    assert error_matches(["States.TaskFailed"], "Rekognition.ThrottlingException")
    assert not error_matches(["States.TaskFailed"], "States.Timeout")
    assert not error_matches(["Custom.Error"], "Other.Error")


def test_retries_are_counted_per_visit_not_per_loop():
    """A Task polled three times by a loop, never failing, was never retried; a failed attempt is one retry."""
    from sandbox.coverage import retries

    def visit(event_id: int, name: str, attempts: int) -> list[dict]:
        events = [{"id": event_id, "type": "TaskStateEntered", "stateEnteredEventDetails": {"name": name}}]
        events += [{"id": event_id + 1 + i, "type": "TaskScheduled"} for i in range(attempts)]
        return events

    history = visit(1, "Poll", 1) + visit(10, "Poll", 1) + visit(20, "Poll", 2)
    assert retries(history) == {"Poll": 1}
