"""A sandbox started again from the same template restores its provisioned resources (sandbox/snapshots.py)."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox import provision, session, snapshots
from sandbox.core import Sandbox
from sandbox.intrinsics import TemplateError

FIXTURE = Path(__file__).parent / "fixture" / "template.yaml"


@pytest.fixture(autouse=True)
def snapshots_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(snapshots.SWITCH, "1")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Provisioning calls made for real (service.operation), counted; no snapshot kept from an earlier test."""
    counted: Counter[str] = Counter()
    shared = session.shared_client

    class Counting:
        def __init__(self, service: str, real: Any) -> None:
            self.service, self.real = service, real

        def __getattr__(self, operation: str) -> Any:
            counted[f"{self.service}.{operation}"] += 1
            return getattr(self.real, operation)

    counting = lambda region, service: Counting(service, shared(region, service))  # noqa: E731
    monkeypatch.setattr(snapshots, "shared_client", counting)
    monkeypatch.setattr(provision, "shared_client", counting)
    snapshots.forget()
    yield counted
    snapshots.forget()


def _resources(sb: Sandbox) -> dict[str, Any]:
    """What the template's provisioning built, as the APIs list it."""
    client = lambda service: session.shared_client(sb.region, service)  # noqa: E731
    events, sfn = client("events"), client("stepfunctions")
    bus = sb.stack.resources["Bus"].name
    return {
        "buckets": sorted(b["Name"] for b in client("s3").list_buckets()["Buckets"]),
        "notifications": client("s3").get_bucket_notification_configuration(Bucket=sb.bucket_name("Bucket")).get(
            "EventBridgeConfiguration"),
        "tables": client("dynamodb").list_tables()["TableNames"],
        "queues": client("sqs").list_queues().get("QueueUrls"),
        "machines": sorted((m["name"], m["type"]) for m in sfn.list_state_machines()["stateMachines"]),
        "definitions": sorted(sfn.describe_state_machine(stateMachineArn=m.arn)["definition"]
                              for m in sb.state_machines.values()),
        "rules": {name: sorted((r["Name"], r["EventPattern"]) for r in events.list_rules(EventBusName=name)["Rules"])
                  for name in ("default", bus)},
        "targets": sorted(t["Arn"] for name in ("default", bus) for r in events.list_rules(EventBusName=name)["Rules"]
                          for t in events.list_targets_by_rule(Rule=r["Name"], EventBusName=name)["Targets"]),
    }


def test_a_sandbox_started_again_has_the_same_resources_and_none_of_the_last_ones_data(calls):
    with Sandbox.from_template(FIXTURE) as first:
        built = _resources(first)
        first.put_object("Bucket", "customer-1/a.txt", "hi")
        assert first.settle()[0].status == "SUCCEEDED"  # the upload's rule started the workflow
        session.shared_client(first.region, "dynamodb").put_item(
            TableName=first.stack.resources["Table"].name, Item={"id": {"S": "left-behind"}})
    made = sum(calls.values())
    assert calls["stepfunctions.create_state_machine"] == 3 and calls["sqs.create_queue"] == 1
    with Sandbox.from_template(FIXTURE) as second:
        assert _resources(second) == built
        s3 = session.shared_client(second.region, "s3")
        assert s3.list_objects_v2(Bucket=second.bucket_name("Bucket"))["KeyCount"] == 0
        assert session.shared_client(second.region, "dynamodb").scan(
            TableName=second.stack.resources["Table"].name)["Items"] == []
        assert second.executions() == []
        second.put_object("Bucket", "customer-2/b.txt", "hi")  # the restored rule and notification still fire
        (run,) = second.settle()
        assert (run.status, run.input["key"]) == ("SUCCEEDED", "customer-2/b.txt")
    # Restored, not created again: only SQS (its queues hold locks, which cannot be copied) was called again.
    assert sum(calls.values()) == made + 1 and calls["sqs.create_queue"] == 2


def test_on_unless_switched_off(calls, monkeypatch):
    monkeypatch.delenv(snapshots.SWITCH, raising=False)
    for _ in range(2):
        with Sandbox.from_template(FIXTURE):
            pass
    assert calls["stepfunctions.create_state_machine"] == 3 and calls["s3.create_bucket"] == 1


def test_only_a_start_that_could_restore_makes_the_dry_run(calls, monkeypatch):
    """The process's first sandbox (the CLI's only one) has nothing to restore: no dry run of its calls."""
    dry_runs = []
    provision = snapshots._Recording.provision

    def counted(self: Any) -> None:
        if self._region is None:
            dry_runs.append(self)
        provision(self)

    monkeypatch.setattr(snapshots._Recording, "provision", counted)
    with Sandbox.from_template(FIXTURE):
        assert dry_runs == []
    with Sandbox.from_template(FIXTURE):
        assert len(dry_runs) == 1
    assert calls["stepfunctions.create_state_machine"] == 3  # the second was restored


def test_switched_off_every_start_makes_every_call(calls, monkeypatch):
    monkeypatch.setenv(snapshots.SWITCH, "0")
    for _ in range(2):
        with Sandbox.from_template(FIXTURE):
            pass
    assert calls["stepfunctions.create_state_machine"] == 6 and calls["s3.create_bucket"] == 2


def test_a_template_that_changed_is_provisioned_again(calls, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(FIXTURE.parent, project)
    template = project / "template.yaml"
    with Sandbox.from_template(template):
        pass
    text = template.read_text()
    template.write_text(text.replace("Resources:\n", "Resources:\n  Extra:\n    Type: AWS::S3::Bucket\n", 1))
    with Sandbox.from_template(template) as sb:
        names = [b["Name"] for b in session.shared_client(sb.region, "s3").list_buckets()["Buckets"]]
        assert sb.bucket_name("Extra") in names
    assert calls["s3.create_bucket"] == 3  # one bucket, then both: the changed template's calls differ


def test_a_provisioning_that_fails_keeps_nothing_and_fails_again(calls, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(FIXTURE.parent, project)
    template = project / "template.yaml"
    template.write_text(template.read_text().replace(
        "Resources:\n", "Resources:\n  Bad:\n    Type: AWS::DynamoDB::Table\n    Properties: {KeySchema: "
        "[{AttributeName: id, KeyType: HASH}], AttributeDefinitions: []}\n", 1))
    for _ in range(2):
        with pytest.raises(TemplateError, match=r"Bad \(AWS::DynamoDB::Table\) cannot be created"), \
                Sandbox.from_template(template):
            pass
    assert calls["s3.create_bucket"] == 2
