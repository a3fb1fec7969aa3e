"""`sandbox test-state`, called in-process: the table, the JSON answer, exit codes, one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.cli import main

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = str(ROOT / "template.yaml")
IMAGE = '{"bucket": "b", "key": "c/k.jpg"}'


def test_state(*args: str) -> int:
    return main(["--template", TEMPLATE, "test-state", *args])


test_state.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def test_caught_error_prints_the_table_with_inspection(capsys: pytest.CaptureFixture[str]) -> None:
    code = test_state("document-processing", "DetectLabels", "--input", IMAGE,
                      "--mock-error", "Rekognition.ThrottlingException:slow down", "--retry-count", "4")
    out = capsys.readouterr().out
    assert code == 0
    assert "Status      CAUGHT_ERROR" in out
    assert "Error       Rekognition.ThrottlingException: slow down" in out
    assert "Next state  LabelDetectionFailed" in out
    assert '  errorDetails     {"retryIndex": 0, "catchIndex": 0}' in out


def test_json_output_is_the_api_response(capsys: pytest.CaptureFixture[str]) -> None:
    code = test_state("document-processing", "RouteDocument", "--input", '{"labels": {"count": 0}}',
                      "--inspection-level", "INFO", "--output", "json")
    assert code == 0
    assert json.loads(capsys.readouterr().out) == {"status": "SUCCEEDED", "nextState": "NoLabelsDetected",
                                                   "output": '{"labels":{"count":0}}'}


def test_a_failed_state_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert test_state("document-processing", "InvalidEvent", "--output", "json") == 1
    assert json.loads(capsys.readouterr().out)["status"] == "FAILED"


@pytest.mark.parametrize(("args", "message"), [
    (("document-processing", "Nope"), "ValidationException: State not found in definition"),
    (("no-such-workflow", "X"), "unknown workflow 'no-such-workflow'"),
    (("document-processing", "DetectLabels", "--mock-result", '{"Labels": 3}'),
     "ValidationException: Mock result schema validation error: Field 'Labels' must be an array"),
    (("document-processing", "RouteDocument", "--input", "{bad"), "--input is not valid JSON"),
    (("document-processing", "RouteDocument", "--input", "@/no/such/file"), "cannot read --input /no/such/file"),
    (("document-processing", "RouteDocument", "--variables", "[1]"), "--variables must be a JSON object"),
])
def test_refusals_are_one_line_with_exit_2(capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
                                           message: str) -> None:
    assert test_state(*args) == 2
    err = capsys.readouterr().err
    assert err.startswith("sandbox: test-state: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
