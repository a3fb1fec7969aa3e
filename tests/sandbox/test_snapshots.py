"""A sandbox started again from the same template restores its provisioned resources (sandbox/snapshots.py)."""

from __future__ import annotations

import json
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
        # SQS queues hold locks: the restored ones have their own, and take and hand out messages.
        sqs = session.shared_client(second.region, "sqs")
        (queue,) = sqs.list_queues()["QueueUrls"]
        sqs.send_message(QueueUrl=queue, MessageBody="after the restore")
        (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
        assert message["Body"] == "after the restore"
    assert sum(calls.values()) == made  # restored, not created again (nor SQS's queues made again)


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


# -- seeds -------------------------------------------------------------------------------------------


@pytest.fixture
def puts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Keys of the objects `Sandbox.put_object` put (a seed puts through it)."""
    made: list[str] = []
    put = Sandbox.put_object

    def counted(self: Sandbox, bucket: str, key: str, *args: Any, **kwargs: Any) -> None:
        made.append(key)
        put(self, bucket, key, *args, **kwargs)

    monkeypatch.setattr(Sandbox, "put_object", counted)
    return made


def _first_sandbox() -> None:
    """The first sandbox after `snapshots.forget`: its provisioning is kept, a seed in it would not be."""
    with Sandbox.from_template(FIXTURE):
        pass


def _seed_file(folder: Path, objects: dict[str, Any]) -> Path:
    path = folder / "objects.json"
    path.write_text(json.dumps({"Bucket": objects, "Table": [{"id": {"S": "seeded"}, "n": {"N": "1"}}]}))
    return path


def _seeded(sb: Sandbox) -> dict[str, Any]:
    """Every object (head, body) and item of the seed, as the APIs answer; when each object was put, apart."""
    s3, bucket = session.shared_client(sb.region, "s3"), sb.bucket_name("Bucket")
    objects, put_at = {}, {}
    for listed in s3.list_objects_v2(Bucket=bucket)["Contents"]:
        head = s3.head_object(Bucket=bucket, Key=listed["Key"])
        head.pop("ResponseMetadata")
        put_at[listed["Key"]] = head.pop("LastModified")
        archived = "StorageClass" in head  # GetObject refuses an archived object
        body = None if archived else s3.get_object(Bucket=bucket, Key=listed["Key"])["Body"].read()
        objects[listed["Key"]] = (head, body)
    items = session.shared_client(sb.region, "dynamodb").scan(TableName=sb.stack.resources["Table"].name)["Items"]
    return {"objects": objects, "items": items, "put at": put_at}


def test_a_seed_right_after_the_start_is_restored_as_it_was_made_with_its_objects_made_now(calls, puts, tmp_path):
    _first_sandbox()
    seed = _seed_file(tmp_path, {"customer-1/a.txt": {"body": "hi", "contentType": "text/plain",
                                                      "metadata": {"owner": "team-a"}},
                                 "customer-1/b.bin": {"body": "archived", "storageClass": "GLACIER"}})
    with Sandbox.from_template(FIXTURE) as first:
        first.seed(seed)
        made = _seeded(first)
        assert sorted(made["objects"]) == ["customer-1/a.txt", "customer-1/b.bin"] and len(made["items"]) == 1
    assert len(puts) == 2
    with Sandbox.from_template(FIXTURE) as second:
        second.seed(seed)
        again = _seeded(second)
        assert second.settle() == []  # a seed triggers nothing (the upload rule did not fire)
        second.put_object("Bucket", "customer-2/c.txt", "hi")  # the restored bucket still notifies
        assert [run.status for run in second.settle()] == ["SUCCEEDED"]
    assert len(puts) == 3  # the seed was restored: only the last upload was put
    for key, when in again.pop("put at").items():
        assert when >= made["put at"][key]
    made.pop("put at")
    assert again == made


def test_a_seed_after_a_call_or_after_another_seed_is_made(calls, puts, tmp_path):
    _first_sandbox()
    seed = _seed_file(tmp_path, {"customer-1/a.txt": {"body": "hi"}})
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"Bucket": {"customer-9/z.txt": {"body": "z"}}}))
    with Sandbox.from_template(FIXTURE) as sb:
        sb.seed(seed)  # made, and kept
    with Sandbox.from_template(FIXTURE) as sb:
        session.shared_client(sb.region, "s3").put_object(Bucket=sb.bucket_name("Bucket"), Key="mine.txt", Body=b"")
        sb.seed(seed)  # a call came first: made again, the object the call put still there
        assert sorted(_seeded(sb)["objects"]) == ["customer-1/a.txt", "mine.txt"]
    with Sandbox.from_template(FIXTURE) as sb:
        sb.seed(other)
        sb.seed(seed)  # after another seed: made again, on top of it
        assert sorted(_seeded(sb)["objects"]) == ["customer-1/a.txt", "customer-9/z.txt"]
    with Sandbox.from_template(FIXTURE) as sb:
        from moto.dynamodb.models import dynamodb_backends

        # Written on moto's backend, not through a call the sandbox sees.
        table = sb.stack.resources["Table"].name
        dynamodb_backends[sb.account_id][sb.region].put_item(table, {"id": {"S": "elsewhere"}})
        sb.seed(seed)  # the table holds an item already: made again, on top of it
        assert sorted(item["id"]["S"] for item in _seeded(sb)["items"]) == ["elsewhere", "seeded"]
    assert puts == ["customer-1/a.txt", "customer-1/a.txt", "customer-9/z.txt", "customer-1/a.txt", "customer-1/a.txt"]


def test_what_a_seed_gives_fakes_is_made_every_time_on_the_restored_objects(calls, puts, tmp_path):
    _first_sandbox()
    seed = _seed_file(tmp_path, {"restored.bin": {"body": "x", "storageClass": "GLACIER", "restoredDays": 2},
                                 "archived.bin": {"body": "y", "storageClass": "GLACIER"}})
    seed.write_text(json.dumps({**json.loads(seed.read_text()), "fake:custom_labels": {"projects": ["p1"]}}))
    for _ in range(2):
        with Sandbox.from_template(FIXTURE) as sb:
            sb.seed(seed)
            s3, bucket = session.shared_client(sb.region, "s3"), sb.bucket_name("Bucket")
            assert 'ongoing-request="false"' in s3.head_object(Bucket=bucket, Key="restored.bin")["Restore"]
            assert s3.get_object(Bucket=bucket, Key="restored.bin")["Body"].read() == b"x"  # readable: restored
            assert "Restore" not in s3.head_object(Bucket=bucket, Key="archived.bin")
            assert sb.fakes is not None and list(sb.fakes.custom_labels._projects) == ["p1"]
    assert sorted(puts) == ["archived.bin", "restored.bin"]  # the second seed's objects were restored


def test_a_seed_of_many_objects_is_made_every_time(calls, puts, tmp_path, monkeypatch):
    _first_sandbox()
    monkeypatch.setattr(snapshots, "SEED_OBJECTS_KEPT", 3)
    seed = _seed_file(tmp_path, {"bulk/{n}.bin": {"body": "x", "count": 3}})  # and one item: four
    for _ in range(2):
        with Sandbox.from_template(FIXTURE) as sb:
            sb.seed(seed)
            assert len(_seeded(sb)["objects"]) == 3
    assert puts == ["bulk/1.bin", "bulk/1.bin"]  # the first of the entry put both times: made, not restored


def test_the_first_sandboxs_seed_is_not_kept(calls, puts, tmp_path):
    """A process that starts one sandbox (the CLI) pays no copy of its seed: the second sandbox's seed is kept."""
    seed = _seed_file(tmp_path, {"a.txt": {"body": "x"}})
    for _ in range(3):
        with Sandbox.from_template(FIXTURE) as sb:
            sb.seed(seed)
    assert puts == ["a.txt", "a.txt"]  # made, made and kept, restored
