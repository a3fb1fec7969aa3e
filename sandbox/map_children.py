"""The Map bodies of a definition and the child executions a run's Distributed Maps ran for them.

On AWS (and in the sandbox, `sandbox.moto_fixes.distributed_map`) each item of a Distributed
Map runs as a child execution with its own history; the parent's history holds the Map Run
only. Whoever needs the item processor's states as the children went through them (ASL
coverage in `sandbox.pytest_plugin`, the execution page in `sandbox.view`) starts here:

    for body, children in map_children(definition, [run.execution_arn]):
        ...  # body.prefix + inner state name is the state's id in `sandbox.asl_graph.parse(definition)`
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MapBody:
    """One top-level Map state's item processor."""

    map_state: str
    key: str
    """`ItemProcessor`, or the older `Iterator`."""
    processor: Mapping[str, Any]

    @property
    def prefix(self) -> str:
        """What `sandbox.asl_graph` puts before the processor's state names in the parent graph."""
        return f"{self.map_state}/{self.key}/"

    @property
    def start_at(self) -> str:
        return self.prefix + self.processor["StartAt"]


def map_bodies(definition: Mapping[str, Any]) -> list[MapBody]:
    """The item processors of the definition's top-level Map states (those child executions can run)."""
    bodies = []
    for map_state, spec in (definition.get("States") or {}).items():
        key = "ItemProcessor" if "ItemProcessor" in spec else "Iterator"
        if spec.get("Type") == "Map" and key in spec:
            bodies.append(MapBody(map_state, key, spec[key]))
    return bodies


def map_children(definition: Mapping[str, Any], execution_arns: Iterable[str]) -> Iterator[tuple[MapBody, list[Any]]]:
    """Each Map body with the child executions the executions ran for it (bodies with none: left out)."""
    from sandbox.moto_fixes.distributed_map import child_executions

    arns: list[str] | None = None
    for body in map_bodies(definition):
        if arns is None:  # read only when there is a Map (a caller may pass a generator)
            arns = list(execution_arns)
        children = [child for arn in arns for child in child_executions(arn, body.map_state)]
        if children:
            yield body, children
