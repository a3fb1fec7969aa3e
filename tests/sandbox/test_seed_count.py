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
