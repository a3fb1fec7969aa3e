"""BuildTrainingManifestFunction against moto: images labelled by folder, the manifest written, named errors."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends

from tests.functions.handlers import FakeContext, load_handler, set_environment

ROOT = Path(__file__).resolve().parents[2]
HANDLER = ROOT / "functions" / "build_training_manifest" / "app.py"
BUCKET = "sfn-suite-trainingbucket"
PREFIX = "datasets/pets/folders/"
OUTPUT = "evaluation/pets/"


Context = functools.partial(FakeContext, "build-training-manifest")


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    set_environment(monkeypatch)
    module = load_handler(monkeypatch, HANDLER, "build_training_manifest_app")
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        yield module


def s3() -> Any:
    return boto3.client("s3")


def put(*keys: str) -> None:
    client = s3()  # one client for all: building a boto3 client costs more than a call
    for key in keys:
        client.put_object(Bucket=BUCKET, Key=key, Body=b"image")


def put_straight_to_moto(*keys: str) -> None:
    """Many objects at once, written in moto's S3 backend: the test is about listing them, not uploading them."""
    bucket = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for key in keys:
        bucket.put_object(BUCKET, key, b"image")


def event(prefix: str = PREFIX, project: str = "sfn-suite-pets") -> dict[str, Any]:
    return {"projectName": project, "images": {"bucket": BUCKET, "prefix": prefix},
            "output": {"bucket": BUCKET, "prefix": OUTPUT}}


def manifest(key: str) -> list[dict[str, Any]]:
    body = s3().get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    assert body.endswith("\n")
    return [json.loads(line) for line in body.splitlines()]


def test_images_are_labelled_by_their_folder_and_the_manifest_is_written(app):
    put(f"{PREFIX}cat/a.jpg", f"{PREFIX}cat/b.JPEG", f"{PREFIX}dog/c.png", f"{PREFIX}dog/d.PNG",
        f"{PREFIX}dog/notes.txt", f"{PREFIX}loose.jpg", "datasets/other/cat/e.jpg")
    result = app.lambda_handler(event(), Context())
    assert result["bucket"] == BUCKET and result["key"].startswith(f"{OUTPUT}manifests/sfn-suite-pets-")
    assert result["key"].endswith(".manifest")
    assert (result["images"], result["labels"]) == (4, ["cat", "dog"])
    lines = manifest(result["key"])
    labelled = [(line["source-ref"], line["folder-label"], line["folder-label-metadata"]["class-name"])
                for line in lines]
    assert labelled == [
        (f"s3://{BUCKET}/{PREFIX}cat/a.jpg", 0, "cat"), (f"s3://{BUCKET}/{PREFIX}cat/b.JPEG", 0, "cat"),
        (f"s3://{BUCKET}/{PREFIX}dog/c.png", 1, "dog"), (f"s3://{BUCKET}/{PREFIX}dog/d.PNG", 1, "dog")]
    metadata = lines[0]["folder-label-metadata"]
    assert set(lines[0]) == {"source-ref", "folder-label", "folder-label-metadata"}
    assert {k: v for k, v in metadata.items() if k != "creation-date"} == {
        "confidence": 1, "job-name": "labeling-job/sfn-suite-pets", "class-name": "cat", "human-annotated": "yes",
        "type": "groundtruth/image-classification"}
    assert len(metadata["creation-date"]) == len("2025-01-15T10:00:00.000")
    assert s3().head_object(Bucket=BUCKET, Key=result["key"])["ContentType"] == "application/x-ndjson"


def test_nested_folders_take_the_immediate_parent_and_a_prefix_without_slash_works(app):
    put("datasets/pets/folders/cat/indoor/a.jpg", "datasets/pets/folders/dog/b.jpg")
    result = app.lambda_handler(event("datasets/pets/folders"), Context())
    assert result["labels"] == ["dog", "indoor"]


def test_same_input_same_key_a_rerun_overwrites(app):
    put(f"{PREFIX}cat/a.jpg", f"{PREFIX}dog/b.jpg")
    first = app.lambda_handler(event(), Context())
    put(f"{PREFIX}dog/c.jpg")
    second = app.lambda_handler(event(), Context())
    assert first["key"] == second["key"] and len(manifest(second["key"])) == 3
    listed = s3().list_objects_v2(Bucket=BUCKET, Prefix=f"{OUTPUT}manifests/")["KeyCount"]
    assert listed == 1
    other = app.lambda_handler(event("datasets/pets/"), Context())
    assert other["key"] != first["key"]  # another prefix, another manifest


def test_no_images_is_named(app):
    put(f"{PREFIX}cat/notes.txt", f"{PREFIX}loose.jpg")
    with pytest.raises(app.NoTrainingImages) as raised:
        app.lambda_handler(event(), Context())
    assert type(raised.value).__name__ == "NoTrainingImages"  # the Step Functions error name
    assert str(raised.value) == (f"No .jpg, .jpeg or .png image in a folder under s3://{BUCKET}/{PREFIX} "
                                 "(1 directly under the prefix, without a folder to name their label).")
    assert s3().list_objects_v2(Bucket=BUCKET, Prefix=OUTPUT)["KeyCount"] == 0


def test_a_single_label_is_too_few(app):
    put(f"{PREFIX}cat/a.jpg", f"{PREFIX}cat/b.jpg")
    with pytest.raises(app.TooFewLabels) as raised:
        app.lambda_handler(event(), Context())
    assert str(raised.value) == (f"The 2 images under s3://{BUCKET}/{PREFIX} have 1 label (cat): a classification "
                                 "model needs at least 2, one folder per label.")
    assert s3().list_objects_v2(Bucket=BUCKET, Prefix=OUTPUT)["KeyCount"] == 0


@pytest.mark.parametrize("bad", [None, [], {"projectName": "sfn-suite-pets"},
                                 {**event(), "extra": 1}, {**event(), "projectName": "a/b"},
                                 {**event(), "images": {"bucket": BUCKET, "prefix": 5}}])
def test_payload_of_the_wrong_shape_is_named(app, bad):
    with pytest.raises(app.InvalidManifestRequest):
        app.lambda_handler(bad, Context())


def test_keys_are_never_logged_only_counts(app, caplog):
    put(f"{PREFIX}cat/secret-name.jpg", f"{PREFIX}dog/other-name.jpg")
    with caplog.at_level("INFO"):
        app.lambda_handler(event(), Context())
    logged = json.dumps([vars(record) for record in caplog.records], default=str)
    assert "secret-name" not in logged and "other-name" not in logged
    (written,) = [r for r in caplog.records if r.getMessage() == "manifest written"]
    assert (written.images, written.labels, written.unlabeled) == (2, 2, 0)


def test_many_images_are_listed_page_by_page(app):
    put_straight_to_moto(*[f"{PREFIX}{'cat' if i % 2 else 'dog'}/{i:04}.jpg" for i in range(1100)])
    result = app.lambda_handler(event(), Context())
    assert result["images"] == 1100 and len(manifest(result["key"])) == 1100
