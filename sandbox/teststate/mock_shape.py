"""`mock.fieldValidationMode`: a mocked result checked against the service's response shape.

The shape is botocore's model of the API the Task calls, with member names in Step Functions'
casing (first letter upper case). STRICT checks types, values and required fields; PRESENT only
the fields the mock has; NONE nothing. Fields the API does not define are accepted, as AWS does.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import botocore.session
from botocore.exceptions import UnknownServiceError
from botocore.model import OperationNotFoundError, Shape

from sandbox.teststate.request import validation_error

_SERVICE_NAMES = {"states": "stepfunctions", "sfn": "stepfunctions", "eventbridge": "events"}
_SYNC_OPERATIONS = {("stepfunctions", "StartExecution"): "DescribeExecution"}
_NUMBER_TYPES = ("integer", "long", "float", "double")
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,), "map": (dict,), "list": (list,), "string": (str,), "timestamp": (str,),
    "blob": (str,), "boolean": (bool,),
}
_TYPE_WORDS = {"structure": "an object", "map": "an object", "list": "an array", "boolean": "a boolean"}


def check_mocked_result(resource: str, result: Any, mode: str) -> None:
    """Raise ValidationException, worded as AWS words it, when `result` does not fit the API's output."""
    if mode == "NONE":
        return
    shape = output_shape(resource)
    if shape is not None:
        _check(shape, "", result, strict=mode == "STRICT")


def output_shape(resource: str) -> Shape | None:
    """The output shape of the API a Task resource calls, or None when botocore does not model it."""
    service, operation = _service_operation(resource)
    if service is None or operation is None:
        return None
    return _shape(service, operation)


def _service_operation(resource: str) -> tuple[str | None, str | None]:
    if not resource.startswith("arn:aws:states:::"):
        return None, None  # a plain Lambda ARN: its result is the function's own payload
    parts = resource.removeprefix("arn:aws:states:::").split(":")
    if parts[0] == "aws-sdk" and len(parts) >= 3:
        service, action = parts[1], parts[2]
    elif len(parts) >= 2:
        service, action = parts[0], parts[1]
    else:
        return None, None
    action, _, pattern = action.partition(".")
    service = _SERVICE_NAMES.get(service, service)
    operation = action[:1].upper() + action[1:]
    if pattern.startswith("sync"):
        operation = _SYNC_OPERATIONS.get((service, operation), operation)
    return service, operation


@lru_cache(maxsize=128)
def _shape(service: str, operation: str) -> Shape | None:
    try:
        model = botocore.session.get_session().get_service_model(service)
        return model.operation_model(operation).output_shape
    except (UnknownServiceError, OperationNotFoundError):
        return None


def _check(shape: Shape, name: str, value: Any, *, strict: bool) -> None:
    kind = shape.type_name
    if kind == "blob" and shape.serialization.get("streaming"):
        return  # a stream (S3 GetObject's Body): Step Functions reads it as text
    if kind in _NUMBER_TYPES:
        _check_number(shape, name, value)
        return
    if not isinstance(value, _JSON_TYPES.get(kind, (object,))) or (kind != "boolean" and isinstance(value, bool)):
        _fail(f"Field '{name}' must be {_TYPE_WORDS.get(kind, 'a string')}")
    if kind == "structure":
        _check_structure(shape, value, strict=strict)
    elif kind == "list":
        for item in value:
            _check(shape.member, name, item, strict=strict)
    elif kind == "map":
        for item in value.values():
            _check(shape.value, name, item, strict=strict)
    elif kind in ("string", "blob"):
        _check_text(shape, name, value)


def _check_structure(shape: Shape, value: dict[str, Any], *, strict: bool) -> None:
    members = {_sfn_cased(member): member_shape for member, member_shape in shape.members.items()}
    if strict:
        for required in shape.required_members:
            if _sfn_cased(required) not in value:
                _fail(f"Required field '{_sfn_cased(required)}' is missing")
    # A Lambda Payload (the output's payload member): any JSON, as Step Functions decodes it.
    payload = _sfn_cased(shape.serialization.get("payload", ""))
    for key, item in value.items():
        if key in members and key != payload:
            _check(members[key], key, item, strict=strict)


def _check_number(shape: Shape, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        _fail(f"Field '{name}' must be a number")
    minimum, maximum = shape.metadata.get("min"), shape.metadata.get("max")
    if minimum is not None and value < minimum:
        _fail(f"Field '{name}' is less than the minimum value")
    if maximum is not None and value > maximum:
        _fail(f"Field '{name}' exceeds the maximum value")


def _check_text(shape: Shape, name: str, value: str) -> None:
    enum = getattr(shape, "enum", None)
    if enum and value not in enum:
        _fail(f"Field '{name}' is not an expected value")
    minimum, maximum = shape.metadata.get("min"), shape.metadata.get("max")
    if minimum is not None and len(value) < minimum:
        _fail(f"Field '{name}' is smaller than the minimum length")
    if maximum is not None and len(value) > maximum:
        _fail(f"Field '{name}' is larger than the maximum length")


def _sfn_cased(member: str) -> str:
    return member[:1].upper() + member[1:]


def _fail(message: str) -> None:
    raise validation_error(f"Mock result schema validation error: {message}")
