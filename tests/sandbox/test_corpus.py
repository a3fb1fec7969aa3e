"""Templates as people write them (tests/sandbox/corpus/), run end to end through the CLI.

Each folder reproduces a shape found in public SAM projects: YAML ASL, plain CloudFormation state
machines, inline definitions, parameters given by samconfig.toml or --parameter-overrides, services
the sandbox cannot answer. `broken/` holds inputs that must end in one line on stderr and exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox import cli
from sandbox.core import Sandbox
from sandbox.intrinsics import TemplateError
from sandbox.stack import parse_parameter_overrides

CORPUS = Path(__file__).parent / "corpus"


def _cli(capsys, folder: str, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--template", str(CORPUS / folder / "template.yaml"), *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def _run_json(capsys, folder: str, machine: str, event: str, *options: str) -> tuple[int, dict]:
    code, out, _err = _cli(capsys, folder, *options, "run", machine, "--event", str(CORPUS / folder / event),
                           "--output", "json")
    return code, json.loads(out)


@pytest.fixture(autouse=True)
def _no_kept_runs(monkeypatch, tmp_path):
    """`run` keeps its runs beside the template: keep them out of the source tree."""
    monkeypatch.setattr(cli, "RUNS_DIR", tmp_path / "runs")


def test_yaml_asl_with_samconfig_parameters_runs_by_logical_id(capsys):
    """samconfig.toml gives the parameter without Default (Environment=test: 5 % discount from Mappings)."""
    code, result = _run_json(capsys, "sam-yaml-asl", "OrderStateMachine", "order.json")
    assert (code, result["status"]) == (0, "SUCCEEDED")
    assert result["output"]["price"] == {"total": 475, "mode": "rehearsal"}


def test_parameter_overrides_win_over_samconfig(capsys):
    code, result = _run_json(capsys, "sam-yaml-asl", "order", "order.json", "--parameter-overrides",
                             "ParameterKey=Environment,ParameterValue=prod")
    assert (code, result["status"]) == (0, "SUCCEEDED")
    assert result["output"]["price"] == {"total": 500, "mode": "live"}


def test_stack_name_from_samconfig_or_option_names_the_resources():
    with Sandbox.from_template(CORPUS / "sam-yaml-asl" / "template.yaml") as sb:
        assert sb.stack.resources["OrdersTable"].name == "shop-orders"
        # SAM's implicit resources answer Ref/GetAtt; a resource whose Condition is false is not created.
        assert "ServerlessRestApi" in sb.stack.resources and "OrderStateMachineRole" in sb.stack.resources
        assert "ProdOnlyTopic" not in sb.stack.resources
    sb = Sandbox.from_template(CORPUS / "sam-yaml-asl" / "template.yaml", stack_name="qa")
    assert sb.stack.resources["OrdersTable"].name == "qa-orders"


def test_plain_cloudformation_state_machines_run(capsys):
    greeting = ("--parameter-overrides", "Greeting=Hello")
    code, result = _run_json(capsys, "cfn-state-machines", "GreetingMachine", "name.json", *greeting)
    assert (code, result["output"]) == (0, {"message": "Hello, Ada!"})
    code, result = _run_json(capsys, "cfn-state-machines", "JoinedMachine", "name.json", *greeting)
    assert (code, result["output"]) == (0, {"name": "Ada", "tag": "Hello"})
    code, result = _run_json(capsys, "cfn-state-machines", "SubstitutedMachine", "name.json", *greeting)
    activity = "arn:aws:states:us-east-1:123456789012:activity:sfn-suite-approval"
    assert (code, result["output"]) == (0, {"mine": activity, "listed": [activity]})


def test_an_activity_task_says_no_worker_answers_it_unless_a_test_case_does(capsys, tmp_path):
    greeting = ("--parameter-overrides", "Greeting=Hi")
    code, result = _run_json(capsys, "cfn-state-machines", "ApprovalMachine", "name.json", *greeting)
    assert (code, result["error"]) == (1, "States.Runtime")
    assert "the sandbox runs no worker for the activity arn:aws:states:us-east-1:123456789012:activity:" \
           "sfn-suite-approval" in result["cause"]
    config = tmp_path / "MockConfigFile.json"
    config.write_text(json.dumps({
        "StateMachines": {"ApprovalMachine": {"TestCases": {"approved": {"Approve": "Approved"}}}},
        "MockedResponses": {"Approved": {"0": {"Return": {"approved": True}}}}}))
    code, out, _err = _cli(capsys, "cfn-state-machines", *greeting, "run", "ApprovalMachine", "--event",
                           str(CORPUS / "cfn-state-machines" / "name.json"), "--output", "json",
                           "--test-case", "approved", "--mock-config", str(config))
    assert (code, json.loads(out)["output"]) == (0, {"approved": True})


def test_unsupported_resource_types_are_one_warning_line(capsys):
    code, _out, err = _cli(capsys, "cfn-state-machines", "--parameter-overrides", "Greeting=Hi", "run",
                           "GreetingMachine", "--event", str(CORPUS / "cfn-state-machines" / "name.json"))
    assert code == 0
    assert err.splitlines() == [
        "sandbox: warning: not created offline (type not supported): Dashboard (AWS::QuickSight::Dashboard)"]


def test_parameter_without_default_names_the_option(capsys):
    code, _out, err = _cli(capsys, "cfn-state-machines", "check")
    assert code == 2
    assert err == ("sandbox: parameter Greeting has no Default: pass --parameter-overrides Greeting=<value> "
                   "(or parameter_overrides in samconfig.toml)\n")


def test_inline_definition_reaches_queue_and_topic(capsys):
    code, result = _run_json(capsys, "inline-definition", "fan-out", "note.json")
    assert (code, result["status"]) == (0, "SUCCEEDED")
    assert [m["message"] for m in result["notifications"]["Notices"]] == ["new order"]


def test_a_canned_answer_fails_the_task_with_what_to_do(capsys):
    """moto answers InvokeModel with an empty body for every model: the Task says so instead of passing it on."""
    code, result = _run_json(capsys, "unanswered-services", "SummaryStateMachine", "text.json")
    assert (code, result["status"], result["error"]) == (1, "FAILED", "States.Runtime")
    assert "cannot answer bedrock:invokeModel (moto answers every model with an empty body)" in result["cause"]
    assert "MockConfigFile" in result["cause"]
    assert result["path"] == ["Summarise"]


def test_unimplemented_call_fails_the_task_with_what_to_do(capsys):
    folder = CORPUS / "unanswered-services"
    code, out, _err = _cli(capsys, "unanswered-services", "run", "SummaryStateMachine", "--event",
                           str(folder / "text.json"), "--mock-config", str(folder / "MockConfigFile.json"),
                           "--test-case", "summarised", "--output", "json")
    result = json.loads(out)
    assert (code, result["status"], result["error"]) == (1, "FAILED", "States.Runtime")
    assert "cannot answer translate:translateText (moto does not implement it)" in result["cause"]
    assert "MockConfigFile" in result["cause"]
    assert result["path"] == ["Summarise", "Translate"]  # the model answered by the test case


def test_check_lists_who_answers_each_task(capsys):
    code, out, _err = _cli(capsys, "unanswered-services", "check")
    assert code == 1
    lines = out.splitlines()
    assert "needs a mock (moto answers every model with an empty body)" in lines[0]
    assert "needs a mock (moto does not implement translate TranslateText)" in lines[1]
    assert "needs a mock (ReportFunction runs java21)" in lines[2]
    assert lines[-1] == "0 of 3 Task states answered offline; 3 need a MockConfigFile test case or a registered fake"
    code, out, _err = _cli(capsys, "sam-yaml-asl", "check")
    assert code == 0
    assert [line.split("  ")[2].strip() for line in out.splitlines()[:2]] == ["Lambda runtime (python)", "moto"]


@pytest.mark.parametrize(("folder", "message"), [
    ("broken/bad-yaml", "is not valid YAML"),
    ("broken/no-resources", "the template has no Resources"),
    ("broken/missing-asl", "Machine: cannot read the ASL file"),
    ("broken/bad-asl", "Machine: the ASL"),
    ("broken/s3-definition", "Machine: the ASL is the S3 object s3://my-artifacts/statemachine/flow.asl.json"),
    ("broken/cdk-project", "this is a CDK project: run `cdk synth`"),
    ("broken/cdk-stub", "has no Resources and this is a CDK project: run `cdk synth`"),
    ("broken/invalid-definition", "Machine: the ASL definition is invalid: the state machine: StartAt 'Missing'"),
])
@pytest.mark.parametrize("command", ["check", "list"])
def test_broken_projects_are_one_line_and_exit_2(capsys, folder, message, command):
    code, _out, err = _cli(capsys, folder, command)
    assert code == 2
    assert len(err.splitlines()) == 1 and message in err


def test_objects_json_naming_an_unknown_bucket_is_one_line(capsys):
    folder = CORPUS / "broken" / "unknown-bucket"
    code, _out, err = _cli(capsys, "broken/unknown-bucket", "run", "Machine", "--event", str(folder / "event.json"))
    assert code == 2
    assert err == (f"sandbox: {folder / 'objects.json'} names 'Outbox', which is no S3 bucket of the template "
                   "(it has: Inbox)\n")


def test_mock_config_accepts_the_name_in_the_file_or_lists_those_it_accepts(capsys, tmp_path):
    config = {"StateMachines": {"FanOutStateMachine": {"TestCases": {"quiet": {"Notify": "Nothing"}}}},
              "MockedResponses": {"Nothing": {"0": {"Return": {"MessageId": "m-1"}}}}}
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(config))
    event = str(CORPUS / "inline-definition" / "note.json")
    code, out, _err = _cli(capsys, "inline-definition", "run", "fan-out", "--event", event, "--output", "json",
                           "--test-case", "quiet", "--mock-config", str(path))
    assert (code, json.loads(out)["notifications"]) == (0, {})
    config["StateMachines"] = {"SomethingElse": config["StateMachines"]["FanOutStateMachine"]}
    path.write_text(json.dumps(config))
    code, _out, err = _cli(capsys, "inline-definition", "run", "fan-out", "--event", event,
                           "--test-case", "quiet", "--mock-config", str(path))
    assert code == 2
    assert "named fan-out or FanOutStateMachine (the file has: SomethingElse)" in err


def test_parameter_overrides_take_both_sam_syntaxes():
    assert parse_parameter_overrides('A=1 B="two words" ParameterKey=C,ParameterValue=x,y') == {
        "A": "1", "B": "two words", "C": "x,y"}
    with pytest.raises(TemplateError, match="neither Key=Value"):
        parse_parameter_overrides("oops")


def test_aws_sdk_service_names_reach_their_boto3_client():
    from sandbox.moto_fixes.unimplemented import sdk_client_name

    assert [sdk_client_name(name) for name in ("bedrockagent", "s3", "sfn", "sagemakerruntime")] == [
        "bedrock-agent", "s3", "stepfunctions", "sagemaker-runtime"]


def test_check_names_fakes_and_runtimes_from_the_template(tmp_path):
    from sandbox.check import check
    from sandbox.stack import Stack

    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  NodeFunction: {Type: AWS::Serverless::Function, Properties: {CodeUri: f/, Handler: app.handler,"
        " Runtime: nodejs20.x}}\n"
        "  Machine:\n"
        "    Type: AWS::Serverless::StateMachine\n"
        "    Properties:\n"
        "      Definition:\n"
        "        StartAt: Id\n"
        "        States:\n"
        "          Id: {Type: Task, Resource: 'arn:aws:states:::aws-sdk:textract:analyzeID', Next: Node}\n"
        "          Node: {Type: Task, Resource: !GetAtt NodeFunction.Arn, Next: Child}\n"
        "          Child: {Type: Task, Resource: 'arn:aws:states:::states:startExecution.sync:2', Next: Elsewhere}\n"
        "          Elsewhere: {Type: Task, Resource: 'arn:aws:states:::lambda:invoke',"
        " Parameters: {FunctionName: other-function}, End: true}\n")
    answers = {c.state: c.answered_by for c in check(Stack.from_file(tmp_path / "template.yaml"))}
    assert answers == {"Id": "fake", "Node": "Lambda runtime (node)", "Child": "sandbox (Step Functions)",
                       "Elsewhere": "needs a mock (function other-function is not in the template)"}


def test_find_in_map_and_its_default_value(tmp_path):
    from sandbox.stack import Stack

    template = {"Mappings": {"Sizes": {"small": {"Memory": 128}}}, "Resources": {"Fn": {
        "Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Join": ["-", [
            {"Fn::FindInMap": ["Sizes", "small", "Memory"]},
            {"Fn::FindInMap": ["Sizes", "large", "Memory", {"DefaultValue": 512}]}]]}}}}}
    assert Stack(template, tmp_path).resources["Fn"].name == "128-512"
    template["Resources"]["Fn"]["Properties"]["QueueName"] = {"Fn::FindInMap": ["Sizes", "huge", "Memory"]}
    with pytest.raises(TemplateError, match=r"Fn::FindInMap: Mappings has no Sizes.huge.Memory"):
        Stack(template, tmp_path)


def test_list_shows_every_kind_of_state_machine(capsys):
    code, out, _err = _cli(capsys, "sam-yaml-asl", "list")
    assert code == 0 and out.splitlines()[1].split()[:3] == ["order", "STANDARD", "OrderStateMachine"]
    code, out, _err = _cli(capsys, "cfn-state-machines", "--parameter-overrides", "Greeting=Hi", "list")
    assert code == 0
    assert {line.split()[0] for line in out.splitlines()[1:]} == {
        "ApprovalMachine", "GreetingMachine", "JoinedMachine", "SubstitutedMachine"}
