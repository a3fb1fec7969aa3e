"""A SAM project written into a test's tmp_path: one function and a state machine whose only Task invokes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MACHINE = "Flow"


def write_project(root: Path, files: dict[str, str], *, runtime: str = "nodejs20.x", handler: str = "app.handler",
                  function: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None,
                  extra_resources: dict[str, Any] | None = None, definition: dict[str, Any] | None = None) -> Path:
    """`files` go into root/fn/ (the function's CodeUri); returns the template's path."""
    for name, text in files.items():
        path = root / "fn" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "fn").mkdir(exist_ok=True)
    properties = {"CodeUri": "fn/", "Handler": handler, "Runtime": runtime, "Timeout": 10,
                  "Environment": {"Variables": {"GREETING": "Hello"}}, **(function or {})}
    fn: dict[str, Any] = {"Type": "AWS::Serverless::Function", "Properties": properties}
    if metadata:
        fn["Metadata"] = metadata
    task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": {"Ref": "Fn"}, "Payload.$": "$"}, "OutputPath": "$.Payload", "End": True}
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Fn": fn,
            MACHINE: {"Type": "AWS::Serverless::StateMachine",
                      "Properties": {"Definition": definition or {"StartAt": "Call", "States": {"Call": task}}}},
            **(extra_resources or {}),
        },
    }
    path = root / "template.yaml"
    path.write_text(json.dumps(template, indent=1))  # JSON is YAML
    return path


def task_failure(run: Any) -> tuple[str, dict[str, Any]]:
    """The error name and the parsed cause (Lambda's error payload) of the execution's failed Task."""
    details = run.events_of("TaskFailed")[0]["taskFailedEventDetails"]
    return details["error"], json.loads(details["cause"])
