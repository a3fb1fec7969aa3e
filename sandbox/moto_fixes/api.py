"""Make moto's Step Functions API and its service clients behave as AWS does.

- StartExecution without a name gets a UUID name. moto's interpreter backend
  keeps `None`, so every unnamed start shares the ARN `...:None`: a repeat with
  the same input returns the first execution, a different input is refused.
- StartExecution with input over 262144 UTF-8 bytes is refused with AWS's
  ValidationException, before anything else is checked.
- SendTaskFailure keeps its `cause`, StopExecution its `error` and `cause`
  (in the ExecutionAborted event and in DescribeExecution).
- The interpreter logs every error it handles, even ones a Catch absorbs, at
  ERROR level: quiet by default, since history and DescribeExecution carry them.
- `boto_client_for` builds a fresh boto3 client for every Task call; a cache
  per (region, service) made a 1,000-item Distributed Map 4x faster.
- DescribeExecution gives `output` as JSON text. moto passes an output that is a
  string through as it is (`HelloWorld`), where AWS answers `"HelloWorld"`.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

import boto3
from botocore.client import BaseClient
from moto.core.models import botocore_stubber
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.moto_api._internal import mock_random
from moto.stepfunctions.exceptions import ExecutionDoesNotExist, ValidationException
from moto.stepfunctions.parser.asl.utils import boto_client
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from sandbox.moto_fixes.payload_quota import MAX_PAYLOAD_BYTES, is_within_size_quota
from sandbox.moto_fixes.rebind import rebind

MAX_INPUT_BYTES: Final[int] = MAX_PAYLOAD_BYTES
"""StartExecution input: the same 256 KiB quota as every state's input and result."""
INPUT_TOO_LARGE_MESSAGE: Final[str] = (
    "1 validation error detected: Value at 'input' failed to satisfy constraint: "
    f"Member must have size less than or equal to {MAX_INPUT_BYTES} bytes in UTF-8 encoding"
)
PARSER_LOGGER: Final[str] = "moto.stepfunctions.parser"

_installed = False

# -- execution names -------------------------------------------------------------------------------


def _named_start(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def start_execution(
        self: StepFunctionsParserBackend, state_machine_arn: str, name: str | None = None, *args: Any, **kwargs: Any
    ) -> Any:
        # mock_random keeps names reproducible when a test seeds moto.
        return original(self, state_machine_arn, name or str(mock_random.uuid4()), *args, **kwargs)

    return start_execution


# -- input size ------------------------------------------------------------------------------------


def input_too_large(execution_input: str | None) -> bool:
    """Whether StartExecution input exceeds the quota (counted in UTF-8 bytes, as AWS counts)."""
    return execution_input is not None and not is_within_size_quota(execution_input)


def _size_checked_start(original: Callable[[StepFunctionResponse], ActionResult]) -> Callable[..., ActionResult]:
    @functools.wraps(original)
    def start_execution(self: StepFunctionResponse) -> ActionResult:
        # AWS validates the request model before it looks the state machine up.
        if input_too_large(self._get_param("input")):
            raise ValidationException(INPUT_TOO_LARGE_MESSAGE)
        return original(self)

    return start_execution


# -- StartExecution in-process ---------------------------------------------------------------------


def start_in_process(backend: StepFunctionsParserBackend, state_machine_arn: str, execution_input: str) -> bool:
    """StartExecution (no name) answered as moto's API answers it, without the request and response around it.

    For executions the sandbox starts itself (an EventBridge rule's target): a botocore call
    serializes, parses and answers ~1 ms of work for the same backend call. Here: the same input
    check, the same backend call (names, ARNs, history, test cases: the backend's own), and the
    request ID moto's response layer draws from the same seeded generator as the names, so a
    seeded run names its executions as the API path does. False, having started nothing, where
    the API must answer: an error (the caller's API call then raises it as AWS names it), moto's
    IAM authorization or its request recorder on, calls not intercepted.
    """
    from moto.core.exceptions import AWSError
    from moto.moto_api import recorder
    from moto.stepfunctions.parser.api import ServiceException
    from moto.utilities.aws_headers import gen_amzn_requestid_long

    from sandbox.direct_calls import in_process_allowed

    if not in_process_allowed() or recorder._user_enabled:
        return False
    if input_too_large(execution_input):
        return False
    try:
        backend.start_execution(state_machine_arn, None, execution_input)  # type: ignore[arg-type]  # as the API: no name
    except (AWSError, ServiceException):
        return False
    gen_amzn_requestid_long()
    return True


# -- send_task_failure / stop_execution ------------------------------------------------------------


def _send_task_failure(self: StepFunctionResponse) -> EmptyResult:
    """moto's handler reads `error` but drops `cause`; the backend already accepts both."""
    backend = self.stepfunction_backend
    token, error, cause = self._get_param("taskToken"), self._get_param("error"), self._get_param("cause")
    if isinstance(backend, StepFunctionsParserBackend):
        backend.send_task_failure(token, error=error, cause=cause)
    else:
        backend.send_task_failure(token, error=error)
    return EmptyResult()


def stop_with_details(
    backend: StepFunctionsParserBackend, execution_arn: str, error: str | None, cause: str | None
) -> tuple[Any, datetime]:
    """Stop a running execution with AWS's lookups, passing error and cause to the interpreter."""
    backend._validate_execution_arn(execution_arn)
    state_machine = backend._get_state_machine_for_execution(execution_arn)
    execution = next((x for x in state_machine.executions if x.execution_arn == execution_arn), None)
    if execution is None:
        raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{execution_arn}'")
    stop_date = utcnow()
    execution.stop(stop_date=stop_date, error=error, cause=cause)
    return execution, stop_date


def _stop_execution(original: Callable[[StepFunctionResponse], ActionResult]) -> Callable[..., ActionResult]:
    @functools.wraps(original)
    def stop_execution(self: StepFunctionResponse) -> ActionResult:
        backend = self.stepfunction_backend
        if not isinstance(backend, StepFunctionsParserBackend):
            return original(self)
        execution, stop_date = stop_with_details(
            backend, self._get_param("executionArn"), self._get_param("error"), self._get_param("cause")
        )
        # The worker thread sets stop_date a moment later; AWS always answers with one.
        return ActionResult({"stopDate": getattr(execution, "stop_date", None) or stop_date})

    return stop_execution


# -- describe_execution ----------------------------------------------------------------------------


def _json_text_output(original: Callable[[StepFunctionResponse], ActionResult]) -> Callable[..., ActionResult]:
    @functools.wraps(original)
    def describe_execution(self: StepFunctionResponse) -> ActionResult:
        result = original(self)
        backend = self.stepfunction_backend
        if isinstance(backend, StepFunctionsParserBackend) and isinstance(result.result, dict):
            output = backend.describe_execution(self._get_param("executionArn")).output
            # The interpreter keeps the output as a value: a string is a JSON string, never JSON text.
            if isinstance(output, str) and "output" in result.result:
                result.result["output"] = json.dumps(output, separators=(",", ":"))
        return result

    return describe_execution


# -- logging ---------------------------------------------------------------------------------------


def quiet_parser_logs(level: int = logging.CRITICAL) -> None:
    """Silence the interpreter's per-component error logs unless someone chose a level already.

    They repeat every handled error (each Catch, each nesting level) with a full
    component repr; the execution history already records them.
    """
    logger = logging.getLogger(PARSER_LOGGER)
    if logger.level == logging.NOTSET:
        logger.setLevel(level)


# -- boto3 client cache ----------------------------------------------------------------------------

_original_boto_client_for: Callable[..., BaseClient] = boto_client.boto_client_for
_client_lock = threading.Lock()
_clients: dict[tuple[str, str, bool], BaseClient] = {}
_clients_session: Any = None

# Modules that bind `boto_client_for` by name at import time.
_CLIENT_CALLERS: Final[tuple[str, ...]] = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_eval_s3",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_batch",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_events",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_glue",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sns",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sqs",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_unsupported",
)


def reset_client_cache() -> None:
    """Forget cached clients.

    Call it after registering botocore event handlers on boto3's default
    session: a client copies the session's handlers when it is created, so a
    cached one would never see them. A new default session (each `mock_aws`
    start) already empties the cache by itself.
    """
    global _clients_session
    with _client_lock:
        _clients.clear()
        _clients_session = None


def cached_boto_client_for(region: str, service: str, state_credentials: Any = None) -> BaseClient:
    """`boto_client_for`, built once per (region, service) and default session."""
    global _clients_session
    # moto's client also depends on whether calls are intercepted (endpoint_url otherwise).
    key = (region, service, bool(botocore_stubber.enabled))
    with _client_lock:
        session = boto3.DEFAULT_SESSION
        if session is None or session is not _clients_session:
            _clients.clear()
            _clients_session = session
        client = _clients.get(key)
        if client is None:
            client = _original_boto_client_for(region=region, service=service, state_credentials=state_credentials)
            # A thread left over from a stopped sandbox can build its client while the next sandbox
            # installs its session: such a client is not the new session's, so it is never cached.
            if boto3.DEFAULT_SESSION is session and session is not None:
                _clients[key] = client
    return client


def _rebind_client_factory() -> None:
    rebind("boto_client_for", _original_boto_client_for, cached_boto_client_for, _CLIENT_CALLERS)


# -- install ---------------------------------------------------------------------------------------


def install() -> None:
    """Apply the API fixes (idempotent)."""
    global _installed
    if _installed:
        return
    StepFunctionsParserBackend.start_execution = _named_start(StepFunctionsParserBackend.start_execution)
    StepFunctionResponse.start_execution = _size_checked_start(StepFunctionResponse.start_execution)
    StepFunctionResponse.send_task_failure = _send_task_failure
    StepFunctionResponse.stop_execution = _stop_execution(StepFunctionResponse.stop_execution)
    StepFunctionResponse.describe_execution = _json_text_output(StepFunctionResponse.describe_execution)
    quiet_parser_logs()
    _rebind_client_factory()
    _installed = True
