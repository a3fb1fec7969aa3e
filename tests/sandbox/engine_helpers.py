"""Tiny helpers to run inline ASL on moto's interpreter in engine tests.

These tests check the engine itself, so inline definitions are fine; app
workflows are tested from their own ASL files elsewhere.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import boto3

REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/sandbox-engine-test"
ENGINE_CONFIG: dict[str, Any] = {"stepfunctions": {"execute_state_machine": True}}
"""`mock_aws` config that turns on moto's ASL interpreter."""


def sfn_client() -> Any:
    """A Step Functions client in the test region (inside `mock_aws`)."""
    return boto3.client("stepfunctions", region_name=REGION)


def create_machine(definition: dict[str, Any], name: str | None = None) -> str:
    """Create a standard state machine from an inline definition and return its ARN.

    Names are unique by default: moto returns the existing machine for a repeated name.
    """
    response = sfn_client().create_state_machine(
        name=name or f"engine-test-{uuid.uuid4().hex[:12]}", definition=json.dumps(definition), roleArn=ROLE_ARN
    )
    return response["stateMachineArn"]


def wait_done(execution_arn: str, timeout: float = 10.0) -> dict[str, Any]:
    """Poll `describe_execution` until the execution leaves RUNNING; return the description.

    Executions run on a daemon thread, so polling is the only way to observe the end.
    """
    client = sfn_client()
    deadline = time.monotonic() + timeout
    while True:
        description = client.describe_execution(executionArn=execution_arn)
        if description["status"] != "RUNNING":
            return description
        if time.monotonic() > deadline:
            raise TimeoutError(f"{execution_arn} still RUNNING after {timeout}s")
        time.sleep(0.005)


def run(definition: dict[str, Any], payload: Any = None, timeout: float = 10.0) -> dict[str, Any]:
    """Create a machine, start one execution with `payload`, and return its final description."""
    arn = create_machine(definition)
    # An explicit name keeps these helpers independent of the start_execution naming fix.
    started = sfn_client().start_execution(
        stateMachineArn=arn, name=uuid.uuid4().hex, input=json.dumps(payload if payload is not None else {})
    )
    return wait_done(started["executionArn"], timeout=timeout)


def output_of(description: dict[str, Any]) -> Any:
    """The parsed output of a SUCCEEDED execution (fails loudly otherwise, with the error)."""
    assert description["status"] == "SUCCEEDED", (
        description["status"],
        description.get("error"),
        description.get("cause"),
    )
    return json.loads(description["output"])


def history(execution_arn: str) -> list[dict[str, Any]]:
    """All history events of an execution, oldest first."""
    return sfn_client().get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
