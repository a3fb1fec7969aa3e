"""A Choice state whose rules all fail to match, and that has no Default, fails with States.NoChoiceMatched.

moto raises a bare RuntimeError there, which ends the execution as States.Runtime (no Retry or
Catch of an enclosing Parallel or Map can match it by name). AWS reports States.NoChoiceMatched.
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

NO_MATCH_CAUSE: Final[str] = "No Matches!"
_installed = False


def _no_choice_matched(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    def eval_state(self: Any, env: Any) -> None:
        try:
            original(self, env)
        except RuntimeError:
            if self.default_state is not None:
                raise
            name = StatesErrorName(typ=StatesErrorNameType.StatesNoChoiceMatched)
            raise FailureEventException(failure_event=FailureEvent(
                env=env, error_name=name, event_type=HistoryEventType.ExecutionFailed,
                event_details=EventDetails(executionFailedEventDetails=ExecutionFailedEventDetails(
                    error=name.error_name, cause=NO_MATCH_CAUSE)))) from None

    return eval_state


def install() -> None:
    """Name the no-match failure as AWS does (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.state.choice.state_choice import StateChoice

    StateChoice._eval_state = _no_choice_matched(StateChoice._eval_state)  # type: ignore[assignment]
    _installed = True
