"""The TestState operation on the sandbox's Step Functions client.

`sb.sfn.test_state(**request)` takes AWS's request and gives AWS's response: botocore checks
the request against the API model, this module answers it in-process instead of moto (which
has no TestState). Errors are the API's: `InvalidDefinition`, `ValidationException`,
`InvalidExecutionInput`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.fakes._api import Call, intercept

if TYPE_CHECKING:
    from sandbox.faults import FaultPlan
    from sandbox.teststate.runner import Scope


def install(events: Any, account_id: str, region: str, plan_of: Callable[[], FaultPlan]) -> None:
    """Answer `stepfunctions.TestState` on every client built from `events` afterwards.

    The runner loads at the first TestState call: every sandbox installs this, few call it.
    """

    def answer(call: Call) -> dict[str, Any]:
        from sandbox.teststate.runner import Scope

        return test_state(call.params, Scope(account_id=account_id, region=region, plan=plan_of()))

    intercept(events, "sfn", "TestState", answer)  # botocore names the events by service id


def test_state(params: dict[str, Any], scope: Scope) -> dict[str, Any]:
    """TestState's response (a dict shaped as botocore parses it) for a request's parameters."""
    from sandbox.teststate.inspection import to_json_text
    from sandbox.teststate.mock_shape import check_mocked_result
    from sandbox.teststate.request import parse_request
    from sandbox.teststate.runner import run_state

    request = parse_request(params)
    mock = request.mock
    if mock is not None and mock.has_result and request.state_type == "Task":
        check_mocked_result(str(request.state.get("Resource", "")), mock.result, mock.field_validation_mode)
    outcome, inspection = run_state(request, scope)
    response: dict[str, Any] = {"status": outcome.status}
    if outcome.has_output:
        response["output"] = to_json_text(outcome.output)
    if outcome.error is not None:
        response["error"] = outcome.error
    if outcome.cause is not None:
        response["cause"] = outcome.cause
    if outcome.next_state is not None:
        response["nextState"] = outcome.next_state
    if request.inspection_level != "INFO":
        response["inspectionData"] = inspection.as_response(request.state, outcome.error_details)
    return response


test_state.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, despite its name
