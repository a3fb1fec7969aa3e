"""The HTTP Task (`arn:aws:states:::http:invoke`), answered offline.

moto refuses the definition ("Unknown service 'http'"). AWS calls the `ApiEndpoint` with
`Method`, `Headers`, `QueryParameters` and `RequestBody` (through an EventBridge connection
for authentication) and gives the state `{"Headers", "ResponseBody", "StatusCode",
"StatusText"}`; a non-2xx answer fails the state with `States.Http.StatusCode.<code>`, and a
call that gets no answer with `States.Http.Socket`.

There is no internet in the sandbox: an endpoint is answered by the responder registered for
it (`sb.fakes.http.respond(...)`, see `sandbox.fakes.http`) or by a MockConfigFile test case
(the faults layer answers every Task before it gets here). With neither, the Task fails with
`States.Http.Socket` and a cause that says how to answer it.
https://docs.aws.amazon.com/step-functions/latest/dg/call-https-apis.html
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final, Protocol

from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceCondition
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

from sandbox.moto_fixes.errors import preserved_error_name

SERVICE_NAME: Final[str] = "http"
PARAMETERS: Final[set[str]] = {
    "ApiEndpoint", "Method", "Authentication", "Headers", "QueryParameters", "RequestBody", "Transform",
}
SOCKET_ERROR: Final[str] = "States.Http.Socket"

_installed = False


class HttpEndpoint(Protocol):
    """What answers HTTP Tasks: a request dict in, a response dict (or None: nobody answers) out."""

    def answer(self, request: dict[str, Any]) -> dict[str, Any] | None: ...


_endpoint: HttpEndpoint | None = None


def set_endpoint(endpoint: HttpEndpoint | None) -> None:
    """Route every HTTP Task of this process to `endpoint` (the active sandbox's fake)."""
    global _endpoint
    _endpoint = endpoint


class HttpFailure(Exception):
    def __init__(self, error: str, cause: str) -> None:
        super().__init__(cause)
        self.error, self.cause = error, cause


def http_result(request: dict[str, Any], endpoint: HttpEndpoint | None) -> dict[str, Any]:
    """The state's result for `request`, or HttpFailure as AWS would fail the Task."""
    method, url = request.get("Method", "GET"), request.get("ApiEndpoint", "")
    response = endpoint.answer(request) if endpoint is not None else None
    if response is None:
        raise HttpFailure(SOCKET_ERROR, (
            f"No answer for the HTTP Task {method} {url}: the sandbox has no internet. Register a responder "
            "(sb.fakes.http.respond(method, url_prefix, response)) or answer the state from a MockConfigFile "
            "test case."))
    status = int(response.get("StatusCode", 200))
    result = {"Headers": dict(response.get("Headers") or {}), "ResponseBody": response.get("ResponseBody", {}),
              "StatusCode": status, "StatusText": response.get("StatusText", "OK" if status < 400 else "Error")}
    if not 200 <= status < 300:
        raise HttpFailure(f"States.Http.StatusCode.{status}", json.dumps(result, separators=(",", ":")))
    return result


class StateTaskServiceHttp(StateTaskServiceCallback):
    """`arn:aws:states:::http:invoke` (request-response only, as on AWS)."""

    def __init__(self) -> None:
        super().__init__(supported_integration_patterns=set[ResourceCondition]())

    def _get_supported_parameters(self) -> set[str] | None:
        return set(PARAMETERS) if self.resource.api_action.lower() == "invoke" else None

    def _from_error(self, env: Any, ex: Exception) -> FailureEvent:
        if isinstance(ex, HttpFailure):
            return FailureEvent(
                env=env, error_name=preserved_error_name(ex.error), event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(
                    error=ex.error, cause=ex.cause, resource=self._get_sfn_resource(),
                    resourceType=self._get_sfn_resource_type())))
        return super()._from_error(env=env, ex=ex)

    def _eval_service_task(self, env: Any, resource_runtime_part: Any, normalised_parameters: dict,
                           state_credentials: Any) -> None:
        env.stack.append(http_result(dict(normalised_parameters), _endpoint))


def _with_http(original: Callable[..., Any]) -> Callable[..., Any]:
    def state_task_service_for(service_name: str) -> Any:
        if service_name == SERVICE_NAME:
            return StateTaskServiceHttp()
        return original(service_name)

    return state_task_service_for


def install() -> None:
    """Teach moto's Task factory the HTTP Task (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_factory

    from sandbox.moto_fixes.rebind import rebind

    original = state_task_service_factory.state_task_service_for
    rebind("state_task_service_for", original, _with_http(original),
           ("moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_factory",))
    _installed = True

