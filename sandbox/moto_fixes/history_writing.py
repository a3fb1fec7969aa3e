"""History events are written without work their text does not need (speed only).

Every state writes its input into two history events (StateEntered, StateExited) as JSON text.
moto reads that input with `States.get_input()`, which deep-copies it first, only to encode the
copy: here the input is encoded as it is held (encoding never changes a value; the text is the
same). And every history event's timestamp is formatted with `strftime`; on the virtual clock
most events of a run share an instant, so each instant's text (per UTC offset, which decides the
text) is formatted once and reused.
"""

from __future__ import annotations

import datetime
import threading
from types import ModuleType
from typing import Any, Final

from sandbox.moto_fixes.rebind import rebind

TIMESTAMP_TEXTS_KEPT: Final[int] = 4096
"""Instants whose text is kept; the memo starts afresh beyond (a long run moves through many)."""

_installed = False
moto_originals: dict[str, Any] = {}
"""moto's own functions this fix replaced, by name, once installed (to compare against)."""
_texts: dict[tuple[datetime.datetime, datetime.timedelta | None], str] = {}
_texts_lock = threading.Lock()


def _timestamp_text(original: Any) -> Any:
    """moto's `iso_8601_datetime_with_milliseconds`, each instant's text formatted once."""

    def iso_8601_datetime_with_milliseconds(value: datetime.datetime | None = None) -> str:
        if value is None:
            return str(original(value))  # now, in wall time: nothing to reuse
        key = (value, value.utcoffset())  # equal instants in other offsets read differently
        text = _texts.get(key)
        if text is None:
            text = original(value)
            with _texts_lock:
                if len(_texts) >= TIMESTAMP_TEXTS_KEPT:
                    _texts.clear()
                _texts[key] = text
        return text

    return iso_8601_datetime_with_milliseconds


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
    from moto.core import utils
    from moto.stepfunctions.parser.asl.component.state import state as state_module
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField

    original = utils.iso_8601_datetime_with_milliseconds
    moto_originals.update(iso_8601_datetime_with_milliseconds=original,
                          entered=CommonStateField._get_state_entered_event_details,
                          exited=CommonStateField._get_state_exited_event_details)
    rebind("iso_8601_datetime_with_milliseconds", original, _timestamp_text(original),
           ("moto.stepfunctions.parser.asl.eval.event.event_manager",))
    entered, exited = _details_of_input(state_module)
    CommonStateField._get_state_entered_event_details = entered
    CommonStateField._get_state_exited_event_details = exited
    _installed = True
