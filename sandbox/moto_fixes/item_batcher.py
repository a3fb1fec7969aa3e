"""Distributed Map `ItemBatcher`, as AWS runs it, on moto's interpreter.

moto's grammar refuses `ItemBatcher`, so a definition that batches items cannot even be
created. AWS groups the items (after `ItemSelector`, applied to each item) into batches and
starts one child workflow execution per batch, whose input is
`{"Items": [...], "BatchInput": {...}}` (`BatchInput` only when the state declares one).

* `MaxItemsPerBatch` / `MaxItemsPerBatchPath`: most items in a batch.
* `MaxInputBytesPerBatch` / `MaxInputBytesPerBatchPath`: most bytes of a child's input (AWS
  caps it at 256 KiB); an item larger than that alone still makes a batch of one.
* `BatchInput`: a JSON object for every batch; keys ending in `.$` take a path into the Map
  state's input (`$.x`) or the context object (`$$.Execution.Name`). In a JSONata state any of
  these values may be a `{% ... %}` expression over `$states.input` and `$states.context`.

The sandbox removes `ItemBatcher` from the text moto parses and hands it to the Map state's
iteration component; the Map Run (`distributed_map._map_run`) batches with `batch_items`.
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from sandbox.moto_fixes.payload_quota import MAX_PAYLOAD_BYTES

ATTRIBUTE: Final[str] = "sandbox_item_batcher"
"""Attribute of a DistributedIterationComponent that batches its items."""

_installed = False


@dataclass(frozen=True)
class ItemBatcher:
    """A Map state's `ItemBatcher` field."""

    declaration: dict[str, Any] = field(default_factory=dict)

    def limits(self, state_input: Any, context: dict[str, Any] | None = None) -> tuple[int | None, int]:
        """(most items, most bytes) of a batch for this state input."""
        items = self._number("MaxItemsPerBatch", state_input, context or {})
        size = self._number("MaxInputBytesPerBatch", state_input, context or {})
        return items, min(size, MAX_PAYLOAD_BYTES) if size is not None else MAX_PAYLOAD_BYTES

    def _number(self, name: str, state_input: Any, context: dict[str, Any]) -> int | None:
        if name in self.declaration:
            return int(_resolve(self.declaration[name], state_input, context))
        path = self.declaration.get(f"{name}Path")
        if path is None:
            return None
        return int(_read_path(path, state_input, {}))

    def batch_input(self, state_input: Any, context: dict[str, Any]) -> dict[str, Any] | None:
        declared = self.declaration.get("BatchInput")
        if declared is None:
            return None
        return _resolve(declared, state_input, context)


def _read_path(path: str, state_input: Any, context: dict[str, Any]) -> Any:
    from moto.stepfunctions.parser.asl.utils.json_path import extract_json

    if path.startswith("$$"):
        return extract_json(path[1:], context)
    return extract_json(path, state_input)


def _resolve(template: Any, state_input: Any, context: dict[str, Any]) -> Any:
    if isinstance(template, str) and template.strip().startswith("{%") and template.strip().endswith("%}"):
        from sandbox.moto_fixes.jsonata import evaluate

        return evaluate(template.strip()[2:-2].strip(), {"states": {"input": state_input, "context": context}})
    if isinstance(template, dict):
        resolved = {}
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                resolved[key[:-2]] = _read_path(value, state_input, context)
            else:
                resolved[key] = _resolve(value, state_input, context)
        return resolved
    if isinstance(template, list):
        return [_resolve(value, state_input, context) for value in template]
    return template


def batch_items(items: list[Any], limits: tuple[int | None, int], batch_input: dict[str, Any] | None) -> list[Any]:
    """The children's inputs: consecutive items, as many as the limits allow in each batch."""
    most_items, most_bytes = limits
    base = {"Items": [], **({"BatchInput": batch_input} if batch_input is not None else {})}
    overhead = len(json.dumps(base, separators=(",", ":")).encode())
    batches: list[list[Any]] = []
    current: list[Any] = []
    size = overhead
    for item in items:
        item_bytes = len(json.dumps(item, separators=(",", ":")).encode()) + (1 if current else 0)
        full = (most_items is not None and len(current) >= most_items) or size + item_bytes > most_bytes
        if current and full:
            batches.append(current)
            current, size = [], overhead
            item_bytes -= 1
        current.append(item)
        size += item_bytes
    if current:
        batches.append(current)
    return [{**base, "Items": batch} for batch in batches]


# -- parsing -----------------------------------------------------------------------------------


_REFUSED_BY_MOTO: Final[tuple[str, ...]] = ('"ItemBatcher"', '"EXPRESS"', '"ToleratedFailurePercentage"')


def split_item_batchers(definition: str) -> tuple[str, dict[str, ItemBatcher]]:
    """The text moto parses, and each `ItemBatcher` by its Map state's name.

    The same text also gets `distributed_map.adapt_definition`, so a definition created through
    the API (not only one the sandbox provisions) may use EXPRESS children too.
    """
    if not any(word in definition for word in _REFUSED_BY_MOTO):
        return definition, {}
    from sandbox.moto_fixes.distributed_map import adapt_definition, all_states

    try:
        parsed = adapt_definition(json.loads(definition))
    except (ValueError, AttributeError, TypeError):
        return definition, {}  # not a JSON object: moto's own parser reports it
    batchers = {}
    for name, state in all_states(parsed):
        if state.get("Type") == "Map" and isinstance(state.get("ItemBatcher"), dict):
            mode = ((state.get("ItemProcessor") or {}).get("ProcessorConfig") or {}).get("Mode")
            if mode != "DISTRIBUTED":
                raise ValueError(f"Map state '{name}': ItemBatcher is valid only in a Distributed Map "
                                 '(ItemProcessor.ProcessorConfig.Mode "DISTRIBUTED").')
            batchers[name] = ItemBatcher(state.pop("ItemBatcher"))
    return json.dumps(parsed), batchers


def _attach(program: Any, batchers: dict[str, ItemBatcher]) -> None:
    """Give each named Map state's iteration component its ItemBatcher."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap

    from sandbox.moto_fixes.program_tree import components

    for node, _ in components(program):
        if isinstance(node, StateMap) and node.name in batchers:
            setattr(node.iteration_component, ATTRIBUTE, batchers[node.name])


def install() -> None:
    """Accept ItemBatcher in definitions moto parses (idempotent; after parse_cache)."""
    global _installed
    if _installed:
        return
    from sandbox.moto_fixes.program_tree import on_parse

    on_parse(split_item_batchers, _attach)
    _installed = True
