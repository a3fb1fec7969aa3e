"""Suites written for Step Functions Local run unchanged: `<state machine ARN>#<test case>` starts.

Step Functions Local reads the MockConfigFile named by SFN_MOCK_CONFIG and applies a test
case only to an execution started on `<state machine ARN>#<test case>`; other executions of
the same state machine call the services for real. The sandbox does the same, and also lets
the file name a state machine by its workflow slug or logical ID (the deployed name depends
on the stack name).
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from sandbox.cli import main
from sandbox.core import Sandbox

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events" / "document-processing"
LICENCE = json.loads((EVENTS / "licence.json").read_text())
CAR = json.loads((EVENTS / "car.json").read_text())


def _mock_config(state_machine: str) -> dict:
    return {
        "StateMachines": {state_machine: {"TestCases": {"NoLabels": {"DetectLabels": "NoLabelsFound"}}}},
        "MockedResponses": {"NoLabelsFound": {"0": {"Return": {"Labels": []}}}},
    }


@pytest.fixture
def mock_config_file(tmp_path: Path) -> Path:
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(_mock_config("document-processing")))
    return path


def test_a_test_case_start_answers_only_that_execution(monkeypatch, mock_config_file):
    monkeypatch.setenv("SFN_MOCK_CONFIG", str(mock_config_file))
    with Sandbox.from_template(ROOT / "template.yaml") as sb:
        sb.seed(EVENTS / "objects.json")
        arn = sb.workflow("document-processing").arn
        sfn = boto3.client("stepfunctions", region_name=sb.region)
        mocked = sfn.start_execution(stateMachineArn=f"{arn}#NoLabels", input=json.dumps(LICENCE))["executionArn"]
        assert mocked.startswith(arn.replace(":stateMachine:", ":execution:") + ":")
        assert (sb.wait(mocked).status, sb.wait(mocked).error) == ("FAILED", "DocumentProcessing.NoLabelsDetected")
        # Same state machine, no test case: Rekognition (the sandbox's fake) answers for real.
        real = sb.run("document-processing", CAR)
        assert (real.status, real.path[-1]) == ("SUCCEEDED", "CarProcessed"), real.path
        assert [i.state for i in sb.faults.injected] == ["DetectLabels"]


@pytest.mark.parametrize("name", ["sfn-suite-DocumentProcessingStateMachine", "DocumentProcessingStateMachine"])
def test_the_file_may_name_the_state_machine_by_deployed_name_or_logical_id(tmp_path, name):
    config = tmp_path / "MockConfigFile.json"
    config.write_text(json.dumps(_mock_config(name)))
    with Sandbox.from_template(ROOT / "template.yaml") as sb:
        sb.seed(EVENTS / "objects.json")
        sb.faults.mock_config = config
        run = sb.wait(sb.start("document-processing", LICENCE, test_case="NoLabels"))
    assert run.error == "DocumentProcessing.NoLabelsDetected"


def test_an_unknown_test_case_is_invalid_name(mock_config_file):
    with Sandbox.from_template(ROOT / "template.yaml") as sb:
        sb.faults.mock_config = mock_config_file
        with pytest.raises(ClientError, match="InvalidName") as raised:
            sb.start("document-processing", LICENCE, test_case="Missing")
        assert "no test case 'Missing'" in raised.value.response["Error"]["Message"]
        assert sb.executions() == []


def test_a_test_case_without_a_mock_config_is_invalid_name(monkeypatch):
    monkeypatch.delenv("SFN_MOCK_CONFIG", raising=False)
    with Sandbox.from_template(ROOT / "template.yaml") as sb, pytest.raises(ClientError, match="no MockConfigFile"):
        sb.start("document-processing", LICENCE, test_case="NoLabels")


def test_cli_runs_a_test_case(mock_config_file, capsys):
    argv = ["--template", str(ROOT / "template.yaml"), "run", "document-processing",
            "--event", str(EVENTS / "licence.json"), "--output", "json"]
    assert main([*argv, "--mock-config", str(mock_config_file), "--test-case", "NoLabels"]) == 1
    assert json.loads(capsys.readouterr().out)["error"] == "DocumentProcessing.NoLabelsDetected"
    assert main([*argv, "--mock-config", str(mock_config_file), "--test-case", "Missing"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sandbox: Invalid mock test case name 'Missing'") and err.count("\n") == 1
