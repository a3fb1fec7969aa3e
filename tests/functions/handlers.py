"""Load a Lambda handler module as Lambda would: in isolation, with its function's environment.

Each function folder is its own deployment package, so its modules are imported from their file
(not as part of a package) and registered under a name of their own in `sys.modules` (pydantic
and dataclasses look a class's module up there); monkeypatch undoes both after the test.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

POWERTOOLS_OFFLINE = {"POWERTOOLS_SERVICE_NAME": "test", "POWERTOOLS_METRICS_NAMESPACE": "Test",
                      "POWERTOOLS_TRACE_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1",
                      "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
"""Powertools without X-Ray, and moto's fake credentials: what every handler test runs with."""


def set_environment(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str] | None = None) -> None:
    """The function's own variables on top of POWERTOOLS_OFFLINE."""
    for name, value in {**POWERTOOLS_OFFLINE, **(variables or {})}.items():
        monkeypatch.setenv(name, value)


def load_handler(monkeypatch: pytest.MonkeyPatch, path: Path, module_name: str) -> ModuleType:
    """Import the module at `path` as `module_name`, its folder first on sys.path (its sibling modules)."""
    monkeypatch.syspath_prepend(str(path.parent))
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class FakeContext:
    """The Lambda context fields Powertools reads (the logger's function name and ARN, cold start)."""

    function_name: str = "fn"
    memory_limit_in_mb: int = 256
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    function_version: str = "$LATEST"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
