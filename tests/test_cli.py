"""The `sandbox` command, called in-process: JSON output shape, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.cli import main

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = str(ROOT / "template.yaml")
EVENTS = ROOT / "events" / "document-processing"
LICENCE_PATH = ["ValidateEvent", "ClaimObject", "ExtractCustomerId", "DetectLabels", "ClassifyDocument",
                "RouteDocument", "AnalyzeLicense", "PublishLicenseProcessed", "LicenseProcessed"]


def sandbox(*args: str) -> int:
    return main(["--template", TEMPLATE, *args])


def test_run_licence_as_json_succeeds(capsys):
    assert sandbox("run", "document-processing", "--event", str(EVENTS / "licence.json"), "--output", "json") == 0
    out = capsys.readouterr()
    result = json.loads(out.out)
    assert set(result) == {"status", "output", "error", "cause", "history", "path",
                           "triggered", "notifications", "events", "lost"}
    assert (result["status"], result["error"], result["cause"], result["path"]) == (
        "SUCCEEDED", None, None, LICENCE_PATH)
    assert set(result["output"]) == {"customerId", "documentType", "eventId"}
    assert (result["output"]["customerId"], result["output"]["documentType"]) == ("customer-0042", "DRIVING_LICENCE")
    assert [e["type"] for e in result["history"]][:2] == ["ExecutionStarted", "ChoiceStateEntered"]
    assert result["history"][-1]["type"] == "ExecutionSucceeded"
    assert result["history"][-1]["executionSucceededEventDetails"]["output"] == json.dumps(
        result["output"], separators=(",", ":"))
    assert all(isinstance(e["timestamp"], str) and e["timestamp"].endswith("Z") for e in result["history"])
    assert out.err == ""


def test_run_no_labels_exits_1_with_the_named_error(capsys):
    assert sandbox("run", "document-processing", "--event", str(EVENTS / "no-labels.json"), "--output", "json") == 1
    result = json.loads(capsys.readouterr().out)
    assert (result["status"], result["output"], result["error"], result["cause"]) == (
        "FAILED", None, "DocumentProcessing.NoLabelsDetected",
        "Rekognition found no label above the minimum confidence.")
    assert result["path"] == [*LICENCE_PATH[:6], "NoLabelsDetected"]


def test_run_table_output_shows_path_status_and_error(capsys):
    assert sandbox("run", "document-processing", "--event", str(EVENTS / "no-prefix.json")) == 1
    lines = capsys.readouterr().out.splitlines()
    summary = [line for line in lines if line.startswith(("Path:", "Status:", "Error:"))]
    assert summary == [
        "Path:   ValidateEvent -> MissingCustomerPrefix",
        "Status: FAILED",
        "Error:  DocumentProcessing.MissingCustomerPrefix: "
        "The object key has no customer prefix: expected '<customerId>/<file>'.",
    ]


def _usage_error(capsys, *args: str) -> str:
    assert sandbox(*args) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert "Traceback" not in out.err
    assert out.err.count("\n") == 1 and out.err.startswith("sandbox: ")
    return out.err.rstrip("\n")


def test_missing_event_file_exits_2(capsys, tmp_path):
    missing = tmp_path / "nope.json"
    assert _usage_error(capsys, "run", "document-processing", "--event", str(missing)) == (
        f"sandbox: cannot read event {missing}: No such file or directory")


def test_malformed_event_json_exits_2(capsys, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"id": "1",\n  "detail": }\n')
    assert _usage_error(capsys, "run", "document-processing", "--event", str(broken)) == (
        f"sandbox: event {broken} is not valid JSON: Expecting value at line 2")


def test_unknown_workflow_exits_2(capsys):
    """The message lists the template's workflows, so a typo is easy to fix."""
    from sandbox.provision import slug_of
    from sandbox.stack import Stack
    from sandbox.template_yaml import load_template

    stack = Stack(load_template(ROOT / "template.yaml"), ROOT)
    machines = sorted(f"{slug_of(r)} ({r.logical_id})" for r in stack.of_type("AWS::Serverless::StateMachine"))
    assert _usage_error(capsys, "run", "no-such-flow", "--event", str(EVENTS / "licence.json")) == (
        f"sandbox: unknown workflow 'no-such-flow'; the template has: {', '.join(machines)}")


def test_missing_template_exits_2(capsys, tmp_path):
    assert main(["--template", str(tmp_path / "t.yaml"), "run", "document-processing", "--event",
                 str(EVENTS / "licence.json")]) == 2
    assert capsys.readouterr().err == f"sandbox: template not found: {tmp_path / 't.yaml'}\n"


@pytest.mark.parametrize(("argv", "reason"), [
    (["run", "document-processing"], "run: the following arguments are required: --event"),
    (["frobnicate"], "argument command: invalid choice: 'frobnicate'"),
    ([], "the following arguments are required: command"),
])
def test_bad_arguments_exit_2_with_a_one_line_reason(capsys, argv, reason):
    assert _usage_error(capsys, *argv).startswith(f"sandbox: {reason}")


@pytest.mark.parametrize(("text", "reason"), [
    ("Resources: [\n", "is not valid YAML: did not find expected node content at line 2"),
    ("- a\n- b\n", "a CloudFormation template must be a mapping at top level"),
    ("Resources:\n  Flow:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n"
     "      DefinitionUri: missing.asl.json\n", "Flow: cannot read the ASL file"),
])
def test_a_template_that_cannot_be_loaded_exits_2_with_a_one_line_reason(capsys, tmp_path, text, reason):
    template = tmp_path / "template.yaml"
    template.write_text(text)
    assert main(["--template", str(template), "run", "flow", "--event", str(EVENTS / "licence.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sandbox: ") and reason in err and err.count("\n") == 1 and "Traceback" not in err


def test_run_an_event_file_holding_a_json_string_ends_in_the_named_error(tmp_path, capsys):
    # A file holding "x" is valid JSON: it is the execution's input, not input text to parse again.
    event = tmp_path / "string.json"
    event.write_text('"x"')
    assert sandbox("run", "document-processing", "--event", str(event), "--output", "json") == 1
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "FAILED"
    assert result["error"].startswith("DocumentProcessing.")


def test_a_sample_named_like_a_test_case_runs_as_it(capsys):
    """events/it-provisioning/provisioning-fails.json starts as that test case of MockConfigFile.json beside it."""
    sample = ROOT / "events" / "it-provisioning" / "provisioning-fails.json"
    assert sandbox("run", "it-provisioning", "--event", str(sample)) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if line.startswith(("Status:", "Mocked:"))] == [
        "Status: FAILED",
        "Mocked: DescribeStack (attempt 1), by test case provisioning-fails of "
        f"{sample.parent / 'MockConfigFile.json'}",
    ]
    path = next(line for line in lines if line.startswith("Path:"))
    assert path.endswith("DeleteStack -> RecordRolledBack -> WriteFinalAuditRecord -> NotifyRequester -> RouteOutcome"
                         " -> ProvisioningFailed")


def test_cost_of_a_sample_runs_it_as_its_test_case_too(capsys):
    """The figure `sandbox cost` prints is the run the docs page prices: the rollback, with its DeleteStack."""
    sample = ROOT / "events" / "it-provisioning" / "provisioning-fails.json"
    assert sandbox("cost", "it-provisioning", "--event", str(sample)) == 0
    out = capsys.readouterr().out
    assert "15 state transitions" in out and "cloudformation:deleteStack" in out
