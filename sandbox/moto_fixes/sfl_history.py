"""Step Functions Local's shape of an aws-sdk Task's history fields, for suites written against it.

AWS records an aws-sdk Task (`arn:aws:states:::aws-sdk:comprehend:detectSentiment`) with
`resourceType: "aws-sdk:comprehend"` and `resource: "detectSentiment"`, and so does the sandbox.
Step Functions Local records `"aws-sdk"` and `"comprehend:detectSentiment"`: a test suite that
asserts on those fields passes there and fails on AWS. `SANDBOX_HISTORY_SHAPE=sfl` makes the
sandbox record SFL's shape (in TaskScheduled, TaskStarted, TaskSucceeded, TaskFailed... events),
so such a suite runs as it is; leave it unset to see the history AWS writes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Final

ENVIRONMENT_VARIABLE: Final[str] = "SANDBOX_HISTORY_SHAPE"
_installed = False


def sfl_shaped() -> bool:
    """Whether histories take Step Functions Local's shape (read at each event: tests may switch it)."""
    return os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower() == "sfl"


def _resource_type(original: Callable[[Any], str]) -> Callable[[Any], str]:
    def get_sfn_resource_type(self: Any) -> str:
        return "aws-sdk" if sfl_shaped() else original(self)

    return get_sfn_resource_type


def _resource(original: Callable[[Any], str]) -> Callable[[Any], str]:
    def get_sfn_resource(self: Any) -> str:
        return f"{self.resource.api_name}:{original(self)}" if sfl_shaped() else original(self)

    return get_sfn_resource


def install() -> None:
    """Offer SFL's history shape behind SANDBOX_HISTORY_SHAPE=sfl (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk,
    )

    StateTaskServiceAwsSdk._get_sfn_resource_type = _resource_type(StateTaskServiceAwsSdk._get_sfn_resource_type)  # type: ignore[assignment]
    StateTaskServiceAwsSdk._get_sfn_resource = _resource(StateTaskServiceAwsSdk._get_sfn_resource)  # type: ignore[assignment]
    _installed = True
