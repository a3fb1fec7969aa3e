"""Give aws-sdk task results the JSON shapes AWS gives them.

moto pushes the raw boto3 response onto the state's stack. That leaves
`aws-sdk:s3:getObject`'s Body as a botocore StreamingBody (its repr ends up in
the state output) and leaves datetime objects in results such as
`LastModified`, which later break `describe_execution` (json.dumps fails), so
the execution looks RUNNING forever. On AWS the Body is the object's text and
timestamps are ISO-8601 strings in UTC.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.response import StreamingBody
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
    StateTaskServiceAwsSdk,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment

_installed = False


def iso_timestamp(value: datetime) -> str:
    """A UTC ISO-8601 timestamp with a `Z`, printed as the Java SDK behind Step Functions prints it.

    Fractional seconds appear only when non-zero, in groups of three digits.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # botocore parses service times as UTC
    value = value.astimezone(UTC)
    # isoformat writes strftime's fields in a fraction of its time (every HeadObject's LastModified); it pads a
    # year before 1000, which strftime does not.
    text = value.isoformat(timespec="seconds")[:19] if value.year >= 1000 else value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        millis, micros = divmod(value.microsecond, 1000)
        text += f".{millis:03d}" if micros == 0 else f".{value.microsecond:06d}"
    return text + "Z"


def to_aws_json(value: Any) -> Any:
    """Turn a boto3 response into the JSON value AWS returns for the same call."""
    if isinstance(value, dict):
        return {key: to_aws_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_aws_json(item) for item in value]
    if isinstance(value, datetime):
        return iso_timestamp(value)
    if isinstance(value, StreamingBody):
        # Step Functions hands the payload over as text; undecodable bytes must not fail the task.
        return value.read().decode("utf-8", errors="replace")
    if isinstance(value, bytes | bytearray):
        # JSON cannot carry raw bytes; blob members (e.g. KMS CiphertextBlob) travel base64-encoded.
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _normalising(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def _eval_service_task(self: StateTaskServiceAwsSdk, env: Environment, *args: Any, **kwargs: Any) -> None:
        original(self, env, *args, **kwargs)
        # The result is on top of the stack; replace it before moto records or size-checks it.
        env.stack.append(to_aws_json(env.stack.pop()))

    return _eval_service_task


def install() -> None:
    """Normalise every aws-sdk task result (idempotent)."""
    global _installed
    if _installed:
        return
    StateTaskServiceAwsSdk._eval_service_task = _normalising(StateTaskServiceAwsSdk._eval_service_task)
    _installed = True
