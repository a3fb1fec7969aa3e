"""History events are written without work their text does not need (speed only).

Every state writes its input into two history events (StateEntered, StateExited) as JSON text.
moto reads that input with `States.get_input()`, which deep-copies it first, only to encode the
copy: here the input is encoded as it is held (encoding never changes a value; the text is the
same).

A state's output is the next state's input: the same value, held by the same object, written
into the StateExited event of one state and the StateEntered event of the next. Its text is kept
beside the value it was made from and written again while the execution still holds that very
object. moto never changes a held input in place (every state reads a copy, and a new input
replaces the old one through `States.reset`, which stores a copy), so the same object means the
same text.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

_KEPT_TEXT = "_sandbox_input_text"
"""Attribute of moto's `States` holding (the input value, its compact JSON text)."""
_writer: ModuleType
"""moto's state module: its `to_json_str` (the one `json_text` binds there) writes the texts."""
_installed = False
moto_originals: dict[str, Any] = {}
"""moto's own functions this fix replaced, by name, once installed (to compare against)."""


def input_text(states: Any) -> str:
    """The compact JSON text of the input `states` (moto's `States`) holds, as moto's history writes it."""
    held = states._states_data["input"]
    kept: tuple[Any, str] | None = states.__dict__.get(_KEPT_TEXT)
    if kept is not None and kept[0] is held:
        return kept[1]
    text: str = _writer.to_json_str(held, separators=(",", ":"))
    states.__dict__[_KEPT_TEXT] = (held, text)  # the value itself is kept too: its id is never reused meanwhile
    return text


def _details_of_input() -> tuple[Any, Any]:
    """moto's `_get_state_entered_event_details` and `_get_state_exited_event_details`, encoding the input held."""
    from moto.stepfunctions.parser.api import (
        HistoryEventExecutionDataDetails,
        StateEnteredEventDetails,
        StateExitedEventDetails,
    )

    def entered(self: Any, env: Any) -> Any:
        return StateEnteredEventDetails(
            name=self.name,
            input=input_text(env.states),
            inputDetails=HistoryEventExecutionDataDetails(truncated=False),
        )

    def exited(self: Any, env: Any) -> Any:
        event_details = StateExitedEventDetails(
            name=self.name,
            output=input_text(env.states),
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

    global _writer
    _writer = state_module
    moto_originals.update(entered=CommonStateField._get_state_entered_event_details,
                          exited=CommonStateField._get_state_exited_event_details)
    entered, exited = _details_of_input()
    CommonStateField._get_state_entered_event_details = entered
    CommonStateField._get_state_exited_event_details = exited
    _installed = True
