"""Keep `States.*` error names when they travel out of Parallel, Map and Fail states.

moto builds those errors with `CustomErrorName`, which rejects the `States.` prefix
(a rule meant for names that *users* declare). On AWS a branch that fails with
`States.Timeout`, or a Fail state with `"Error": "States.Timeout"`, reports exactly
that name, and Retry/Catch match on it. In moto the ValueError instead crashes a
Parallel (skipping Retry/Catch) and turns Map and Fail errors into States.Runtime.

AWS's rule for the prefix: the names a state *reports* are the service's own
(`States.Timeout`, `States.Http.Socket`...) or free names without the prefix, but
`ErrorEquals` and a Fail state's `Error` are plain strings that CreateStateMachine
accepts whatever their prefix (public patterns retry on `States.Http.Socket`, a
name moto does not know). moto refuses such a definition; here a known `States.*`
name keeps its meaning and any other one matches exactly that name.

`States.ALL` matches every error except the terminal ones: States.Runtime and
States.DataLimitExceeded end the execution whatever the Retry or Catch (moto caught
them like any other).

A Fail state without `Error` inside a Map iteration fails the iteration with no
error name; moto then crashed on `None.error_name` (States.Runtime). AWS fails the
Map state, and the execution, with no error name.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from moto.stepfunctions.parser.asl.component.common.error_name import custom_error_name
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import iteration_worker
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl
from moto.stepfunctions.parser.asl.component.state.fail import state_fail
from moto.stepfunctions.parser.asl.parse import preprocessor

_installed = False

# Modules that re-raise an error name they did not choose themselves, and the parser
# (ErrorEquals): only there may a `States.*` name legitimately arrive.
_PROPAGATING_MODULES: tuple[ModuleType, ...] = (branches_decl, iteration_worker, state_fail, preprocessor)


class PreservedErrorName(custom_error_name.CustomErrorName):
    """A propagated error name that may begin with `States.` (e.g. a Fail state's own choice)."""

    def __init__(self, error_name: str | None) -> None:
        # Skip CustomErrorName's prefix check on purpose; keep the plain ErrorName behaviour.
        ErrorName.__init__(self, error_name=error_name)


def preserved_error_name(error_name: str | None) -> ErrorName:
    """The ErrorName that Retry/Catch should see for a propagated name.

    Known `States.*` names become `StatesErrorName` so that `States.TaskFailed`
    keeps matching the same errors it matches anywhere else in moto.
    """
    if error_name is not None and error_name.startswith(custom_error_name.ILLEGAL_CUSTOM_ERROR_PREFIX):
        try:
            return StatesErrorName.from_name(error_name)
        except ValueError:
            pass  # an unknown States.* name: keep it verbatim, as AWS does
    return PreservedErrorName(error_name)


def _factory(error_name: str | None = None) -> ErrorName:
    # Same call shape as CustomErrorName(...) / CustomErrorName(error_name=...).
    return preserved_error_name(error_name)


def _failure_event(env: Any, error_name: ErrorName | None, *args: Any, **kwargs: Any) -> FailureEvent:
    # Same call shape as FailureEvent(...): an iteration that failed without a name keeps none.
    return FailureEvent(env, error_name if error_name is not None else PreservedErrorName(None), *args, **kwargs)


_TERMINAL: frozenset[str] = frozenset({"States.Runtime", "States.DataLimitExceeded"})


def _all_but_terminal(original: Any) -> Any:
    from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl

    def eval_body(self: Any, env: Any) -> None:
        error_name = env.stack[-1]
        terminal = getattr(error_name, "error_name", None) in _TERMINAL
        if terminal and ErrorEqualsDecl._STATE_ALL_ERROR in self.error_names:
            env.stack.pop()
            env.stack.append(False)
            return
        original(self, env)

    return eval_body


def install() -> None:
    """Replace `CustomErrorName` in the propagating modules only (idempotent)."""
    global _installed
    if _installed:
        return
    for module in _PROPAGATING_MODULES:
        # These modules look the name up in their globals at call time.
        module.CustomErrorName = _factory  # type: ignore[attr-defined]
    iteration_worker.FailureEvent = _failure_event  # type: ignore[misc,assignment]
    from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl

    ErrorEqualsDecl._eval_body = _all_but_terminal(ErrorEqualsDecl._eval_body)
    _installed = True
