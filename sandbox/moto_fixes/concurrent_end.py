"""A program ended by another thread ends where it is.

A Parallel branch that fails stops its sibling branches; StopExecution stops a running
execution; both come from another thread. moto's `Environment` raises RuntimeError
("Could not set NextState value when in state ProgramStopped") when a state, a Catch or
a program's start then sets the next state of a program that has just ended that way:
a sibling branch whose thread starts after the stop dies with that exception, and a
state that finishes at that moment fails its branch with States.Runtime instead of
being stopped. On AWS a stopped branch simply stops: here setting the next state (or
field) of a program that already ended does nothing, and its loop ends as it would.
"""

from __future__ import annotations

from typing import Any

_installed = False


def install() -> None:
    """Setting where a program goes next is a no-op once another thread ended it (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramRunning

    def set_next_state_name(self: Any, next_state_name: str) -> None:
        with self._state_mutex:
            if self._program_state is None:
                self._program_state = ProgramRunning()
            if isinstance(self._program_state, ProgramRunning):
                self._program_state.next_state_name = next_state_name

    def set_next_field_name(self: Any, next_field_name: str) -> None:
        state = self._program_state
        if isinstance(state, ProgramRunning):
            state.next_field_name = next_field_name

    Environment.next_state_name = Environment.next_state_name.setter(set_next_state_name)  # type: ignore[attr-defined]
    Environment.next_field_name = Environment.next_field_name.setter(set_next_field_name)  # type: ignore[attr-defined]
    _installed = True
