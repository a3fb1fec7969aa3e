"""A state's output is measured for the payload quota from the text its StateExited event writes (speed only).

moto ends every state by copying its output (`States.get_input()`) to measure the copy against the
256 KiB quota, encoding it, and then encoding the output again for the StateExited event. Here
the output the execution holds is encoded once (`history_writing.input_text`, which the
StateExited event and the next state's StateEntered event then reuse) and measured from that text,
by the quota's own rule (`payload_quota`). An output over the quota still fails through the
state's own `_verify_size_quota`, with moto's error and cause for its kind of state. Every other
step of `CommonStateField._eval_body` is moto's, in moto's order.

A JSONPath `OutputPath` (`$` when the state has none) hands over a copy of what it selects (moto's
`StringJsonPath` copies every value it reads), which `States.reset` then copied again before
holding it: that fresh copy is held as it is. Any other `OutputPath`, and a path that selects
nothing (moto's own `States.Runtime` failure), go moto's way.
"""

from __future__ import annotations

from typing import Any

_installed = False


def install() -> None:
    """Replace `CommonStateField._eval_body` by the same steps with one encoding of the output (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state import state as state_module
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramRunning
    from moto.stepfunctions.parser.asl.eval.states import StateData
    from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

    from sandbox.moto_fixes.history_writing import input_text
    from sandbox.moto_fixes.payload_quota import is_text_within_size_quota

    def _eval_body(self: Any, env: Any) -> None:
        env.event_manager.add_event(
            context=env.event_history_context,
            event_type=self.state_entered_event_type,
            event_details=EventDetails(stateEnteredEventDetails=self._get_state_entered_event_details(env=env)),
        )
        env.states.context_object.context_object_data["State"] = StateData(
            # The module's own `datetime`: the virtual clock's, once `virtual_time` is installed.
            EnteredTime=state_module.datetime.datetime.now(tz=state_module.datetime.timezone.utc).isoformat(),
            Name=self.name,
        )
        self._eval_state_input(env=env)
        try:
            self._eval_state(env)
        except NoSuchJsonPathError as no_such_json_path_error:
            data_json_str = state_module.to_json_str(no_such_json_path_error.data)
            cause = (
                f"The JSONPath '{no_such_json_path_error.json_path}' specified for the field '{env.next_field_name}' "
                f"could not be found in the input '{data_json_str}'"
            )
            raise FailureEventException(failure_event=FailureEvent(
                env=env,
                error_name=StatesErrorName(typ=StatesErrorNameType.StatesRuntime),
                event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(
                    error=StatesErrorNameType.StatesRuntime.to_name(), cause=cause)),
            )) from no_such_json_path_error
        if not isinstance(env._program_state, ProgramRunning):
            return
        self._eval_state_output(env=env)
        if not is_text_within_size_quota(env.states._states_data["input"], input_text(env.states)):
            self._verify_size_quota(env=env, value=env.states.get_input())  # raises the state's own error
        self._set_next(env)
        if self.state_exited_event_type is not None:
            env.event_manager.add_event(
                context=env.event_history_context,
                event_type=self.state_exited_event_type,
                event_details=EventDetails(stateExitedEventDetails=self._get_state_exited_event_details(env=env)),
            )

    state_module.CommonStateField._eval_body = _eval_body
    _hold_selected_output()
    _installed = True


def _hold_selected_output() -> None:
    """`OutputPath._eval_body` holding the copy a JSONPath made, instead of a copy of it."""
    from moto.stepfunctions.parser.asl.component.common.path.output_path import OutputPath
    from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringJsonPath
    from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

    original = OutputPath._eval_body

    def _eval_body(self: Any, env: Any) -> None:
        sampler = self.string_sampler
        if type(sampler) is not StringJsonPath:
            original(self, env)
            return
        try:
            sampler.eval(env=env)  # pushes a copy of what it selects, or raises with the stack as it was
        except NoSuchJsonPathError:
            original(self, env)  # the same path fails again, with moto's failure event
            return
        held = env.states._states_data  # `States.reset` without its copy: the value is this state's own
        held["input"], held["result"], held["errorOutput"] = env.stack.pop(), None, None

    OutputPath._eval_body = _eval_body
