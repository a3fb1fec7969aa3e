"""Which states and transitions of a state machine a set of executions went through.

    graph = asl_graph.parse(sb.workflow("document-processing").definition)
    report = coverage(graph, [run1, run2, ...])      # Runs, or raw history lists
    report.uncovered_states, report.uncovered_edges, report.summary()

How a history becomes transitions (`transitions(graph, history)`):

* Every `...StateEntered` event is a visit. Its predecessor is found by following
  `previousEventId` back (the event just before it when `previousEventId` is 0): the
  `...StateExited` of the previous state of the same scope, or the `...StateEntered` of a
  state that failed without exiting. Following the chain rather than the list keeps the
  concurrent branches of a Parallel and the iterations of a Map apart. A chain that reaches
  `ExecutionStarted`, `ParallelStateStarted`, `MapIterationStarted`... is the start of a
  scope: a visit, no transition.
* A failure event (`TaskFailed`, `TaskTimedOut`, `LambdaFunctionFailed`, `MapStateFailed`...)
  between the previous state and the next one makes the transition a `catch`; the error
  it carries picks the Catcher by the ASL matching rules (`States.ALL`, `States.TaskFailed`
  matches all but `States.Timeout`, else the exact name).
* From a Choice state the history does not say which rule matched. The rules are
  evaluated here on the state's recorded input (the `stateEnteredEventDetails.input`,
  after the state's InputPath): JSONPath rules with plain paths (`$.a.b`, `$.a[0]`,
  `$['a b']`), every comparison operator, the `Is*` tests, `StringMatches`, `And`/`Or`/`Not`.
  When that cannot decide (a JSONata `Condition`, a `$$`/variable/wildcard path, a
  comparison on a missing field, a truncated input) or its answer contradicts the
  state actually entered next, the transition is recorded by its (from, to) pair and
  mapped to the FIRST choice/default edge with that target; `Transition.resolved` is then
  False. LIMIT: in that case a later rule with the same target as an earlier one is never
  counted as covered, however many executions take it.
* `end` edges: entering a Fail or Succeed state covers its end edge; a state with
  `End: true` covers its end edge when it exits without a failure just before its exit.
* State names are resolved to graph ids by name. When nested scopes reuse a name, the id
  that makes the transition an edge of the graph wins (else the first one in definition
  order): histories carry names only.

Retries are not transitions (no state is entered again); see `retries(history)`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.asl_graph import Edge, EdgeKind, Graph, State
from sandbox.history import event_details, is_state_failure

SCOPE_STARTS = frozenset({"ExecutionStarted", "ParallelStateStarted", "MapStateStarted", "MapIterationStarted",
                          "MapRunStarted"})
_MISSING = object()
"""A path that does not exist in the document."""
_UNSUPPORTED = object()
"""A path this module does not evaluate (`$$`, variables, wildcards, filters)."""


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    kind: EdgeKind
    edge: Edge | None
    """The graph edge taken (None if the history shows a move the definition does not declare)."""
    resolved: bool = True
    """False when a Choice rule could not be told from the history (mapped to the first edge to `target`)."""
    event_id: int | None = None
    """Id of the history event that entered `target` (or exited the ending state, for `end`)."""


class _History:
    def __init__(self, events: list[Mapping[str, Any]]) -> None:
        self.events = sorted(events, key=lambda e: e["id"])
        self.by_id = {e["id"]: e for e in self.events}
        self.position = {e["id"]: i for i, e in enumerate(self.events)}

    def prev(self, event: Mapping[str, Any]) -> Mapping[str, Any] | None:
        previous = event.get("previousEventId") or 0
        if previous and previous in self.by_id and previous < event["id"]:
            return self.by_id[previous]
        index = self.position[event["id"]]
        return self.events[index - 1] if index > 0 else None


def _history_of(run_or_history: Any) -> list[Mapping[str, Any]]:
    return list(getattr(run_or_history, "history", run_or_history))


def visits(graph: Graph, history: Any) -> list[str]:
    """Ids of the states entered, in history order."""
    return _analyse(graph, history)[0]


def transitions(graph: Graph, history: Any) -> list[Transition]:
    """Every transition an execution took, in history order (see the module docstring)."""
    return _analyse(graph, history)[1]


def _analyse(graph: Graph, history: Any) -> tuple[list[str], list[Transition]]:
    log = _History(_history_of(history))
    entered_ids: list[str] = []
    found: list[Transition] = []
    for event in log.events:
        entered = event.get("stateEnteredEventDetails")
        if entered:
            state_id: str | None
            transition = _transition_into(graph, log, event, entered["name"])
            if transition is not None:
                found.append(transition)
                state_id = transition.target
            else:
                state_id = _scope_start_id(graph, entered["name"])
            if state_id is None:
                continue
            entered_ids.append(state_id)
            if graph.states[state_id].type in ("Fail", "Succeed"):
                found.append(_end_transition(graph, state_id, event["id"]))
            continue
        exited = event.get("stateExitedEventDetails")
        if exited:
            ending = [i for i in graph.ids_named(exited["name"]) if graph.states[i].end]
            previous = log.prev(event)
            if ending and not (previous is not None and is_state_failure(previous["type"])):
                found.append(_end_transition(graph, ending[0], event["id"]))
    return entered_ids, found


def _scope_start_id(graph: Graph, name: str) -> str | None:
    """The id of a state entered first in its scope: a scope's StartAt if one has that name."""
    ids = graph.ids_named(name)
    starts = {scope.start_at for scope in graph.scopes.values()}
    return next((i for i in ids if i in starts), ids[0] if ids else None)


def _end_transition(graph: Graph, state_id: str, event_id: int) -> Transition:
    edge = next((e for e in graph.edges_from(state_id) if e.kind == "end"), None)
    target = edge.target if edge else graph.scopes[graph.states[state_id].scope].end
    return Transition(state_id, target, "end", edge, True, event_id)


def _transition_into(graph: Graph, log: _History, event: Mapping[str, Any], name: str) -> Transition | None:
    failure: Mapping[str, Any] | None = None
    source_name: str | None = None
    cursor = log.prev(event)
    while cursor is not None:
        kind = cursor["type"]
        if "stateExitedEventDetails" in cursor:
            source_name = cursor["stateExitedEventDetails"]["name"]
            before = log.prev(cursor)
            if before is not None and is_state_failure(before["type"]):
                failure = before
            break
        if "stateEnteredEventDetails" in cursor:
            source_name = cursor["stateEnteredEventDetails"]["name"]
            break
        if kind in SCOPE_STARTS:
            return None
        if failure is None and is_state_failure(kind):
            failure = cursor
        cursor = log.prev(cursor)
    if source_name is None:
        return None
    source, target = _pick_pair(graph, source_name, name)
    state = graph.states[source]
    error = event_details(failure).get("error") if failure is not None else None
    candidates = [e for e in graph.edges_from(source) if e.target == target]
    if failure is not None and any(e.kind == "catch" for e in candidates):
        edge: Edge | None = _catch_edge(candidates, error)
        return Transition(source, target, "catch", edge, True, event["id"])
    if state.type == "Choice":
        return _choice_transition(state, source, target, candidates, _entered_input(log, source_name, event),
                                  event["id"])
    edge = next((e for e in candidates if e.kind == "next"), candidates[0] if candidates else None)
    return Transition(source, target, edge.kind if edge else "next", edge, True, event["id"])


def _pick_pair(graph: Graph, source_name: str, target_name: str) -> tuple[str, str]:
    sources, targets = graph.ids_named(source_name), graph.ids_named(target_name)
    for source in sources:
        for edge in graph.edges_from(source):
            if edge.target in targets:
                return source, edge.target
    return (sources or (source_name,))[0], (targets or (target_name,))[0]


def _catch_edge(candidates: list[Edge], error: str | None) -> Edge:
    catches = [e for e in candidates if e.kind == "catch"]
    if error is not None:
        for edge in catches:
            if error_matches(edge.errors, error):
                return edge
    return catches[0]


def error_matches(error_equals: Iterable[str], error: str) -> bool:
    """Whether a Retrier/Catcher's ErrorEquals matches `error`, as Step Functions decides."""
    names = set(error_equals)
    if "States.ALL" in names or error in names:
        return True
    return "States.TaskFailed" in names and error != "States.Timeout"


def _entered_input(log: _History, source_name: str, event: Mapping[str, Any]) -> Any:
    """The input of the Choice state's entry that `event` follows (by the previousEventId chain)."""
    cursor = log.prev(event)
    while cursor is not None:
        details = cursor.get("stateEnteredEventDetails")
        if details and details["name"] == source_name:
            if (details.get("inputDetails") or {}).get("truncated") or details.get("input") is None:
                return _MISSING
            try:
                return json.loads(details["input"])
            except (TypeError, ValueError):
                return _MISSING
        cursor = log.prev(cursor)
    return _MISSING


def _choice_transition(state: State, source: str, target: str, candidates: list[Edge], state_input: Any,
                       event_id: int) -> Transition:
    rules = list(state.definition.get("Choices", ()))
    matched: Edge | None = None
    decided = state_input is not _MISSING
    if decided and "InputPath" in state.definition:
        path = state.definition["InputPath"]
        state_input = {} if path is None else _resolve(state_input, path)
        decided = state_input is not _MISSING and state_input is not _UNSUPPORTED
    if decided:
        for index, rule in enumerate(rules):
            verdict = evaluate_rule(rule, state_input)
            if verdict is None:
                decided = False
                break
            if verdict:
                matched = next((e for e in candidates if e.kind == "choice" and e.index == index), None)
                break
        else:
            matched = next((e for e in candidates if e.kind == "default"), None)
    if decided and matched is not None:
        return Transition(source, target, matched.kind, matched, True, event_id)
    fallback = next((e for e in candidates if e.kind in ("choice", "default")), None)
    return Transition(source, target, fallback.kind if fallback else "choice", fallback, False, event_id)


# -- Choice rules (JSONPath) ---------------------------------------------------------------------

_PATH_TOKEN = re.compile(r"\.([A-Za-z_][^.\[\]]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\[\"((?:[^\"\\]|\\.)*)\"\]")


def _resolve(document: Any, path: str | None) -> Any:
    """A plain JSONPath (`$`, `$.a.b`, `$.a[0]`, `$['a b']`): the value, `_MISSING` or `_UNSUPPORTED`."""
    if not isinstance(path, str) or not path.startswith("$") or path.startswith("$$"):
        return _UNSUPPORTED
    rest, value = path[1:], document
    while rest:
        match = _PATH_TOKEN.match(rest)
        if match is None or "*" in match.group(0):
            return _UNSUPPORTED
        name, index, quoted, double = match.groups()
        key = name if name is not None else quoted if quoted is not None else double
        if index is not None:
            if not isinstance(value, list) or int(index) >= len(value):
                return _MISSING
            value = value[int(index)]
        else:
            if not isinstance(value, dict) or key not in value:
                return _MISSING
            value = value[key]
        rest = rest[match.end():]
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _string_matches(value: str, pattern: str) -> bool:
    """StringMatches: `*` is any run of characters; `\\*` and `\\\\` are literal."""
    parts, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            parts.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        i += 1
    return re.fullmatch("".join(parts), value, flags=re.DOTALL) is not None


_COMPARE = {
    "Equals": lambda a, b: a == b, "LessThan": lambda a, b: a < b, "GreaterThan": lambda a, b: a > b,
    "LessThanEquals": lambda a, b: a <= b, "GreaterThanEquals": lambda a, b: a >= b,
}
_FAMILY_CHECK = {
    "String": lambda v: v if isinstance(v, str) else None,
    "Numeric": lambda v: v if _is_number(v) else None,
    "Boolean": lambda v: v if isinstance(v, bool) else None,
    "Timestamp": _timestamp,
}
_TYPE_TESTS = {
    "IsNull": lambda v: v is None, "IsString": lambda v: isinstance(v, str), "IsNumeric": _is_number,
    "IsBoolean": lambda v: isinstance(v, bool), "IsTimestamp": lambda v: _timestamp(v) is not None,
}


def evaluate_rule(rule: Mapping[str, Any], document: Any) -> bool | None:
    """A JSONPath Choice rule on `document`: True/False, or None when it cannot be decided here."""
    if "Condition" in rule:
        return None
    for word in ("And", "Or"):
        if word in rule:
            verdicts = [evaluate_rule(sub, document) for sub in rule[word]]
            if (word == "And" and False in verdicts) or (word == "Or" and True in verdicts):
                return word == "Or"
            return None if None in verdicts else word == "And"
    if "Not" in rule:
        verdict = evaluate_rule(rule["Not"], document)
        return None if verdict is None else not verdict
    operator = next((k for k in rule if k not in ("Variable", "Next", "Comment", "Assign")), None)
    value = _resolve(document, rule.get("Variable"))
    if operator is None or value is _UNSUPPORTED:
        return None
    expected = rule[operator]
    if operator == "IsPresent":
        return (value is not _MISSING) == bool(expected)
    if value is _MISSING:
        return None  # Step Functions fails the execution on a comparison with a missing field
    if operator in _TYPE_TESTS:
        return _TYPE_TESTS[operator](value) == bool(expected)
    if operator == "StringMatches":
        return isinstance(value, str) and _string_matches(value, str(expected))
    base = operator.removesuffix("Path")
    if base != operator:
        expected = _resolve(document, expected)
        if expected is _UNSUPPORTED or expected is _MISSING:
            return None
    for family, check in _FAMILY_CHECK.items():
        if base.startswith(family) and base[len(family):] in _COMPARE:
            left, right = check(value), check(expected)
            if left is None or right is None:
                return False
            return bool(_COMPARE[base[len(family):]](left, right))
    return None


# -- report -------------------------------------------------------------------------------------


class Uncovered:
    """What a coverage record (`graph`, `visited`, `taken`) has not reached yet."""

    graph: Graph
    visited: set[str]
    taken: set[Edge]

    @property
    def uncovered_states(self) -> list[str]:
        return [state_id for state_id in self.graph.states if state_id not in self.visited]

    @property
    def uncovered_edges(self) -> list[Edge]:
        return [edge for edge in self.graph.edges if edge not in self.taken]


@dataclass
class CoverageReport(Uncovered):
    graph: Graph
    visited: set[str] = field(default_factory=set)
    taken: set[Edge] = field(default_factory=set)
    unresolved: list[Transition] = field(default_factory=list)
    """Choice transitions mapped by target only (see the module docstring)."""
    undeclared: list[Transition] = field(default_factory=list)
    """Moves the history shows that the definition does not declare (should stay empty)."""

    @property
    def state_ratio(self) -> float:
        return len(self.visited & set(self.graph.states)) / len(self.graph.states)

    @property
    def edge_ratio(self) -> float:
        return len(self.taken) / len(self.graph.edges) if self.graph.edges else 1.0

    def summary(self) -> str:
        lines = [f"states {len(self.visited & set(self.graph.states))}/{len(self.graph.states)} "
                 f"({self.state_ratio:.0%}), edges {len(self.taken)}/{len(self.graph.edges)} ({self.edge_ratio:.0%})"]
        lines += [f"  uncovered state: {state_id}" for state_id in self.uncovered_states]
        lines += [f"  uncovered edge:  {edge}" for edge in self.uncovered_edges]
        lines += [f"  choice rule inferred from target only: {t.source} -> {t.target}" for t in self.unresolved]
        lines += [f"  undeclared move: {t.source} -> {t.target}" for t in self.undeclared]
        return "\n".join(lines)


def coverage(graph: Graph, runs: Iterable[Any]) -> CoverageReport:
    """States visited and edges taken by `runs` (Run objects or history lists), against `graph`."""
    report = CoverageReport(graph)
    for run in runs:
        report.visited.update(visits(graph, run))
        for transition in transitions(graph, run):
            if transition.edge is None:
                report.undeclared.append(transition)
                continue
            report.taken.add(transition.edge)
            if not transition.resolved:
                report.unresolved.append(transition)
    return report


def retries(history: Any) -> dict[str, int]:
    """How many times each Task state was retried, by state name.

    Counted per visit: a Task entered again by a loop starts a new visit, and only
    the attempts after the first within one visit are retries. With `previousEventId`s
    (real histories) each attempt is traced back to its visit, so Tasks running at once
    in Parallel branches, whose events interleave, are told apart.
    """
    events = list(_history_of(history))
    scheduled = ("TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled")
    counts: dict[str, int] = {}
    if events and all("previousEventId" in event and "id" in event for event in events):
        visit_of: dict[Any, Any] = {}
        names: dict[Any, str] = {}
        attempts_of: dict[Any, int] = {}
        for event in events:
            entered = event.get("stateEnteredEventDetails")
            if entered:
                visit_of[event["id"]] = event["id"]
                names[event["id"]] = entered["name"]
                continue
            visit = visit_of.get(event["previousEventId"])
            if visit is not None:
                visit_of[event["id"]] = visit
                if event["type"] in scheduled:
                    attempts_of[visit] = attempts_of.get(visit, 0) + 1
        for visit, attempts in attempts_of.items():
            if attempts > 1:
                counts[names[visit]] = counts.get(names[visit], 0) + attempts - 1
        return counts
    current: str | None = None
    attempts = 0

    def close_visit() -> None:
        if current is not None and attempts > 1:
            counts[current] = counts.get(current, 0) + attempts - 1

    for event in events:
        entered = event.get("stateEnteredEventDetails")
        if entered:
            close_visit()
            current, attempts = entered["name"], 0
        elif event["type"] in scheduled and current:
            attempts += 1
    close_visit()
    return counts


__all__ = ["CoverageReport", "Transition", "coverage", "error_matches", "evaluate_rule", "retries",
           "transitions", "visits"]
