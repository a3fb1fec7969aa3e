"""`sandbox test-state WORKFLOW STATE`: TestState on one state of the template, printed as a table.

Exit codes: 0 the state did what it was designed to (SUCCEEDED, RETRIABLE, CAUGHT_ERROR), 1 it
FAILED, 2 bad usage or a request TestState refuses (one line: the API's error and message).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sandbox.teststate.result import TestStateResult


class _Refused(Exception):
    """Bad usage, or a request the API refused: exit 2 with this one line."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("test-state", help="run one state with TestState (mocks, retries, inspection)")
    parser.add_argument("workflow", help="workflow slug, e.g. document-processing")
    parser.add_argument("state", help="the state's name in the definition, e.g. DetectLabels")
    parser.add_argument("--input", default="{}", metavar="JSON", help="the state's input: JSON, or @FILE (default {})")
    mock = parser.add_mutually_exclusive_group()
    mock.add_argument("--mock-result", metavar="JSON", help="the service's answer instead of the call: JSON, or @FILE")
    mock.add_argument("--mock-error", metavar="ERROR[:CAUSE]", help="the service fails with this error (and cause)")
    parser.add_argument("--field-validation", choices=("STRICT", "PRESENT", "NONE"),
                        help="check --mock-result against the API's response shape (default STRICT, as AWS)")
    parser.add_argument("--retry-count", type=int, metavar="N",
                        help="retries already made by the retrier that matches the error (stateConfiguration)")
    parser.add_argument("--map-failures", type=int, metavar="N", help="Map iterations that failed (with --mock-result)")
    parser.add_argument("--variables", metavar="JSON", help="variables in scope: a JSON object, or @FILE")
    parser.add_argument("--inspection-level", choices=("INFO", "DEBUG", "TRACE"), default="DEBUG")
    parser.add_argument("--output", choices=("table", "json"), default="table")
    return parser


def main(args: argparse.Namespace) -> int:
    from botocore.exceptions import ClientError

    from sandbox.core import Sandbox, SandboxError

    try:
        options = _options(args)
        template = Path(args.template)
        if not template.is_file():
            raise _Refused(f"template not found: {template}")
        with Sandbox.from_template(template) as sb:
            try:
                result = sb.test_state(args.workflow, args.state, _json_argument(args.input, "--input"), **options)
            except SandboxError as error:
                raise _Refused(str(error)) from None
            except ClientError as error:
                details = error.response["Error"]
                raise _Refused(f"{details['Code']}: {details['Message']}") from None
    except _Refused as refused:
        print(f"sandbox: test-state: {refused}", file=sys.stderr)
        return 2
    print(json.dumps(result.response, indent=2) if args.output == "json" else render(args, result))
    return 1 if result.status == "FAILED" else 0


def _options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {"inspection_level": args.inspection_level}
    if args.mock_result is not None:
        options["mock_result"] = _json_argument(args.mock_result, "--mock-result")
    if args.mock_error is not None:
        error, _, cause = args.mock_error.partition(":")
        options["mock_error"] = (error, cause)
    for option, key in (("field_validation", "field_validation_mode"), ("retry_count", "retrier_retry_count"),
                        ("map_failures", "map_iteration_failure_count")):
        if getattr(args, option) is not None:
            options[key] = getattr(args, option)
    if args.variables is not None:
        variables = _json_argument(args.variables, "--variables")
        if not isinstance(variables, dict):
            raise _Refused("--variables must be a JSON object")
        options["variables"] = variables
    return options


def _json_argument(value: str, option: str) -> Any:
    """An option's JSON: inline, or `@FILE` (the CLI's own rules for reading JSON, so its own messages)."""
    from sandbox.cli import UsageError, parse_json, read_json

    try:
        return read_json(value[1:], option) if value.startswith("@") else parse_json(value, option)
    except UsageError as error:
        raise _Refused(str(error)) from None


def render(args: argparse.Namespace, result: TestStateResult) -> str:
    rows = [("State", f"{args.state} ({args.workflow})"), ("Status", result.status)]
    if result.error is not None:
        rows.append(("Error", f"{result.error}: {result.cause}" if result.cause else result.error))
    if result.next_state:
        rows.append(("Next state", result.next_state))
    if "output" in result.response:
        rows.append(("Output", _compact(result.output)))
    lines = [f"{label:<11} {value}" for label, value in rows]
    if result.inspection:
        width = max(len(key) for key in result.inspection)
        lines += ["", "Inspection"]
        lines += [f"  {key:<{width}}  {_compact(value)}" for key, value in result.inspection.items()]
    return "\n".join(lines)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "), ensure_ascii=False)
