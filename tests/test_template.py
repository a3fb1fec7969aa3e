"""Static checks of template.yaml and of the ASL files it deploys (sam and cfn-lint never read them)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.template_yaml import load_template, loads_template

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
STATEMACHINES = ROOT / "statemachines"
DOCUMENT_EVENTS = ROOT / "events" / "document-processing"

PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
# Names a Retry may not use: retrying everything also retries bugs and permanent failures.
CATCH_ALL_ERRORS = {"States.ALL", "States.TaskFailed"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def state_machines(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::StateMachine"
    }


def asl_files() -> list[Path]:
    return sorted(STATEMACHINES.glob("*.asl.json"))


def all_states(definition: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state, nested Parallel branches and Map processors included, as (path, state)."""
    for name, state in definition["States"].items():
        path = f"{prefix}{name}"
        yield path, state
        for index, branch in enumerate(state.get("Branches", [])):
            yield from all_states(branch, f"{path}/branch{index}/")
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from all_states(state[key], f"{path}/{key}/")


# --- the template loader ------------------------------------------------------


def test_loader_maps_short_forms_to_long_forms() -> None:
    text = """
A: !Ref Bucket
B: !GetAtt Queue.Arn
C: !GetAtt [Queue, QueueName]
D: !Sub "${AWS::StackName}-x"
E: !Sub ["${X}", {X: !Ref Y}]
F: !If [IsProd, !Ref P, !Ref "AWS::NoValue"]
G: !Not [!Equals [!Ref E, ""]]
H: !Join [",", !Split [";", "a;b"]]
I: !Select [0, !GetAZs ""]
J: !FindInMap [M, K, V]
K: !And [!Condition C1, !Or [!Condition C2, !Condition C3]]
L: !Base64 text
M: !Cidr ["10.0.0.0/16", 4, 8]
N: !ImportValue exported
O: !GetAtt Db.Endpoint.Address
"""
    assert loads_template(text) == {
        "A": {"Ref": "Bucket"},
        "B": {"Fn::GetAtt": ["Queue", "Arn"]},
        "C": {"Fn::GetAtt": ["Queue", "QueueName"]},
        "D": {"Fn::Sub": "${AWS::StackName}-x"},
        "E": {"Fn::Sub": ["${X}", {"X": {"Ref": "Y"}}]},
        "F": {"Fn::If": ["IsProd", {"Ref": "P"}, {"Ref": "AWS::NoValue"}]},
        "G": {"Fn::Not": [{"Fn::Equals": [{"Ref": "E"}, ""]}]},
        "H": {"Fn::Join": [",", {"Fn::Split": [";", "a;b"]}]},
        "I": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
        "J": {"Fn::FindInMap": ["M", "K", "V"]},
        "K": {"Fn::And": [{"Condition": "C1"}, {"Fn::Or": [{"Condition": "C2"}, {"Condition": "C3"}]}]},
        "L": {"Fn::Base64": "text"},
        "M": {"Fn::Cidr": ["10.0.0.0/16", 4, 8]},
        "N": {"Fn::ImportValue": "exported"},
        "O": {"Fn::GetAtt": ["Db", "Endpoint.Address"]},
    }


def test_loader_keeps_the_format_version_a_string(template: dict[str, Any]) -> None:
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    assert template["Transform"] == "AWS::Serverless-2016-10-31"


# --- state machines and their ASL files -------------------------------------------


def test_template_has_state_machines(template: dict[str, Any]) -> None:
    assert "DocumentProcessingStateMachine" in state_machines(template)


def test_every_asl_file_is_deployed_by_a_state_machine(template: dict[str, Any]) -> None:
    deployed = {(ROOT / props["DefinitionUri"]).resolve() for props in state_machines(template).values()}
    assert {path.resolve() for path in asl_files()} <= deployed


def test_placeholders_equal_definition_substitutions(template: dict[str, Any]) -> None:
    for sm_id, props in state_machines(template).items():
        path = ROOT / props["DefinitionUri"]
        assert path.is_file(), f"{sm_id}: DefinitionUri {path} does not exist"
        placeholders = set(PLACEHOLDER.findall(path.read_text(encoding="utf-8")))
        substitutions = set(props.get("DefinitionSubstitutions", {}))
        assert placeholders == substitutions, (
            f"{sm_id}: placeholders only in {path.name}: {sorted(placeholders - substitutions)}; "
            f"substitutions not used: {sorted(substitutions - placeholders)}"
        )


@pytest.mark.parametrize("path", asl_files(), ids=lambda p: p.name)
def test_every_task_has_retry_and_catch(path: Path) -> None:
    definition = json.loads(path.read_text(encoding="utf-8"))
    tasks = [(name, state) for name, state in all_states(definition) if state["Type"] == "Task"]
    assert tasks, f"{path.name} has no Task state"
    for name, state in tasks:
        assert state.get("Retry"), f"{path.name}: Task {name} has no Retry"
        assert state.get("Catch"), f"{path.name}: Task {name} has no Catch"
        for retrier in state["Retry"]:
            broad = CATCH_ALL_ERRORS & set(retrier["ErrorEquals"])
            assert not broad, f"{path.name}: Task {name} retries {sorted(broad)}: retry transient errors only"


@pytest.mark.parametrize("path", asl_files(), ids=lambda p: p.name)
def test_no_hard_coded_arns_in_asl(path: Path) -> None:
    for match in re.finditer(r'"(arn:[^"]*)"', path.read_text(encoding="utf-8")):
        arn = match.group(1)
        # Service integration ARNs (arn:aws:states:::...) are the only ARNs allowed.
        assert arn.startswith("arn:aws:states:::"), f"{path.name}: hard-coded ARN {arn}"


# --- document processing ----------------------------------------------------------


def test_document_processing_substitutions_reference_the_stack(template: dict[str, Any]) -> None:
    props = state_machines(template)["DocumentProcessingStateMachine"]
    subs = props["DefinitionSubstitutions"]
    assert subs["EventBusName"] == {"Ref": "SuiteEventBus"}
    assert subs["MinConfidence"] == {"Ref": "MinLabelConfidence"}
    assert props["Type"] == "EXPRESS"
    assert props["Logging"]["IncludeExecutionData"] is False


def test_document_processing_rule_matches_the_bucket(template: dict[str, Any]) -> None:
    props = state_machines(template)["DocumentProcessingStateMachine"]
    (rule,) = props["Events"].values()
    assert rule["Type"] == "EventBridgeRule"
    pattern = rule["Properties"]["Pattern"]
    assert pattern["source"] == ["aws.s3"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["bucket"]["name"] == [{"Ref": "DocumentBucket"}]
    assert "EventBusName" not in rule["Properties"], "S3 sends its events to the default bus"


def _event_files() -> list[Path]:
    return sorted(p for p in DOCUMENT_EVENTS.glob("*.json") if p.name != "objects.json")


@pytest.mark.parametrize("path", _event_files(), ids=lambda p: p.name)
def test_document_events_are_s3_object_created_events(path: Path) -> None:
    event = json.loads(path.read_text(encoding="utf-8"))
    assert event["source"] == "aws.s3"
    assert event["detail-type"] == "Object Created"
    assert event["detail"]["bucket"]["name"] == "sfn-suite-documentbucket"
    assert event["resources"] == ["arn:aws:s3:::sfn-suite-documentbucket"]


def test_seeded_objects_cover_the_events() -> None:
    objects = json.loads((DOCUMENT_EVENTS / "objects.json").read_text(encoding="utf-8"))
    seeded = set(objects["DocumentBucket"])
    for path in _event_files():
        event = json.loads(path.read_text(encoding="utf-8"))
        key = event["detail"].get("object", {}).get("key")
        if key is not None:
            assert key in seeded, f"{path.name}: object {key} is not seeded in objects.json"
    for key, spec in objects["DocumentBucket"].items():
        id_fields = spec["metadata"].get("sandbox-id-fields")
        if id_fields is not None:
            assert isinstance(json.loads(id_fields), dict), key
