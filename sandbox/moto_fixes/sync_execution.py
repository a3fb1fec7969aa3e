"""StartSyncExecution, which moto 5.2.5 does not implement at all.

botocore sends StartSyncExecution to the `sync-states.<region>` host (the operation's
`hostPrefix`), which matches no moto backend: moto answers 404 "Not yet implemented". AWS runs
the Express execution and answers when it ends, with HTTP 200 whatever the execution did:

    {"executionArn", "stateMachineArn", "name", "startDate", "stopDate",
     "status": "SUCCEEDED" | "FAILED" | "TIMED_OUT",
     "error", "cause", "input", "inputDetails", "output", "outputDetails", "traceHeader",
     "billingDetails": {"billedMemoryUsedInMB", "billedDurationInMilliseconds"}}

`output` only when the execution succeeded; `error` and `cause` only when it did not. Billed
duration is rounded up to the next 100 ms and memory to the next 64 MB (Express pricing); the
sandbox cannot measure memory and reports the 64 MB minimum. A STANDARD state machine is refused
with `StateMachineTypeNotSupported`, input over 256 KiB with `ValidationException`, as on AWS.
An execution still running after Express's 5-minute limit (wall time here) is stopped and
reported TIMED_OUT.

The route goes to moto's own Step Functions handler, so everything else (input checks, the
ASL interpreter, the sandbox's other fixes) applies to sync executions unchanged.
"""

from __future__ import annotations

import math
import re
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, cast

from moto.core.exceptions import AWSError
from moto.core.responses import ActionResult
from moto.stepfunctions.exceptions import ValidationException
from moto.stepfunctions.responses import StepFunctionResponse

if TYPE_CHECKING:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

SYNC_URL_BASE: Final[str] = r"https?://sync-states\.(.+)\.amazonaws.com"
EXPRESS_LIMIT_SECONDS: Final[float] = 300.0
BILLING_MEMORY_MB: Final[int] = 64
BILLING_STEP_MS: Final[int] = 100
_POLL_SECONDS: Final[float] = 0.001

_installed = False


class StateMachineTypeNotSupported(AWSError):
    TYPE = "StateMachineTypeNotSupported"
    STATUS = 400


def billed_duration_ms(start: datetime | None, stop: datetime | None) -> int:
    """Express bills duration in 100 ms steps, at least one step."""
    if start is None or stop is None:
        return BILLING_STEP_MS
    elapsed_ms = max((stop - start).total_seconds() * 1000, 0.0)
    return max(BILLING_STEP_MS, math.ceil(elapsed_ms / BILLING_STEP_MS) * BILLING_STEP_MS)


def _status_of(execution: Any) -> str:
    status = execution.exec_status
    return getattr(status, "value", status) or "RUNNING"


def _wait_for_end(backend: Any, execution_arn: str, limit_seconds: float) -> Any:
    deadline = time.monotonic() + limit_seconds
    while True:
        execution = backend.describe_execution(execution_arn)
        if _status_of(execution) != "RUNNING":
            return execution
        if time.monotonic() > deadline:
            return None
        time.sleep(_POLL_SECONDS)


def start_sync_execution(self: StepFunctionResponse) -> ActionResult:
    """StepFunctionResponse.start_sync_execution: start, wait for the end, describe as AWS does."""
    from sandbox.moto_fixes.api import INPUT_TOO_LARGE_MESSAGE, input_too_large

    backend = cast("StepFunctionsParserBackend", self.stepfunction_backend)  # with execute_state_machine on
    arn = self._get_param("stateMachineArn")
    execution_input = self._get_param("input", if_none="{}")
    if input_too_large(execution_input):
        raise ValidationException(INPUT_TOO_LARGE_MESSAGE)
    state_machine = backend.describe_state_machine(arn)
    if getattr(state_machine, "type", "STANDARD") != "EXPRESS":
        raise StateMachineTypeNotSupported("This operation is not supported by this type of state machine")
    execution = backend.start_execution(arn, self._get_param("name"), execution_input,
                                        self._get_param("traceHeader"))
    ended = _wait_for_end(backend, execution.execution_arn, EXPRESS_LIMIT_SECONDS)
    if ended is None:
        from sandbox.moto_fixes.api import stop_with_details

        stop_with_details(backend, execution.execution_arn, "States.Timeout",
                          "The execution ran longer than the 5-minute Express limit.")
        ended = _wait_for_end(backend, execution.execution_arn, 10.0) or execution
    status = _status_of(ended)
    response: dict[str, Any] = {
        "executionArn": ended.execution_arn,
        "stateMachineArn": ended.state_machine_arn,
        "name": ended.name,
        "startDate": ended.start_date,
        "stopDate": ended.stop_date or ended.start_date,
        "status": "TIMED_OUT" if status in ("TIMED_OUT", "ABORTED") else status,
        "input": ended.execution_input,
        "inputDetails": {"included": True},
        "billingDetails": {"billedMemoryUsedInMB": BILLING_MEMORY_MB,
                           "billedDurationInMilliseconds": billed_duration_ms(ended.start_date, ended.stop_date)},
    }
    if status == "SUCCEEDED":
        output = ended.output
        # The interpreter keeps the output as a value: a string result is a JSON string ("\"text\"").
        response["output"] = None if output is None else _dumps(output)
        response["outputDetails"] = {"included": True}
    else:
        response["error"] = ended.error or ("States.Timeout" if status == "TIMED_OUT" else None)
        response["cause"] = ended.cause
        response = {k: v for k, v in response.items() if v is not None}
    if self._get_param("traceHeader"):
        response["traceHeader"] = self._get_param("traceHeader")
    return ActionResult(response)


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value)


def install() -> None:
    """Route the sync-states host to moto's Step Functions handler and answer StartSyncExecution (idempotent)."""
    global _installed
    if _installed:
        return
    from moto import backend_index
    from moto.stepfunctions import urls

    if SYNC_URL_BASE not in urls.url_bases:
        urls.url_bases.append(SYNC_URL_BASE)
    pattern = ("stepfunctions", re.compile(SYNC_URL_BASE))
    if all(p.pattern != SYNC_URL_BASE for _, p in backend_index.backend_url_patterns):
        backend_index.backend_url_patterns.append(pattern)
    StepFunctionResponse.start_sync_execution = start_sync_execution  # type: ignore[attr-defined]
    _installed = True
