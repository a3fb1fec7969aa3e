"""History events are written without work their text does not need (speed only).

Every state writes its input into two history events (StateEntered, StateExited) as JSON text.
moto reads that input with `States.get_input()`, which deep-copies it first, only to encode the
copy: here the input is encoded as it is held (encoding never changes a value; the text is the
same).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

_installed = False
moto_originals: dict[str, Any] = {}
"""moto's own functions this fix replaced, by name, once installed (to compare against)."""


def _details_of_input(state_module: ModuleType) -> tuple[Any, Any]:
    """moto's `_get_state_entered_event_details` and `_get_state_exited_event_details`, encoding the input held."""
    from moto.stepfunctions.parser.api import (
        HistoryEventExecutionDataDetails,
        StateEnteredEventDetails,
        StateExitedEventDetails,
    )

    def entered(self: Any, env: Any) -> Any:
        return StateEnteredEventDetails(
            name=self.name,
            input=state_module.to_json_str(env.states._states_data["input"], separators=(",", ":")),
            inputDetails=HistoryEventExecutionDataDetails(truncated=False),
        )

    def exited(self: Any, env: Any) -> Any:
        event_details = StateExitedEventDetails(
            name=self.name,
            output=state_module.to_json_str(env.states._states_data["input"], separators=(",", ":")),
            outputDetails=HistoryEventExecutionDataDetails(truncated=False),
        )
        assigned_variables = env.variable_store.get_assigned_variables()
        env.variable_store.reset_tracing()
        if assigned_variables:
            event_details["assignedVariables"] = assigned_variables
            event_details["assignedVariablesDetails"] = {"truncated": False}
        return event_details

    return entered, exited


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.state import state as state_module
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField

    moto_originals.update(entered=CommonStateField._get_state_entered_event_details,
                          exited=CommonStateField._get_state_exited_event_details)
    entered, exited = _details_of_input(state_module)
    CommonStateField._get_state_entered_event_details = entered
    CommonStateField._get_state_exited_event_details = exited
    _installed = True
