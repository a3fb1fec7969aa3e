"""TestState's `inspectionData`: the value after each step of the state's data flow.

Each step of the state is wrapped on the built state alone (instance attributes, never the
classes), so the executions running beside the test are untouched. The steps AWS reports
differ by state type; `Inspection.as_response` applies those rules in one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField

_NUMBERS = ("maxConcurrency", "toleratedFailureCount", "toleratedFailurePercentage")


def to_json_text(value: Any) -> str:
    """JSON text as Step Functions writes it in its responses (compact, UTF-8)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Inspection:
    """Values recorded while the state ran, keyed by their `inspectionData` field names."""

    def __init__(self, query_language: str) -> None:
        self.query_language = query_language
        self.values: dict[str, Any] = {}

    @property
    def is_jsonpath(self) -> bool:
        return self.query_language == "JSONPath"

    def record(self, key: str, value: Any) -> None:
        self.values[key] = value

    def record_number(self, key: str, value: float) -> None:
        self.values[key] = value

    def as_response(self, state: dict[str, Any], error_details: dict[str, Any]) -> dict[str, Any]:
        values = dict(self.values)
        kind = state["Type"]
        if self.is_jsonpath:
            _fill_implicit_steps(values, kind, has_result="Result" in state)
        found: dict[str, Any] = {}
        for key, value in values.items():
            found[key] = value if key in _NUMBERS else to_json_text(value)
        if error_details:
            found["errorDetails"] = dict(error_details)
        return found


def _fill_implicit_steps(values: dict[str, Any], kind: str, *, has_result: bool) -> None:
    """A JSONPath step the state does not declare still reports its value (it passed the data on)."""
    if kind == "Pass" and has_result:
        values.pop("afterInputPath", None)
        values.pop("afterParameters", None)
        values.setdefault("afterResultSelector", values.get("result"))
        return
    if kind == "Parallel":
        values.pop("afterInputPath", None)
    if kind in ("Pass", "Task") and "afterInputPath" in values:
        values.setdefault("afterParameters", values["afterInputPath"])
    if "afterResultPath" in values:
        if kind == "Pass":
            values.setdefault("afterResultSelector", values.get("afterParameters"))
        elif "result" in values:
            values.setdefault("afterResultSelector", values["result"])


def instrument(state: CommonStateField, inspection: Inspection) -> None:
    """Record the value after each step of `state` into `inspection`."""
    parameters_key = "afterParameters" if inspection.is_jsonpath else "afterArguments"
    if inspection.is_jsonpath:
        _after(state, "_eval_state_input", lambda env: inspection.record("afterInputPath", env.stack[-1]))
    for attribute in ("parargs", "parameters"):
        component = getattr(state, attribute, None)
        if component is not None:
            _after(component, "_eval_body", lambda env: inspection.record(parameters_key, env.stack[-1]))
    result = getattr(state, "result", None)
    if result is not None and not isinstance(state, ExecutionState):
        _after(result, "_eval_body", lambda env: inspection.record("result", env.stack[-1]))
    if isinstance(state, ExecutionState):
        if getattr(state, "resource", None) is not None:
            _after(state, "_eval_execution", lambda env: inspection.record("result", env.stack[-1]))
        if inspection.is_jsonpath:
            _after_optional(state.result_selector, "afterResultSelector", inspection)
    if inspection.is_jsonpath:
        _after_optional(getattr(state, "result_path", None), "afterResultPath", inspection)
    item_selector = getattr(state, "item_selector", None)
    _after_optional(item_selector, "afterItemSelector", inspection)


def _after_optional(component: Any, key: str, inspection: Inspection) -> None:
    if component is not None:
        _after(component, "_eval_body", lambda env: inspection.record(key, env.stack[-1]))


def _after(owner: Any, method: str, observe: Callable[[Any], None]) -> None:
    original = getattr(owner, method)

    def observed(env: Any, *args: Any, **kwargs: Any) -> Any:
        returned = original(env, *args, **kwargs)
        if env.stack:
            observe(env)
        return returned

    setattr(owner, method, observed)
