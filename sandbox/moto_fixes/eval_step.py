"""Each evaluation step of moto's interpreter without the calls that do nothing (speed only).

moto evaluates a state as a dozen components (paths, parameters, result selectors...), and each
`EvalComponent.eval` asks whether the program still runs, calls a debug-log helper that logs
nothing unless DEBUG is on, and sets the program's current field through two properties: about a
tenth of a Pass state. Here the same step reads the running program once, logs only when DEBUG is
on, and sets the field on that program directly. Behaviour is moto's: a program no longer running
skips the component; setting the field of a running program that has no next state yet raises
moto's RuntimeError; a program another thread ends meanwhile keeps its end (the field is set on
the running state it replaced, as `concurrent_end` makes any late set do nothing).
"""

from __future__ import annotations

import logging
from typing import Any

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component import eval_component
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramRunning

    log = eval_component.LOG

    def evaluate(self: Any, env: Any) -> None:
        state = env._program_state
        if not isinstance(state, ProgramRunning):
            if log.isEnabledFor(logging.DEBUG):
                self._log_evaluation_step("Pruning")
            return
        if log.isEnabledFor(logging.DEBUG):
            self._log_evaluation_step("Computing")
        try:
            field_name = self._field_name()
            if field_name is not None:
                if state._next_state_name is None:
                    raise RuntimeError("Could not set NextField from uninitialised ProgramState.")
                state._next_field_name = field_name
            self._eval_body(env)
        except FailureEventException as failure_event_exception:
            self._log_failure_event_exception(failure_event_exception=failure_event_exception)
            raise failure_event_exception
        except Exception as exception:
            self._log_exception(exception=exception)
            raise exception

    eval_component.EvalComponent.eval = evaluate
    _installed = True
