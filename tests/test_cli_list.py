"""`sandbox list` on any SAM template: its state machines and how each starts, nothing of this repository."""

from __future__ import annotations

from pathlib import Path

from sandbox.cli import main

ROOT = Path(__file__).resolve().parent.parent

FOREIGN = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Uploads:
    Type: AWS::S3::Bucket
  OrdersMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Type: EXPRESS
      DefinitionUri: flows/orders.asl.json
      Events:
        Create: {Type: Api, Properties: {Path: /orders, Method: post}}
  IngestMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: !Sub "${AWS::StackName}-ingest"
      DefinitionUri: flows/ingest.asl.json
      Events:
        Upload:
          Type: EventBridgeRule
          Properties: {Pattern: {source: [aws.s3], detail-type: [Object Created]}}
  NightlyMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: flows/nightly.asl.json
      Events:
        Nightly: {Type: Schedule, Properties: {Schedule: cron(0 2 * * ? *)}}
  AuditMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: flows/audit.asl.json
  AuditRule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [shop.orders], detail-type: [OrderPlaced]}
      Targets: [{Id: audit, Arn: !GetAtt AuditMachine.Arn}]
  ReportMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: {StartAt: Done, States: {Done: {Type: Succeed}}}
  ReportApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Environment: {Variables: {MACHINE: !Ref ReportMachine}}
      Policies:
        - Statement: [{Effect: Allow, Action: states:StartExecution, Resource: !Ref ReportMachine}]
      Events:
        Ask: {Type: Api, Properties: {Path: /reports, Method: POST}}
        Read: {Type: Api, Properties: {Path: "/reports/{id}", Method: GET}}
  UploadApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.upload
      Runtime: python3.12
      Tags: {api: !Ref ServerlessRestApi}
      Environment:
        Variables:
          MACHINE: !Sub "arn:aws:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${AWS::StackName}-ingest"
      Policies:
        - Statement: [{Effect: Allow, Action: states:StartExecution, Resource: "*"}]
      Events:
        Upload: {Type: Api, Properties: {Path: /uploads, Method: put}}
"""


def _foreign_project(tmp_path: Path) -> Path:
    (tmp_path / "flows").mkdir()
    for name in ("orders", "ingest", "nightly", "audit"):
        (tmp_path / "flows" / f"{name}.asl.json").write_text('{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}')
    (tmp_path / "template.yaml").write_text(FOREIGN)
    return tmp_path / "template.yaml"


def _rows(out: str) -> dict[str, list[str]]:
    lines = out.splitlines()
    assert lines[0].split() == ["WORKFLOW", "TYPE", "LOGICAL", "ID", "NAME", "STARTS"]
    return {line.split()[0]: line.split(None, 4) for line in lines[1:]}


def test_list_shows_each_state_machine_and_how_it_starts(tmp_path, capsys):
    """Its own events, a rule that targets it, a function that starts it by Ref or by its name (the function
    also refers to SAM's implicit API, which the template does not declare)."""
    template = _foreign_project(tmp_path)
    assert main(["--template", str(template), "list"]) == 0
    out = capsys.readouterr().out
    assert "docs/" not in out and "patterns/" not in out
    assert _rows(out) == {
        "audit": ["audit", "STANDARD", "AuditMachine", "sfn-suite-AuditMachine",
                  "EventBridge rule shop.orders: OrderPlaced (via AuditRule)"],
        "ingest": ["ingest", "STANDARD", "IngestMachine", "sfn-suite-ingest",
                   "S3 notification Object Created (EventBridge rule); API PUT /uploads (via UploadApiFunction)"],
        "nightly": ["nightly", "STANDARD", "NightlyMachine", "sfn-suite-NightlyMachine", "schedule cron(0 2 * * ? *)"],
        "orders": ["orders", "EXPRESS", "OrdersMachine", "sfn-suite-OrdersMachine", "API POST /orders"],
        "ReportMachine": ["ReportMachine", "STANDARD", "ReportMachine", "sfn-suite-ReportMachine",
                          "API POST /reports (via ReportApiFunction)"],
    }


def test_list_of_a_state_machine_nothing_starts_says_direct(tmp_path, capsys):
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Solo:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n"
        "      StateMachineType: EXPRESS\n      Definition: {StartAt: A, States: {A: {Type: Succeed}}}\n")
    assert main(["--template", str(tmp_path / "template.yaml"), "list"]) == 0
    assert _rows(capsys.readouterr().out) == {
        "Solo": ["Solo", "EXPRESS", "Solo", "sfn-suite-Solo", "direct (StartExecution)"]}


def test_list_of_a_template_without_state_machines_says_so(tmp_path, capsys):
    (tmp_path / "template.yaml").write_text("Resources:\n  B:\n    Type: AWS::S3::Bucket\n")
    assert main(["--template", str(tmp_path / "template.yaml"), "list"]) == 0
    assert "no state machine" in capsys.readouterr().out


def test_list_of_a_missing_template_exits_2(tmp_path, capsys):
    assert main(["--template", str(tmp_path / "nope.yaml"), "list"]) == 2
    assert capsys.readouterr().err == f"sandbox: template not found: {tmp_path / 'nope.yaml'}\n"


def test_list_of_the_suite_shows_its_five_workflows(capsys):
    assert main(["--template", str(ROOT / "template.yaml"), "list"]) == 0
    rows = _rows(capsys.readouterr().out)
    assert rows["document-processing"][1:4] == ["EXPRESS", "DocumentProcessingStateMachine",
                                                "sfn-suite-DocumentProcessingStateMachine"]
    assert rows["account-application"][4] == "API POST /applications (via AccountApplicationApi)"
    assert rows["it-provisioning"][4] == "API POST /requests (via ItProvisioningRequestApiFunction)"
    assert rows["glacier-restore-complete"][4] == "S3 notification Object Restore Completed (EventBridge rule)"
    assert rows["glacier-restore"][4] == rows["custom-labels-training"][4] == "direct (StartExecution)"


def test_list_of_a_template_the_sandbox_cannot_read_exits_2_with_a_one_line_reason(tmp_path, capsys):
    (tmp_path / "template.yaml").write_text("Parameters:\n  Stage: {Type: String}\nResources:\n"
                                            "  Topic: {Type: AWS::SNS::Topic, Properties: {TopicName: !Ref Stage}}\n")
    assert main(["--template", str(tmp_path / "template.yaml"), "list"]) == 2
    assert capsys.readouterr().err == ("sandbox: parameter Stage has no Default: pass --parameter-overrides "
                                       "Stage=<value> (or parameter_overrides in samconfig.toml)\n")
