"""Keep `States.*` error names when they travel out of Parallel, Map and Fail states.

moto builds those errors with `CustomErrorName`, which rejects the `States.` prefix
(a rule meant for names that *users* declare). On AWS a branch that fails with
`States.Timeout`, or a Fail state with `"Error": "States.Timeout"`, reports exactly
that name, and Retry/Catch match on it. In moto the ValueError instead crashes a
Parallel (skipping Retry/Catch) and turns Map and Fail errors into States.Runtime.
"""

from __future__ import annotations

from types import ModuleType

from moto.stepfunctions.parser.asl.component.common.error_name import custom_error_name
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import iteration_worker
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl
from moto.stepfunctions.parser.asl.component.state.fail import state_fail

_installed = False

# Modules that re-raise an error name they did not choose themselves: only there
# may a `States.*` name legitimately arrive.
_PROPAGATING_MODULES: tuple[ModuleType, ...] = (branches_decl, iteration_worker, state_fail)


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


def install() -> None:
    """Replace `CustomErrorName` in the propagating modules only (idempotent)."""
    global _installed
    if _installed:
        return
    for module in _PROPAGATING_MODULES:
        # These modules look the name up in their globals at call time.
        module.CustomErrorName = _factory  # type: ignore[attr-defined]
    _installed = True
