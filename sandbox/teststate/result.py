"""`TestStateResult`: a TestState response with its JSON texts read, for assertions in tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sandbox.history import json_or_text

_UNSET: Any = object()


@dataclass(frozen=True)
class TestStateResult:
    """One TestState answer: `output` and the `inspection` values are parsed JSON, numbers stay numbers."""

    __test__ = False  # not a pytest test class, despite its name

    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    next_state: str | None = None
    inspection: dict[str, Any] = field(default_factory=dict)
    response: dict[str, Any] = field(default_factory=dict)
    """The API response as botocore returned it."""

    @classmethod
    def of(cls, response: dict[str, Any]) -> TestStateResult:
        inspection = {key: json_or_text(value) for key, value in (response.get("inspectionData") or {}).items()}
        return cls(status=response["status"], output=json_or_text(response.get("output")), error=response.get("error"),
                   cause=response.get("cause"), next_state=response.get("nextState"), inspection=inspection,
                   response={k: v for k, v in response.items() if k != "ResponseMetadata"})

    @property
    def error_details(self) -> dict[str, Any]:
        return dict(self.inspection.get("errorDetails") or {})


def request_for(definition: str, state: str, input: Any = None, *, mock_result: Any = _UNSET,
                mock_error: tuple[str, str] | None = None, field_validation_mode: str | None = None,
                retrier_retry_count: int | None = None, map_iteration_failure_count: int | None = None,
                error_caused_by_state: str | None = None, inspection_level: str = "DEBUG",
                variables: dict[str, Any] | None = None, context: dict[str, Any] | None = None,
                role_arn: str | None = None) -> dict[str, Any]:
    """The TestState request for `state` of a whole definition, from keyword arguments that read naturally."""
    request: dict[str, Any] = {"definition": definition, "stateName": state, "inspectionLevel": inspection_level,
                               "input": json.dumps({} if input is None else input)}
    mock: dict[str, Any] = {}
    if mock_result is not _UNSET:
        mock["result"] = json.dumps(mock_result)
    if mock_error is not None:
        mock["errorOutput"] = {"error": mock_error[0], "cause": mock_error[1]}
    if field_validation_mode:
        mock["fieldValidationMode"] = field_validation_mode
    if mock:
        request["mock"] = mock
    configuration = {key: value for key, value in (("retrierRetryCount", retrier_retry_count),
                                                   ("mapIterationFailureCount", map_iteration_failure_count),
                                                   ("errorCausedByState", error_caused_by_state))
                     if value is not None}
    if configuration:
        request["stateConfiguration"] = configuration
    if variables:
        request["variables"] = json.dumps(variables)
    if context:
        request["context"] = json.dumps(context)
    if role_arn:
        request["roleArn"] = role_arn
    return request
