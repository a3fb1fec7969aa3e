"""A Map state's "items must be an array" failure, worded as AWS words it.

When `Items`/`ItemsPath` gives something other than an array, AWS fails the state with
States.QueryEvaluationError and the cause `Map state input must be an array but was: 1`:
the value as JSON. moto prints the Python type (`was: <class 'int'>`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

NOT_AN_ARRAY: Final[str] = "Map state input must be an array but was: "
_installed = False


def _items_value(state: Any, env: Any, stack: list[Any]) -> Any:
    """Evaluate the state's items again, on a frame of its own (reading them changes nothing)."""
    frame = env.open_frame()
    try:
        frame.states.reset(input_value=env.states.get_input())
        frame.stack = list(stack)
        component = state.items or state.items_path
        component.eval(env=frame)
        return frame.stack.pop()
    finally:
        env.close_frame(frame)


def _worded_as_json(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    def eval_execution(self: Any, env: Any) -> None:
        stack = list(env.stack)
        try:
            original(self, env)
        except FailureEventException as failure:
            event_details = failure.failure_event.event_details
            details = event_details.get("evaluationFailedEventDetails") if event_details else None
            if details and str(details.get("cause", "")).startswith(NOT_AN_ARRAY):
                details["cause"] = NOT_AN_ARRAY + to_json_str(_items_value(self, env, stack), separators=(",", ":"))
            raise

    return eval_execution


def install() -> None:
    """Word the not-an-array cause as AWS does (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap

    StateMap._eval_execution = _worded_as_json(StateMap._eval_execution)  # type: ignore[assignment]
    _installed = True
