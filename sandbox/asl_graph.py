"""An ASL definition as a graph: its states, its scopes and every transition it declares.

    graph = parse(json.loads(Path("statemachines/document-processing.asl.json").read_text()))
    graph.edges_from("DetectLabels")   # (next -> ClassifyDocument, catch [States.ALL] -> LabelDetectionFailed)

Scopes: the state machine itself is the root scope (id ""); every Parallel branch and
every Map ItemProcessor (or legacy Iterator) is a nested scope whose id is its parent
state's id plus `/branch<i>` or `/ItemProcessor` (`/Iterator`). State names are unique
within a scope, so a state's id is its name at the root and `<scope id>/<name>` inside a
nested scope, e.g. `ProcessAll/ItemProcessor/Resize`.

Edges, in definition order, state by state:

* `next`    - the state's `Next`;
* `choice`  - one per Choices rule of a Choice state (`index` = rule position, `label` =
              the condition when it is short, `rule <n>` otherwise; `condition` = full text);
* `default` - a Choice state's `Default`;
* `catch`   - one per Catcher (`index`, `errors` = its ErrorEquals, `label` = them joined);
* `end`     - from a state that ends its scope (`End: true`, Succeed, Fail) to the scope's
              end node, `Scope.end` (`(end)` at the root, `<scope id>/(end)` inside).

Retriers are no edges (a retry re-enters nothing): they are kept on `State.retry`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

EdgeKind = Literal["next", "choice", "default", "catch", "end"]
EDGE_KINDS: tuple[EdgeKind, ...] = ("next", "choice", "default", "catch", "end")
END = "(end)"
"""Name of the end node of a scope; the root's end node id is exactly this."""
SHORT_CONDITION = 48
"""Longest condition text used as a Choice edge label; longer ones are labelled `rule <n>`."""


class AslGraphError(ValueError):
    """The definition is not a state machine this module can read (no StartAt, unknown Next...)."""


@dataclass(frozen=True)
class Retrier:
    errors: tuple[str, ...]
    interval_seconds: float = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: float | None = None
    jitter: str | None = None


@dataclass(frozen=True)
class State:
    id: str
    """Unique in the graph: the name at the root, `<scope id>/<name>` in a nested scope."""
    name: str
    type: str
    scope: str
    """Id of the scope the state belongs to ("" for the root)."""
    end: bool = False
    """`End: true` (Succeed and Fail states end their scope too: see `terminal`)."""
    comment: str | None = None
    children: tuple[str, ...] = ()
    """Nested scope ids: one per Parallel branch, or the Map's item processor."""
    retry: tuple[Retrier, ...] = ()
    error: str | None = None
    """A Fail state's Error (or ErrorPath), when it declares one."""
    cause: str | None = None
    """A Fail state's Cause (or CausePath), when it declares one."""
    definition: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def terminal(self) -> bool:
        """The state ends its scope: Succeed, Fail or `End: true`."""
        return self.end or self.type in ("Succeed", "Fail")


@dataclass(frozen=True)
class Scope:
    id: str
    parent: str | None
    """Id of the Parallel/Map state that owns this scope (None for the root)."""
    label: str
    """`state machine`, `branch <n>` (1-based) or `item processor`."""
    start_at: str
    """Id of the first state."""
    states: tuple[str, ...]
    """Ids of the scope's own states, in definition order."""

    @property
    def end(self) -> str:
        """Id of the scope's end node (the target of `end` edges)."""
        return f"{self.id}/{END}" if self.id else END


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: EdgeKind
    label: str = ""
    index: int | None = None
    """Position of the Choices rule or of the Catcher (None for next/default/end)."""
    errors: tuple[str, ...] = ()
    """A catch edge's ErrorEquals."""
    condition: str = ""
    """A choice edge's full condition text."""

    def __str__(self) -> str:
        label = f" [{self.label}]" if self.label else ""
        return f"{self.source} -{self.kind}{label}-> {self.target}"


@dataclass(frozen=True)
class Graph:
    states: dict[str, State]
    """Every state of every scope, by id, in definition order (a scope's states follow its parent)."""
    scopes: dict[str, Scope]
    edges: tuple[Edge, ...]
    comment: str | None = None

    @property
    def root(self) -> Scope:
        return self.scopes[""]

    def edges_from(self, state_id: str) -> tuple[Edge, ...]:
        return tuple(edge for edge in self.edges if edge.source == state_id)

    def ids_named(self, name: str) -> tuple[str, ...]:
        """Ids of the states called `name` (several when nested scopes reuse a name)."""
        return tuple(state.id for state in self.states.values() if state.name == name)

    def states_in(self, scope_id: str) -> tuple[State, ...]:
        return tuple(self.states[state_id] for state_id in self.scopes[scope_id].states)

    def scope_of_end(self, node: str) -> Scope | None:
        """The scope whose end node is `node`, if `node` is an end node."""
        return next((scope for scope in self.scopes.values() if scope.end == node), None)


def parse(definition: Mapping[str, Any] | str) -> Graph:
    """Read an ASL definition (a dict, or its JSON text) into a `Graph`."""
    if isinstance(definition, str):
        definition = json.loads(definition)
    if not isinstance(definition, Mapping):
        raise AslGraphError("an ASL definition is a JSON object")
    states: dict[str, State] = {}
    scopes: dict[str, Scope] = {}
    edges: list[Edge] = []
    _parse_scope(definition, "", None, "state machine", states, scopes, edges)
    return Graph(states=states, scopes=scopes, edges=tuple(edges), comment=definition.get("Comment"))


def _qualify(scope_id: str, name: str) -> str:
    return f"{scope_id}/{name}" if scope_id else name


def _parse_scope(body: Mapping[str, Any], scope_id: str, parent: str | None, label: str,
                 states: dict[str, State], scopes: dict[str, Scope], edges: list[Edge]) -> None:
    where = f"scope {scope_id!r}" if scope_id else "the state machine"
    own = body.get("States")
    start_at = body.get("StartAt")
    if not isinstance(own, Mapping) or not own:
        raise AslGraphError(f"{where} has no States")
    if start_at not in own:
        raise AslGraphError(f"{where}: StartAt {start_at!r} is not one of its states")
    assert isinstance(start_at, str)  # one of the state names, which are JSON object keys
    scope = Scope(id=scope_id, parent=parent, label=label, start_at=_qualify(scope_id, start_at),
                  states=tuple(_qualify(scope_id, name) for name in own))
    scopes[scope_id] = scope

    def target(name: Any, field_name: str, state_name: str) -> str:
        if name not in own:
            raise AslGraphError(f"{where}: {state_name}.{field_name} {name!r} is not a state of the same scope")
        return _qualify(scope_id, name)

    for name, spec in own.items():
        state_id = _qualify(scope_id, name)
        kind = spec.get("Type")
        children = _child_scopes(state_id, spec)
        states[state_id] = State(
            id=state_id, name=name, type=kind, scope=scope_id, end=spec.get("End") is True,
            comment=spec.get("Comment"), children=tuple(child for child, _, _ in children),
            retry=tuple(_retrier(r) for r in spec.get("Retry", ())),
            error=spec.get("Error", spec.get("ErrorPath")), cause=spec.get("Cause", spec.get("CausePath")),
            definition=spec,
        )
        if kind == "Choice":
            for index, rule in enumerate(spec.get("Choices", ())):
                condition = condition_text(rule)
                short = condition if len(condition) <= SHORT_CONDITION else f"rule {index + 1}"
                edges.append(Edge(state_id, target(rule.get("Next"), f"Choices[{index}].Next", name), "choice",
                                  label=short, index=index, condition=condition))
            if "Default" in spec:
                edges.append(Edge(state_id, target(spec["Default"], "Default", name), "default", label="default"))
        elif "Next" in spec:
            edges.append(Edge(state_id, target(spec["Next"], "Next", name), "next"))
        for index, catcher in enumerate(spec.get("Catch", ())):
            errors = tuple(catcher.get("ErrorEquals", ()))
            edges.append(Edge(state_id, target(catcher.get("Next"), f"Catch[{index}].Next", name), "catch",
                              label=", ".join(errors), index=index, errors=errors))
        if states[state_id].terminal:
            edges.append(Edge(state_id, scope.end, "end"))
        for child_id, child_label, child_body in children:
            _parse_scope(child_body, child_id, state_id, child_label, states, scopes, edges)


def _child_scopes(state_id: str, spec: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    if spec.get("Type") == "Parallel":
        branches = spec.get("Branches", ())
        return [(f"{state_id}/branch{i}", f"branch {i + 1}", branch) for i, branch in enumerate(branches)]
    if spec.get("Type") == "Map":
        for key in ("ItemProcessor", "Iterator"):
            if key in spec:
                return [(f"{state_id}/{key}", "item processor", spec[key])]
    return []


def _retrier(spec: Mapping[str, Any]) -> Retrier:
    return Retrier(errors=tuple(spec.get("ErrorEquals", ())), interval_seconds=spec.get("IntervalSeconds", 1),
                   max_attempts=spec.get("MaxAttempts", 3), backoff_rate=spec.get("BackoffRate", 2.0),
                   max_delay_seconds=spec.get("MaxDelaySeconds"), jitter=spec.get("JitterStrategy"))


# -- Choice rule text --------------------------------------------------------------------

_OPERATORS = {"Equals": "==", "LessThan": "<", "GreaterThan": ">", "LessThanEquals": "<=", "GreaterThanEquals": ">="}
_TYPE_TESTS = {"IsNull": "null", "IsString": "a string", "IsNumeric": "a number", "IsBoolean": "a boolean",
               "IsTimestamp": "a timestamp"}


def condition_text(rule: Mapping[str, Any]) -> str:
    """A Choice rule as short, readable text: `$.count == 0`, `not ($.a present and $.b present)`."""
    if "Condition" in rule:  # JSONata
        text = str(rule["Condition"]).strip()
        return text.removeprefix("{%").removesuffix("%}").strip()
    if "And" in rule or "Or" in rule:
        word = "and" if "And" in rule else "or"
        parts = [_grouped(sub) for sub in rule["And" if "And" in rule else "Or"]]
        return f" {word} ".join(parts)
    if "Not" in rule:
        return f"not {_grouped(rule['Not'])}"
    variable = rule.get("Variable", "?")
    for key, value in rule.items():
        if key in ("Variable", "Next", "Comment", "Assign"):
            continue
        return _comparison_text(variable, key, value)
    return variable


def _grouped(rule: Mapping[str, Any]) -> str:
    text = condition_text(rule)
    return f"({text})" if ("And" in rule or "Or" in rule) else text


def _comparison_text(variable: str, operator: str, value: Any) -> str:
    if operator == "IsPresent":
        return f"{variable} {'present' if value else 'absent'}"
    if operator in _TYPE_TESTS:
        return f"{variable} {'is' if value else 'is not'} {_TYPE_TESTS[operator]}"
    if operator in ("StringMatches",):
        return f"{variable} matches {json.dumps(value)}"
    path = operator.endswith("Path")
    base = operator.removesuffix("Path")
    for family in ("String", "Numeric", "Boolean", "Timestamp"):
        if base.startswith(family) and base[len(family):] in _OPERATORS:
            shown = value if path else json.dumps(value)
            return f"{variable} {_OPERATORS[base[len(family):]]} {shown}"
    return f"{variable} {operator} {json.dumps(value)}"
