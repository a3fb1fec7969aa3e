"""Executions found through the index answer as moto's scan did: the same execution, the same errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sandbox.core import Sandbox
from sandbox.moto_fixes.execution_index import IndexedExecutions

FIXTURE = Path(__file__).parent / "fixture" / "template.yaml"


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox.from_template(FIXTURE) as sandbox:
        yield sandbox


class _NoScan(IndexedExecutions):
    """Executions that refuse to be read one by one: a lookup that still scans fails."""

    def __iter__(self) -> Any:
        raise AssertionError("the executions were scanned")


@contextmanager
def _no_scan(sb: Sandbox, slug: str) -> Iterator[None]:
    machine = next(m for m in sb._backend().state_machines if m.arn == sb.workflow(slug).arn)
    executions = machine.executions
    machine.executions = _NoScan(list.__iter__(executions))
    try:
        yield
    finally:
        machine.executions = IndexedExecutions(list.__iter__(machine.executions))


def test_describe_and_history_find_each_execution_without_a_scan(sb: Sandbox) -> None:
    arns = [sb.start("flow", {"name": f"n{i}"}, name=f"indexed-{i}") for i in range(5)]
    for arn in arns:
        sb.wait(arn)
    with _no_scan(sb, "flow"):
        for i, arn in enumerate(arns):
            described = sb.sfn.describe_execution(executionArn=arn)
            assert (described["name"], described["status"]) == (f"indexed-{i}", "SUCCEEDED")
            history = sb.sfn.get_execution_history(executionArn=arn)["events"]
            assert history[0]["type"] == "ExecutionStarted"


def test_an_unknown_execution_is_still_execution_does_not_exist(sb: Sandbox) -> None:
    arn = sb.start("flow", {"name": "Ada"}, name="known")
    sb.wait(arn)
    with _no_scan(sb, "flow"), pytest.raises(ClientError) as raised:
        sb.sfn.describe_execution(executionArn=arn.replace(":known", ":unknown"))
    assert raised.value.response["Error"]["Code"] == "ExecutionDoesNotExist"


def test_a_name_already_used_is_refused_without_a_scan(sb: Sandbox) -> None:
    arn = sb.start("flow", {"name": "Ada"}, name="taken")
    sb.wait(arn)
    with _no_scan(sb, "flow"):
        with pytest.raises(ClientError) as raised:
            sb.start("flow", {"name": "Ada"}, name="taken")
        new = sb.start("flow", {"name": "Ada"}, name="not-taken-yet")
    assert raised.value.response["Error"]["Code"] == "ExecutionAlreadyExists"
    assert sb.wait(new).status == "SUCCEEDED"
