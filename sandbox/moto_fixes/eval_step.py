"""Each evaluation step of moto's interpreter without the calls that do nothing (speed only).

moto evaluates a state as a dozen components (paths, parameters, result selectors...), and each
`EvalComponent.eval` asks whether the program still runs, calls a debug-log helper that logs
nothing unless DEBUG is on, and sets the program's current field through two properties: about a
tenth of a Pass state. Here the same step reads the running program once, logs only when DEBUG is
on, and sets the field on that program directly. Behaviour is moto's: a program no longer running
skips the component; setting the field of a running program that has no next state yet raises
moto's RuntimeError; a program another thread ends meanwhile keeps its end (the field is set on
the running state it replaced, as `concurrent_end` makes any late set do nothing).

A component's field name is, for most classes, the class's own: its name, or none for string
expressions. Those are looked up per class (a Map child evaluates some two hundred components);
the classes whose name depends on the component (payload bindings) are still asked.
"""

from __future__ import annotations

import logging
from typing import Any, Final

_installed = False
_ASK: Final = object()
"""A class whose components name their own field (`_field_name()` reads the component)."""
_UNKNOWN: Final = object()
"""A class not seen yet."""
_field_names: dict[type, Any] = {}
"""Per component class: its components' field name (a text or None), or `_ASK`."""


def _field_name_of_class(cls: type) -> Any:
    from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringExpression
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent

    method = cls._field_name  # type: ignore[attr-defined]
    if method is EvalComponent._field_name:
        return cls.__name__
    if method is StringExpression._field_name:
        return None
    return _ASK


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component import eval_component
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramRunning

    log = eval_component.LOG
    field_names = _field_names

    def evaluate(self: Any, env: Any) -> None:
        state = env._program_state
        if not isinstance(state, ProgramRunning):
            if log.isEnabledFor(logging.DEBUG):
                self._log_evaluation_step("Pruning")
            return
        if log.isEnabledFor(logging.DEBUG):
            self._log_evaluation_step("Computing")
        try:
            field_name = field_names.get(type(self), _UNKNOWN)
            if field_name is _UNKNOWN:
                field_name = field_names[type(self)] = _field_name_of_class(type(self))
            if field_name is _ASK:
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
