"""Tasks that call what moto does not implement fail with a cause that says so, never a Python error.

moto forwards a service integration it has no optimised support for to boto3 as
`getattr(client, action)(**params)`. `arn:aws:states:::bedrock:invokeModel` then asks the
*control-plane* client (`bedrock`) for `invoke_model` and the Task fails as
`States.Runtime: 'Bedrock' object has no attribute 'invoke_model'`; an action moto's server has
no route for (Translate, Athena, ...) fails as `<Service>.404: Not yet implemented`.

moto's interpreter keeps no activities (every execution gets an empty activity store), so an
activity Task fails with a TypeError from building `ActivityDoesNotExist`; and nothing offline
polls GetActivityTask anyway.

An `aws-sdk:<service>` name is the SDK's, without hyphens (`bedrockagent`, `sagemakerruntime`):
boto3 knows those services with them (`bedrock-agent`), and moto asks boto3 for the name as it is.

On AWS `bedrock:invokeModel` is Bedrock Runtime's InvokeModel, whose `Body` the Task returns
as JSON: call that client. For anything else moto cannot answer, activities included, the Task fails with
`States.Runtime` (no Retry or Catch should hide it: it is the sandbox's limit, not the
workflow's) and a cause naming the service action and the two ways to answer it offline.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable
from typing import Any, Final

import boto3
from botocore.exceptions import ClientError, UnknownServiceError
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.state.exec.state_task.mock_eval_utils import eval_mocked_response
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
    StateTaskService,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
    StateTaskServiceAwsSdk,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_unsupported import (
    StateTaskServiceUnsupported,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_activitiy import StateTaskActivity
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

from sandbox.moto_fixes.sdk_results import to_aws_json

_installed = False

# Optimised integrations whose API lives on another boto3 client than the ARN's service name.
RUNTIME_CLIENTS: Final[dict[tuple[str, str], str]] = {
    ("bedrock", "invokeModel"): "bedrock-runtime",
}


@functools.cache
def sdk_client_name(sdk_service: str) -> str:
    """The boto3 client name of an `aws-sdk:<service>` name: `bedrockagent` -> `bedrock-agent`, `s3` -> `s3`."""
    overrides = {"sfn": "stepfunctions", "eventbridge": "events", "cloudwatchlogs": "logs"}
    if sdk_service in overrides:
        return overrides[sdk_service]
    available = boto3.session.Session().get_available_services()
    if sdk_service in available:
        return sdk_service
    return next((name for name in available if name.replace("-", "") == sdk_service), sdk_service)


CANNED = {("bedrock-runtime", "InvokeModel"): "moto answers every model with an empty body"}
"""Actions moto implements with a canned answer no workflow can use: a Task calling them fails, as an unimplemented
one does, and `sandbox check` says they need a mock."""


def unanswered_cause(service: str, action: str, reason: str = "moto does not implement it") -> str:
    """What to tell the user when the sandbox cannot answer `service:action`."""
    return (f"the sandbox cannot answer {service}:{action} ({reason}): answer this Task with a "
            f"MockConfigFile test case (--test-case/--mock-config), or register a fake for {service} {action} "
            "(see sandbox/fakes)")


def is_unimplemented(error: Exception) -> bool:
    """moto's answer to a request it has no route for, or a client without that action."""
    if isinstance(error, AttributeError | NotImplementedError | UnknownServiceError):
        return True
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Message") == "Not yet implemented"
    return False


def unanswered_activity_cause(activity_arn: str) -> str:
    return (f"the sandbox runs no worker for the activity {activity_arn}: answer this Task with a MockConfigFile "
            "test case (--test-case/--mock-config)")


def _unanswered(env: Any, cause: str) -> FailureEventException:
    runtime = StatesErrorNameType.StatesRuntime
    return FailureEventException(failure_event=FailureEvent(
        env=env, error_name=StatesErrorName(typ=runtime), event_type=HistoryEventType.TaskFailed,
        event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(
            error=runtime.to_name(), cause=cause))))


def _activity_explained(_original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(_original)
    def _eval_execution(self: StateTaskActivity, env: Any) -> None:
        if env.is_mocked_mode():  # a test case answers it, as Step Functions Local lets it
            eval_mocked_response(env=env, mocked_response=env.get_current_mocked_response())
            return
        raise _unanswered(env, unanswered_activity_cause(self.resource.resource_arn))

    return _eval_execution


def _answered_or_explained(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def _eval_service_task(self: StateTaskService, env: Any, *args: Any, **kwargs: Any) -> None:
        try:
            original(self, env, *args, **kwargs)
        except Exception as error:
            if not is_unimplemented(error):
                raise
            raise _unanswered(env, unanswered_cause(self.resource.api_name, self.resource.api_action)) from error

    return _eval_service_task


def _runtime_client_call(original: Callable[..., None]) -> Callable[..., None]:
    """`bedrock:invokeModel` through Bedrock Runtime, its Body returned as JSON as the optimised integration does."""
    @functools.wraps(original)
    def _eval_service_task(self: StateTaskService, env: Any, *args: Any, **kwargs: Any) -> None:
        key = (self.resource.api_name, self.resource.api_action)
        if key not in RUNTIME_CLIENTS:
            original(self, env, *args, **kwargs)
            return
        operation = (RUNTIME_CLIENTS[key], key[1][:1].upper() + key[1][1:])
        if operation in CANNED:  # an answer no workflow can use: say so rather than pass it on
            raise _unanswered(env, unanswered_cause(*key, reason=CANNED[operation]))
        kwargs["normalised_parameters"] = _runtime_parameters(kwargs["normalised_parameters"])
        original(self, env, *args, **kwargs)
        # The runtime API's members (`body`, `contentType`) as the integration's fields (`Body`, `ContentType`).
        result = {key[:1].upper() + key[1:]: value for key, value in to_aws_json(env.stack.pop()).items()}
        if isinstance(result.get("Body"), str):
            with contextlib.suppress(json.JSONDecodeError):
                result["Body"] = json.loads(result["Body"])
        env.stack.append(result)

    return _eval_service_task


def _runtime_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """The optimised integration's PascalCase fields as the runtime API's members; a JSON Body sent as JSON text."""
    converted = {key[:1].lower() + key[1:]: value for key, value in parameters.items()}
    if "body" in converted and not isinstance(converted["body"], str | bytes):
        converted["body"] = json.dumps(converted["body"])
    return converted


def _runtime_client_name(original: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(original)
    def _get_boto_service_name(self: StateTaskService, boto_service_name: str | None = None) -> str:
        runtime = RUNTIME_CLIENTS.get((self.resource.api_name, self.resource.api_action))
        return runtime if runtime and boto_service_name is None else original(self, boto_service_name)

    return _get_boto_service_name


def _sdk_client_name(original: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(original)
    def _get_boto_service_name(self: StateTaskService, boto_service_name: str | None = None) -> str:
        return sdk_client_name(original(self, boto_service_name))

    return _get_boto_service_name


def install() -> None:
    """Explain unimplemented calls and activities; route bedrock:invokeModel (idempotent)."""
    global _installed
    if _installed:
        return
    StateTaskServiceUnsupported._get_boto_service_name = _runtime_client_name(
        StateTaskServiceUnsupported._get_boto_service_name)
    StateTaskServiceUnsupported._eval_service_task = _answered_or_explained(
        _runtime_client_call(StateTaskServiceUnsupported._eval_service_task))
    StateTaskServiceAwsSdk._eval_service_task = _answered_or_explained(StateTaskServiceAwsSdk._eval_service_task)
    StateTaskServiceAwsSdk._get_boto_service_name = _sdk_client_name(StateTaskServiceAwsSdk._get_boto_service_name)
    StateTaskActivity._eval_execution = _activity_explained(StateTaskActivity._eval_execution)
    _installed = True
