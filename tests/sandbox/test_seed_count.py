"""A seed file makes many objects from one entry: a key pattern with `{n}` and `"count": N`."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from sandbox.cli import main
from sandbox.core import Sandbox, SandboxError

TEMPLATE = ("Resources:\n  Archive:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: archive\n"
            "  Flow:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: flow.asl.json\n")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    (tmp_path / "flow.asl.json").write_text(json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}))
    (tmp_path / "event.json").write_text("{}")
    return tmp_path


def _seed_file(folder: Path, objects: dict[str, object]) -> Path:
    path = folder / "objects.json"
    path.write_text(json.dumps({"Archive": objects}))
    return path


def test_a_count_makes_that_many_objects_numbered_from_one(folder: Path) -> None:
    seed = _seed_file(folder, {"bulk/{n:03}.bin": {"storageClass": "DEEP_ARCHIVE", "body": "x", "count": 12},
                               "single.txt": {"body": "one"}})
    with Sandbox.from_template(folder / "template.yaml") as sb:
        sb.seed(seed)
        s3 = boto3.client("s3", region_name=sb.region)
        listed = s3.list_objects_v2(Bucket="archive")["Contents"]
    keys = [o["Key"] for o in listed]
    assert keys == [f"bulk/{n:03}.bin" for n in range(1, 13)] + ["single.txt"]
    assert {o["StorageClass"] for o in listed if o["Key"].startswith("bulk/")} == {"DEEP_ARCHIVE"}


@pytest.mark.parametrize(("objects", "message"), [
    ({"bulk/{n}.bin": {"count": 0}}, "'bulk/{n}.bin' has count 0; give a whole number, 1 or more"),
    ({"bulk/{n}.bin": {"count": "many"}}, "'bulk/{n}.bin' has count 'many'"),
    ({"bulk/{n}.bin": {"count": True}}, "'bulk/{n}.bin' has count True"),
    ({"bulk/same.bin": {"count": 3}}, "'bulk/same.bin' with a count must name its number as {n}"),
    ({"bulk/{i}.bin": {"count": 3}}, "'bulk/{i}.bin' with a count must name its number as {n}"),
    ({"bulk/{n.bin": {"count": 3}}, "'bulk/{n.bin' with a count must name its number as {n}"),
])
def test_a_bad_count_is_one_line_and_exit_2(folder: Path, capsys: pytest.CaptureFixture[str],
                                            objects: dict[str, object], message: str) -> None:
    seed = _seed_file(folder, objects)
    argv = ["--template", str(folder / "template.yaml"), "run", "Flow", "--event", str(folder / "event.json"),
            "--seed", str(seed)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("sandbox: "), err
    assert message in err


def test_the_same_error_from_the_library(folder: Path) -> None:
    seed = _seed_file(folder, {"bulk/{n}.bin": {"count": -5}})
    with Sandbox.from_template(folder / "template.yaml") as sb, pytest.raises(SandboxError, match="count -5"):
        sb.seed(seed)


def _as_seen(s3: object, key: str) -> dict[str, object]:
    """Everything S3 answers about one object, but its key (and the answers' request metadata).

    When it was put is under "put at": objects put one after the other may fall on two sides of a second.
    """
    calls = {
        "head": lambda: s3.head_object(Bucket="archive", Key=key, ChecksumMode="ENABLED"),  # type: ignore[attr-defined]
        "attributes": lambda: s3.get_object_attributes(  # type: ignore[attr-defined]
            Bucket="archive", Key=key, ObjectAttributes=["ETag", "Checksum", "ObjectSize", "StorageClass"]),
    }
    seen: dict[str, object] = {}
    for name, call in calls.items():
        answer = call()
        answer.pop("ResponseMetadata", None)
        seen["put at"] = answer.pop("LastModified")
        seen[name] = answer
    # What the API will not show of an archived object: its ACL and tags, from moto's model.
    from moto.s3.models import s3_backends

    backend = s3_backends["123456789012"]["aws"]
    model = backend.get_object("archive", key)
    seen["acl"] = [(grant.permissions, [vars(grantee) for grantee in grant.grantees]) for grant in model.acl.grants]
    seen["tags"] = backend.get_object_tagging(model)
    return seen


def test_every_object_of_a_count_is_what_putobject_made_of_the_first(folder: Path) -> None:
    seed = _seed_file(folder, {"bulk/{n}.bin": {"storageClass": "DEEP_ARCHIVE", "body": "archived bytes",
                                                "contentType": "application/octet-stream",
                                                "metadata": {"owner": "team-a"}, "count": 3},
                               "plain/{n}.txt": {"body": "hello", "contentType": "text/plain", "count": 2,
                                                 "storageClass": "GLACIER",
                                                 "restoredDays": 2}})
    with Sandbox.from_template(folder / "template.yaml") as sb:
        sb.seed(seed)
        s3 = boto3.client("s3", region_name=sb.region)
        for later, first in (("bulk/3.bin", "bulk/1.bin"), ("plain/2.txt", "plain/1.txt")):
            seen_later, seen_first = _as_seen(s3, later), _as_seen(s3, first)
            assert seen_later.pop("put at") >= seen_first.pop("put at")  # type: ignore[operator]
            assert seen_later == seen_first
        assert s3.get_object(Bucket="archive", Key="plain/2.txt")["Body"].read() == b"hello"
        head = s3.head_object(Bucket="archive", Key="bulk/2.bin")
        assert (head["StorageClass"], head["Metadata"], head["ContentLength"]) == ("DEEP_ARCHIVE", {"owner": "team-a"},
                                                                                   14)
        for key in ("bulk/1.bin", "bulk/2.bin"):
            s3.restore_object(Bucket="archive", Key=key, RestoreRequest={"Days": 1,
                                                                         "GlacierJobParameters": {"Tier": "Bulk"}})
        assert (s3.head_object(Bucket="archive", Key="bulk/2.bin")["Restore"]
                == s3.head_object(Bucket="archive", Key="bulk/1.bin")["Restore"])
