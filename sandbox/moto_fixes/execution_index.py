"""An execution is found by its ARN or its name at once, not by reading every execution of its state machine.

moto keeps a state machine's executions in a list and scans it on every StartExecution (is the
name taken?), DescribeExecution and GetExecutionHistory: a restore whose ten thousand objects
each start a post-processing execution scans ~50 million entries to start them, and as many
again to read their histories. Here the list also keeps an index by ARN and by name; the lookups
use it and answer exactly as before (the same execution, the same errors).
"""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

_installed = False


class IndexedExecutions(list[Any]):
    """A state machine's executions, in start order, indexed by ARN and by name (moto only appends)."""

    def __init__(self, executions: Iterable[Any] = ()) -> None:
        super().__init__()
        self.by_arn: dict[str, Any] = {}
        self.by_name: dict[str, Any] = {}
        for execution in executions:
            self.append(execution)

    def append(self, execution: Any) -> None:
        super().append(execution)
        # The first execution of a name or ARN is the one a scan of the list finds.
        self.by_arn.setdefault(execution.execution_arn, execution)
        self.by_name.setdefault(execution.name, execution)


def _indexed(state_machine: Any) -> IndexedExecutions:
    executions = state_machine.executions
    if not isinstance(executions, IndexedExecutions):
        executions = state_machine.executions = IndexedExecutions(executions)
    return executions


def install() -> None:
    """Index every state machine's executions; look them up through the index (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions import models

    scan_names = models.StateMachine._handle_name_input_idempotency

    def _handle_name_input_idempotency(self: Any, name: str, execution_input: str) -> Any:
        found = _indexed(self).by_name.get(name)
        if found is None:
            return None
        # moto's own answer (the idempotent start, or ExecutionAlreadyExists) from the one execution of that name.
        return scan_names(SimpleNamespace(executions=[found]), name, execution_input)  # type: ignore[arg-type]

    def describe_execution(self: Any, execution_arn: str) -> Any:
        self._validate_execution_arn(execution_arn)
        state_machine = self._get_state_machine_for_execution(execution_arn)
        found = _indexed(state_machine).by_arn.get(execution_arn)
        if found is None:
            raise models.ExecutionDoesNotExist(f"Execution Does Not Exist: '{execution_arn}'")
        return found

    models.StateMachine._handle_name_input_idempotency = _handle_name_input_idempotency
    models.StepFunctionBackend.describe_execution = describe_execution
    _installed = True
