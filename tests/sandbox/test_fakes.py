"""The fakes for AWS APIs moto lacks answer as the real services do.

Each test names the AWS behaviour it pins, so a moto or botocore upgrade that breaks
the interception shows at once which promise no longer holds.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from sandbox.clock import VirtualClock
from sandbox.fakes import FakeContext
from sandbox.fakes.registry import Fakes, install_fakes

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "sandbox-docs"
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@dataclass
class Env:
    clock: VirtualClock
    events: list[dict[str, Any]]
    fakes: Fakes
    s3: Any

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION)


@pytest.fixture
def env() -> Iterator[Env]:
    with mock_aws():
        boto3.setup_default_session(region_name=REGION)
        clock = VirtualClock(start=START)
        emitted: list[dict[str, Any]] = []
        ctx = FakeContext(clock=clock, region=REGION, account_id=ACCOUNT, emit=emitted.append)
        fakes = install_fakes(boto3.DEFAULT_SESSION.events, ctx)
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        yield Env(clock, emitted, fakes, s3)


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


# -- Textract AnalyzeID ---------------------------------------------------------


def test_analyze_id_reads_fields_from_object_metadata(env: Env) -> None:
    """AnalyzeID returns every normalized licence field (empty ones too), dates with a NormalizedValue,
    DocumentMetadata.Pages and the model version."""
    fields = {
        "FIRST_NAME": "JANE",
        "LAST_NAME": "DOE",
        "DOCUMENT_NUMBER": "D1234567",
        "EXPIRATION_DATE": "08/31/2030",
        "DATE_OF_BIRTH": {"Text": "01/02/1990", "Confidence": 62.5},
        "ID_TYPE": "DRIVER LICENSE FRONT",
    }
    env.s3.put_object(
        Bucket=BUCKET, Key="id/jane.jpg", Body=b"img", Metadata={"sandbox-id-fields": json.dumps(fields)}
    )

    response = env.client("textract").analyze_id(
        DocumentPages=[{"S3Object": {"Bucket": BUCKET, "Name": "id/jane.jpg"}}]
    )

    assert response["DocumentMetadata"] == {"Pages": 1}
    assert response["AnalyzeIDModelVersion"]
    [document] = response["IdentityDocuments"]
    assert document["DocumentIndex"] == 1
    by_type = {f["Type"]["Text"]: f["ValueDetection"] for f in document["IdentityDocumentFields"]}
    assert by_type["FIRST_NAME"]["Text"] == "JANE"
    assert by_type["DOCUMENT_NUMBER"]["Text"] == "D1234567"
    assert by_type["EXPIRATION_DATE"]["NormalizedValue"] == {
        "Value": "2030-08-31T00:00:00",
        "ValueType": "DATE",
    }
    assert by_type["DATE_OF_BIRTH"]["Confidence"] == 62.5
    assert by_type["MIDDLE_NAME"]["Text"] == ""
    assert {"ZIP_CODE_IN_ADDRESS", "VETERAN", "ADDRESS"} <= by_type.keys()


def test_analyze_id_without_metadata_reads_the_sample_licence(env: Env) -> None:
    """A document without sandbox metadata still yields a complete, clearly fake licence."""
    env.s3.put_object(Bucket=BUCKET, Key="id/any.png", Body=b"img")
    response = env.client("textract").analyze_id(
        DocumentPages=[{"S3Object": {"Bucket": BUCKET, "Name": "id/any.png"}}]
    )
    by_type = {
        f["Type"]["Text"]: f["ValueDetection"]["Text"]
        for f in response["IdentityDocuments"][0]["IdentityDocumentFields"]
    }
    assert by_type["DOCUMENT_NUMBER"] == "SANDBOX-0000"
    assert by_type["ID_TYPE"] == "DRIVER LICENSE FRONT"


def test_analyze_id_errors(env: Env) -> None:
    """A missing object is InvalidS3ObjectException; a non-image is UnsupportedDocumentException,
    both raised as the modeled exception classes."""
    textract = env.client("textract")
    with pytest.raises(textract.exceptions.InvalidS3ObjectException):
        textract.analyze_id(DocumentPages=[{"S3Object": {"Bucket": BUCKET, "Name": "missing.jpg"}}])
    env.s3.put_object(Bucket=BUCKET, Key="notes.txt", Body=b"hello", ContentType="text/plain")
    with pytest.raises(textract.exceptions.UnsupportedDocumentException):
        textract.analyze_id(DocumentPages=[{"S3Object": {"Bucket": BUCKET, "Name": "notes.txt"}}])


# -- Rekognition DetectLabels ------------------------------------------------------


def test_detect_labels_from_metadata_honours_min_confidence_and_max_labels(env: Env) -> None:
    """DetectLabels returns labels highest confidence first, filtered by MinConfidence, cut at MaxLabels,
    each with Instances/Parents/Aliases/Categories, and LabelModelVersion 3.0."""
    labels = [
        {"Name": "Dog", "Confidence": 97.2, "Parents": ["Animal"]},
        {"Name": "Animal", "Confidence": 97.2},
        {"Name": "Cat", "Confidence": 40.0},
        {"Name": "Grass", "Confidence": 88.0},
    ]
    env.s3.put_object(
        Bucket=BUCKET, Key="p/dog.jpg", Body=b"img", Metadata={"sandbox-labels": json.dumps(labels)}
    )
    rekognition = env.client("rekognition")

    response = rekognition.detect_labels(
        Image={"S3Object": {"Bucket": BUCKET, "Name": "p/dog.jpg"}}, MinConfidence=50, MaxLabels=2
    )

    assert response["LabelModelVersion"] == "3.0"
    assert [label["Name"] for label in response["Labels"]] == ["Dog", "Animal"]
    assert response["Labels"][0] == {
        "Name": "Dog", "Confidence": 97.2, "Instances": [], "Parents": [{"Name": "Animal"}],
        "Aliases": [], "Categories": [],
    }  # fmt: skip


def test_detect_labels_comma_list_and_no_metadata(env: Env) -> None:
    """Comma-separated names mean confidence 99; an image with nothing recognised gives Labels []."""
    env.s3.put_object(Bucket=BUCKET, Key="a.png", Body=b"img", Metadata={"sandbox-labels": "Car, Road"})
    env.s3.put_object(Bucket=BUCKET, Key="b.jpeg", Body=b"img")
    rekognition = env.client("rekognition")
    labels = rekognition.detect_labels(Image={"S3Object": {"Bucket": BUCKET, "Name": "a.png"}})["Labels"]
    assert [(x["Name"], x["Confidence"]) for x in labels] == [("Car", 99.0), ("Road", 99.0)]
    assert rekognition.detect_labels(Image={"S3Object": {"Bucket": BUCKET, "Name": "b.jpeg"}})["Labels"] == []


def test_detect_labels_errors(env: Env) -> None:
    """Missing object: InvalidS3ObjectException; not JPEG/PNG: InvalidImageFormatException."""
    rekognition = env.client("rekognition")
    with pytest.raises(rekognition.exceptions.InvalidS3ObjectException):
        rekognition.detect_labels(Image={"S3Object": {"Bucket": BUCKET, "Name": "nope.jpg"}})
    env.s3.put_object(Bucket=BUCKET, Key="doc.pdf", Body=b"%PDF-1.7", ContentType="application/pdf")
    with pytest.raises(rekognition.exceptions.InvalidImageFormatException):
        rekognition.detect_labels(Image={"S3Object": {"Bucket": BUCKET, "Name": "doc.pdf"}})


# -- Rekognition Custom Labels ---------------------------------------------------------

MANIFEST = "\n".join(
    json.dumps(
        {"source-ref": f"s3://{BUCKET}/img/{i}.jpg", "label": 1, "label-metadata": {"class-name": name}}
    )
    for i, name in enumerate(["crack", "crack", "dent", "ok"])
)


def _project_with_datasets(env: Env) -> tuple[Any, str]:
    env.s3.put_object(Bucket=BUCKET, Key="manifests/train.manifest", Body=MANIFEST.encode())
    env.s3.put_object(Bucket=BUCKET, Key="manifests/test.manifest", Body=MANIFEST.encode())
    rekognition = env.client("rekognition")
    project_arn = rekognition.create_project(ProjectName="defects")["ProjectArn"]
    for kind in ("TRAIN", "TEST"):
        rekognition.create_dataset(
            ProjectArn=project_arn,
            DatasetType=kind,
            DatasetSource={
                "GroundTruthManifest": {
                    "S3Object": {"Bucket": BUCKET, "Name": f"manifests/{kind.lower()}.manifest"}
                }
            },
        )
    env.clock.advance(minutes=10)
    return rekognition, project_arn


def test_custom_labels_project_and_dataset_lifecycle(env: Env) -> None:
    """CreateProject gives a real-format ARN and ResourceInUseException on a repeated name; a dataset is
    CREATE_IN_PROGRESS, then CREATE_COMPLETE with DatasetStats; DescribeProjects filters by name."""
    env.s3.put_object(Bucket=BUCKET, Key="manifests/train.manifest", Body=MANIFEST.encode())
    rekognition = env.client("rekognition")
    project_arn = rekognition.create_project(ProjectName="defects")["ProjectArn"]
    assert project_arn.startswith(f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/defects/")
    with pytest.raises(rekognition.exceptions.ResourceInUseException):
        rekognition.create_project(ProjectName="defects")
    rekognition.create_project(ProjectName="other")

    dataset_arn = rekognition.create_dataset(
        ProjectArn=project_arn,
        DatasetType="TRAIN",
        DatasetSource={
            "GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Name": "manifests/train.manifest"}}
        },
    )["DatasetArn"]
    assert "/dataset/train/" in dataset_arn
    assert (
        rekognition.describe_dataset(DatasetArn=dataset_arn)["DatasetDescription"]["Status"]
        == "CREATE_IN_PROGRESS"
    )

    env.clock.advance(minutes=10)
    description = rekognition.describe_dataset(DatasetArn=dataset_arn)["DatasetDescription"]
    assert description["Status"] == "CREATE_COMPLETE"
    assert description["DatasetStats"] == {
        "LabeledEntries": 4,
        "TotalEntries": 4,
        "TotalLabels": 3,
        "ErrorEntries": 0,
    }

    [project] = rekognition.describe_projects(ProjectNames=["defects"])["ProjectDescriptions"]
    assert project["ProjectArn"] == project_arn
    assert project["Datasets"][0]["Status"] == "CREATE_COMPLETE"


def test_custom_labels_dataset_errors(env: Env) -> None:
    """A missing manifest is InvalidS3ObjectException; a forced failure ends CREATE_FAILED with its
    message."""
    rekognition = env.client("rekognition")
    project_arn = rekognition.create_project(ProjectName="defects")["ProjectArn"]
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Name": "absent.manifest"}}}
    with pytest.raises(rekognition.exceptions.InvalidS3ObjectException):
        rekognition.create_dataset(ProjectArn=project_arn, DatasetType="TRAIN", DatasetSource=source)

    env.s3.put_object(Bucket=BUCKET, Key="bad.manifest", Body=b"{}")
    env.fakes.custom_labels.fail("dataset", "The manifest file contains too many invalid data lines.")
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Name": "bad.manifest"}}}
    arn = rekognition.create_dataset(ProjectArn=project_arn, DatasetType="TRAIN", DatasetSource=source)[
        "DatasetArn"
    ]
    env.clock.advance(hours=1)
    description = rekognition.describe_dataset(DatasetArn=arn)["DatasetDescription"]
    assert description["Status"] == "CREATE_FAILED"
    assert description["StatusMessage"] == "The manifest file contains too many invalid data lines."


def test_custom_labels_training_start_stop(env: Env) -> None:
    """CreateProjectVersion trains for hours (TRAINING_IN_PROGRESS -> TRAINING_COMPLETED with EvaluationResult
    F1Score and Summary S3Object written to the output bucket); Start goes STARTING -> RUNNING; Stop goes
    STOPPING -> STOPPED; DescribeProjectVersions filters by VersionNames."""
    rekognition, project_arn = _project_with_datasets(env)
    env.fakes.custom_labels.f1_score = 0.91
    version_arn = rekognition.create_project_version(
        ProjectArn=project_arn, VersionName="v1", OutputConfig={"S3Bucket": BUCKET, "S3KeyPrefix": "out/"}
    )["ProjectVersionArn"]
    assert version_arn.startswith(f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/defects/version/v1/")

    def describe(name: str = "v1") -> dict[str, Any]:
        [version] = rekognition.describe_project_versions(ProjectArn=project_arn, VersionNames=[name])[
            "ProjectVersionDescriptions"
        ]
        return version

    assert describe()["Status"] == "TRAINING_IN_PROGRESS"
    assert "EvaluationResult" not in describe()
    env.clock.advance(hours=2)
    trained = describe()
    assert trained["Status"] == "TRAINING_COMPLETED"
    assert trained["EvaluationResult"]["F1Score"] == 0.91
    summary = trained["EvaluationResult"]["Summary"]["S3Object"]
    assert summary["Bucket"] == BUCKET and summary["Name"].startswith("out/")
    body = json.loads(env.s3.get_object(Bucket=BUCKET, Key=summary["Name"])["Body"].read())
    assert body["AggregatedEvaluationResults"]["F1Score"] == 0.91

    assert (
        rekognition.start_project_version(ProjectVersionArn=version_arn, MinInferenceUnits=1)["Status"]
        == "STARTING"
    )
    assert describe()["Status"] == "STARTING"
    env.clock.advance(minutes=30)
    assert describe()["Status"] == "RUNNING"
    assert rekognition.stop_project_version(ProjectVersionArn=version_arn)["Status"] == "STOPPING"
    env.clock.advance(minutes=30)
    assert describe()["Status"] == "STOPPED"


def test_custom_labels_forced_training_and_start_failures(env: Env) -> None:
    """fail("training") ends TRAINING_FAILED without an EvaluationResult; fail("start") ends FAILED;
    both carry the StatusMessage. A duplicate VersionName is ResourceInUseException."""
    rekognition, project_arn = _project_with_datasets(env)
    env.fakes.custom_labels.fail("training", "The training data has too few labels.")
    rekognition.create_project_version(
        ProjectArn=project_arn, VersionName="bad", OutputConfig={"S3Bucket": BUCKET}
    )
    with pytest.raises(rekognition.exceptions.ResourceInUseException):
        rekognition.create_project_version(
            ProjectArn=project_arn, VersionName="bad", OutputConfig={"S3Bucket": BUCKET}
        )
    good_arn = rekognition.create_project_version(
        ProjectArn=project_arn, VersionName="good", OutputConfig={"S3Bucket": BUCKET}
    )["ProjectVersionArn"]
    env.clock.advance(hours=3)

    versions = {
        v["ProjectVersionArn"].split("/")[-2]: v
        for v in rekognition.describe_project_versions(ProjectArn=project_arn)["ProjectVersionDescriptions"]
    }
    assert versions["bad"]["Status"] == "TRAINING_FAILED"
    assert versions["bad"]["StatusMessage"] == "The training data has too few labels."
    assert "EvaluationResult" not in versions["bad"]
    assert versions["good"]["Status"] == "TRAINING_COMPLETED"

    env.fakes.custom_labels.fail("start", "Insufficient capacity.")
    rekognition.start_project_version(ProjectVersionArn=good_arn, MinInferenceUnits=1)
    env.clock.advance(hours=1)
    [good] = rekognition.describe_project_versions(ProjectArn=project_arn, VersionNames=["good"])[
        "ProjectVersionDescriptions"
    ]
    assert (good["Status"], good["StatusMessage"]) == ("FAILED", "Insufficient capacity.")


SPLIT_MANIFEST = "\n".join(
    json.dumps({"source-ref": f"s3://{BUCKET}/img/{name}-{i}.jpg", "label": 1, "label-metadata": {"class-name": name}})
    for name in ("crack", "ok")
    for i in range(5)
)
OUTPUT = {"S3Bucket": BUCKET, "S3KeyPrefix": "out/"}


def _project_with_train(env: Env, name: str = "defects", manifest: str = SPLIT_MANIFEST,
                        *, ready: bool = True) -> tuple[Any, str, str]:
    env.s3.put_object(Bucket=BUCKET, Key=f"manifests/{name}.manifest", Body=manifest.encode())
    rekognition = env.client("rekognition")
    project_arn = rekognition.create_project(ProjectName=name)["ProjectArn"]
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Name": f"manifests/{name}.manifest"}}}
    train_arn = rekognition.create_dataset(ProjectArn=project_arn, DatasetType="TRAIN", DatasetSource=source)[
        "DatasetArn"
    ]
    if ready:
        env.clock.advance(minutes=10)
    return rekognition, project_arn, train_arn


def _stats(rekognition: Any, arn: str) -> dict[str, int]:
    return rekognition.describe_dataset(DatasetArn=arn)["DatasetDescription"]["DatasetStats"]


def test_custom_labels_empty_dataset_lifecycle(env: Env) -> None:
    """CreateDataset without DatasetSource creates an empty dataset ("If you don't specify datasetSource, an
    empty dataset is created"); like any dataset it is CREATE_IN_PROGRESS, then CREATE_COMPLETE, with
    DatasetStats of zero entries. A second dataset of the same type is ResourceAlreadyExistsException."""
    rekognition, project_arn, _ = _project_with_train(env)
    test_arn = rekognition.create_dataset(ProjectArn=project_arn, DatasetType="TEST")["DatasetArn"]
    assert "/dataset/test/" in test_arn
    assert rekognition.describe_dataset(DatasetArn=test_arn)["DatasetDescription"]["Status"] == "CREATE_IN_PROGRESS"
    env.clock.advance(minutes=10)
    description = rekognition.describe_dataset(DatasetArn=test_arn)["DatasetDescription"]
    assert description["Status"] == "CREATE_COMPLETE"
    assert description["DatasetStats"] == {"LabeledEntries": 0, "TotalEntries": 0, "TotalLabels": 0, "ErrorEntries": 0}
    with pytest.raises(rekognition.exceptions.ResourceAlreadyExistsException):
        rekognition.create_dataset(ProjectArn=project_arn, DatasetType="TEST")


def test_custom_labels_distribute_moves_a_fifth_of_the_training_entries(env: Env) -> None:
    """DistributeDatasetEntries moves 20% of the training dataset's entries into the empty test dataset: both
    datasets are UPDATE_IN_PROGRESS, then UPDATE_COMPLETE ("The operation is complete when the Status field for
    the training dataset and the test dataset is UPDATE_COMPLETE"), and their DatasetStats change then."""
    rekognition, project_arn, train_arn = _project_with_train(env)
    test_arn = rekognition.create_dataset(ProjectArn=project_arn, DatasetType="TEST")["DatasetArn"]
    env.clock.advance(minutes=10)
    rekognition.distribute_dataset_entries(Datasets=[{"Arn": train_arn}, {"Arn": test_arn}])

    def describe(arn: str) -> dict[str, Any]:
        return rekognition.describe_dataset(DatasetArn=arn)["DatasetDescription"]

    assert [describe(arn)["Status"] for arn in (train_arn, test_arn)] == ["UPDATE_IN_PROGRESS"] * 2
    assert _stats(rekognition, train_arn)["TotalEntries"] == 10  # nothing moved yet
    env.clock.advance(minutes=10)
    train, test = describe(train_arn), describe(test_arn)
    assert [train["Status"], test["Status"]] == ["UPDATE_COMPLETE"] * 2
    assert train["DatasetStats"] == {"LabeledEntries": 8, "TotalEntries": 8, "TotalLabels": 2, "ErrorEntries": 0}
    assert test["DatasetStats"] == {"LabeledEntries": 2, "TotalEntries": 2, "TotalLabels": 2, "ErrorEntries": 0}
    assert test["LastUpdatedTimestamp"] > test["CreationTimestamp"]
    [project] = rekognition.describe_projects(ProjectNames=["defects"])["ProjectDescriptions"]
    assert {d["DatasetType"]: d["Status"] for d in project["Datasets"]} == {
        "TRAIN": "UPDATE_COMPLETE", "TEST": "UPDATE_COMPLETE"}


def test_custom_labels_distribute_errors(env: Env) -> None:
    """DistributeDatasetEntries needs a training and a test dataset of the same project
    (InvalidParameterException otherwise; an unknown ARN is ResourceNotFoundException), both ready
    (ResourceNotReadyException while one is being created or updated), and an empty test dataset
    (InvalidParameterException)."""
    rekognition, project_arn, train_arn = _project_with_train(env, ready=False)
    test_arn = rekognition.create_dataset(ProjectArn=project_arn, DatasetType="TEST")["DatasetArn"]
    pair = [{"Arn": train_arn}, {"Arn": test_arn}]
    with pytest.raises(rekognition.exceptions.ResourceNotReadyException):
        rekognition.distribute_dataset_entries(Datasets=pair)
    other_arn = rekognition.create_project(ProjectName="other")["ProjectArn"]
    other_test = rekognition.create_dataset(ProjectArn=other_arn, DatasetType="TEST")["DatasetArn"]
    env.clock.advance(minutes=10)
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.distribute_dataset_entries(Datasets=[{"Arn": train_arn}, {"Arn": train_arn}])
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.distribute_dataset_entries(Datasets=[{"Arn": train_arn}, {"Arn": other_test}])
    with pytest.raises(rekognition.exceptions.ResourceNotFoundException):
        rekognition.distribute_dataset_entries(Datasets=[{"Arn": train_arn}, {"Arn": test_arn + "0"}])
    rekognition.distribute_dataset_entries(Datasets=pair)
    with pytest.raises(rekognition.exceptions.ResourceNotReadyException):  # UPDATE_IN_PROGRESS
        rekognition.distribute_dataset_entries(Datasets=pair)
    env.clock.advance(minutes=10)
    with pytest.raises(rekognition.exceptions.InvalidParameterException):  # the test dataset is no longer empty
        rekognition.distribute_dataset_entries(Datasets=pair)


def test_custom_labels_failed_distribution_ends_update_failed(env: Env) -> None:
    """A split that fails leaves both datasets UPDATE_FAILED ("If the dataset split fails, the value of Status is
    UPDATE_FAILED") and moves nothing: too few labeled images per label (the message of the dataset error
    ERROR_INSUFFICIENT_IMAGES_PER_LABEL_FOR_DISTRIBUTE), or a failure forced with fail("distribute")."""
    rekognition, project_arn, train_arn = _project_with_train(env, "few", MANIFEST)  # one 'dent', one 'ok'
    test_arn = rekognition.create_dataset(ProjectArn=project_arn, DatasetType="TEST")["DatasetArn"]
    env.clock.advance(minutes=10)
    rekognition.distribute_dataset_entries(Datasets=[{"Arn": test_arn}, {"Arn": train_arn}])  # either order
    env.clock.advance(minutes=10)
    for arn in (train_arn, test_arn):
        description = rekognition.describe_dataset(DatasetArn=arn)["DatasetDescription"]
        assert (description["Status"], description["StatusMessageCode"]) == ("UPDATE_FAILED", "CLIENT_ERROR")
        assert description["StatusMessage"] == (
            "The manifest file doesn't have enough labeled images to distribute the dataset.")
    assert _stats(rekognition, train_arn)["TotalEntries"] == 4

    rekognition, project_arn, train_arn = _project_with_train(env, "forced")
    test_arn = rekognition.create_dataset(ProjectArn=project_arn, DatasetType="TEST")["DatasetArn"]
    env.clock.advance(minutes=10)
    env.fakes.custom_labels.fail("distribute", "Internal failure while distributing.")
    rekognition.distribute_dataset_entries(Datasets=[{"Arn": train_arn}, {"Arn": test_arn}])
    env.clock.advance(minutes=10)
    test = rekognition.describe_dataset(DatasetArn=test_arn)["DatasetDescription"]
    assert (test["Status"], test["StatusMessage"]) == ("UPDATE_FAILED", "Internal failure while distributing.")
    assert test["DatasetStats"]["TotalEntries"] == 0


def test_custom_labels_manifests_only_for_a_project_without_datasets(env: Env) -> None:
    """TrainingData and TestingData: "If you specify TrainingData you must also specify TestingData" (and the
    reverse), and "The project must not have any associated datasets"; otherwise InvalidParameterException.
    A project without datasets trains on the manifests (TestingData AutoCreate splits the test data off)."""
    rekognition, project_arn, _ = _project_with_train(env)
    asset = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Name": "manifests/defects.manifest"}}}
    manifest = {"Assets": [asset]}
    for data in ({"TestingData": {"AutoCreate": True}}, {"TrainingData": manifest, "TestingData": manifest}):
        with pytest.raises(rekognition.exceptions.InvalidParameterException):
            rekognition.create_project_version(ProjectArn=project_arn, VersionName="v1", OutputConfig=OUTPUT, **data)

    bare_arn = rekognition.create_project(ProjectName="bare")["ProjectArn"]
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.create_project_version(ProjectArn=bare_arn, VersionName="v1", OutputConfig=OUTPUT,
                                           TestingData={"AutoCreate": True})
    rekognition.create_project_version(ProjectArn=bare_arn, VersionName="v1", OutputConfig=OUTPUT,
                                       TrainingData=manifest, TestingData={"AutoCreate": True})
    [version] = rekognition.describe_project_versions(ProjectArn=bare_arn)["ProjectVersionDescriptions"]
    assert version["TrainingDataResult"]["Input"] == manifest
    assert version["TestingDataResult"]["Input"] == {"Assets": [], "AutoCreate": True}


def test_custom_labels_training_with_only_a_training_dataset_splits_it(env: Env) -> None:
    """With a training dataset and no test dataset, training is not refused: "During training, the training
    dataset is split to create a new test dataset for the project" (20% of the entries; the fake splits when
    training starts). With too few images per label, training fails with the message of
    ERROR_INSUFFICIENT_IMAGES_PER_LABEL_FOR_AUTOSPLIT. A dataset not yet complete is InvalidParameterException."""
    rekognition, project_arn, train_arn = _project_with_train(env, ready=False)
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.create_project_version(ProjectArn=project_arn, VersionName="v1", OutputConfig=OUTPUT)
    env.clock.advance(minutes=10)
    rekognition.create_project_version(ProjectArn=project_arn, VersionName="v1", OutputConfig=OUTPUT)
    [project] = rekognition.describe_projects(ProjectNames=["defects"])["ProjectDescriptions"]
    test_arn = next(d["DatasetArn"] for d in project["Datasets"] if d["DatasetType"] == "TEST")
    assert (_stats(rekognition, train_arn)["TotalEntries"], _stats(rekognition, test_arn)["TotalEntries"]) == (8, 2)
    env.clock.advance(hours=2)
    [version] = rekognition.describe_project_versions(ProjectArn=project_arn)["ProjectVersionDescriptions"]
    assert version["Status"] == "TRAINING_COMPLETED"
    assert version["TestingDataResult"]["Input"] == {"Assets": [], "AutoCreate": True}

    rekognition, few_arn, _ = _project_with_train(env, "few", MANIFEST)
    rekognition.create_project_version(ProjectArn=few_arn, VersionName="v1", OutputConfig=OUTPUT)
    env.clock.advance(hours=2)
    [version] = rekognition.describe_project_versions(ProjectArn=few_arn)["ProjectVersionDescriptions"]
    assert (version["Status"], version["StatusMessage"]) == (
        "TRAINING_FAILED", "The manifest file contains insufficient labeled images per label to perform auto-split.")


# -- S3 RestoreObject -------------------------------------------------------------------


def _archived(env: Env, key: str, storage_class: str = "DEEP_ARCHIVE", eventbridge: bool = True) -> None:
    if eventbridge:
        env.s3.put_bucket_notification_configuration(
            Bucket=BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
    env.s3.put_object(Bucket=BUCKET, Key=key, Body=b"archived bytes", StorageClass=storage_class)


def test_restore_takes_the_tier_delay_then_emits_completed(env: Env) -> None:
    """RestoreObject on Deep Archive answers 202, HeadObject shows ongoing-request="true" and GetObject is
    InvalidObjectState until 12 h (Standard) pass; then ongoing-request="false" with an expiry date rounded to
    midnight UTC, the object reads, and S3's "Object Restore Initiated"/"Completed" events went out."""
    _archived(env, "cold/report.csv")
    response = env.s3.restore_object(
        Bucket=BUCKET,
        Key="cold/report.csv",
        RestoreRequest={"Days": 2, "GlacierJobParameters": {"Tier": "Standard"}},
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert env.s3.head_object(Bucket=BUCKET, Key="cold/report.csv")["Restore"] == 'ongoing-request="true"'
    with pytest.raises(ClientError) as excinfo:
        env.s3.get_object(Bucket=BUCKET, Key="cold/report.csv")
    assert error_code(excinfo) == "InvalidObjectState"
    assert [e["detail-type"] for e in env.events] == ["Object Restore Initiated"]

    env.clock.advance(hours=11)
    assert env.s3.head_object(Bucket=BUCKET, Key="cold/report.csv")["Restore"] == 'ongoing-request="true"'
    env.clock.advance(hours=2)

    head = env.s3.head_object(Bucket=BUCKET, Key="cold/report.csv")
    # done at 21:30 on 2 March; + 2 days -> 4 March 21:30 -> next midnight 5 March
    assert head["Restore"] == 'ongoing-request="false", expiry-date="Thu, 05 Mar 2026 00:00:00 GMT"'
    assert env.s3.get_object(Bucket=BUCKET, Key="cold/report.csv")["Body"].read() == b"archived bytes"
    completed = env.events[-1]
    assert completed["detail-type"] == "Object Restore Completed"
    assert completed["source"] == "aws.s3"
    assert completed["time"] == "2026-03-02T21:30:00Z"
    assert completed["resources"] == [f"arn:aws:s3:::{BUCKET}"]
    detail = completed["detail"]
    assert detail["bucket"] == {"name": BUCKET}
    assert detail["object"]["key"] == "cold/report.csv" and detail["object"]["size"] == len(b"archived bytes")
    assert detail["restore-expiry-time"] == "2026-03-05T00:00:00Z"
    assert detail["source-storage-class"] == "DEEP_ARCHIVE"
    assert detail["requester"] == "s3.amazonaws.com"
    assert len(env.events) == 2


def test_restore_in_progress_conflict_and_glacier_tiers(env: Env) -> None:
    """A second RestoreObject while one is running is 409 RestoreAlreadyInProgress; Glacier Flexible
    Retrieval Expedited completes in minutes (a repeat on the restored copy is 200); Deep Archive has no
    Expedited tier; non-archived objects are InvalidObjectState."""
    _archived(env, "g.bin", storage_class="GLACIER")
    env.s3.restore_object(
        Bucket=BUCKET, Key="g.bin", RestoreRequest={"Days": 1, "GlacierJobParameters": {"Tier": "Expedited"}}
    )
    with pytest.raises(ClientError) as excinfo:
        env.s3.restore_object(Bucket=BUCKET, Key="g.bin", RestoreRequest={"Days": 1})
    assert error_code(excinfo) == "RestoreAlreadyInProgress"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    env.clock.advance(minutes=6)
    assert 'ongoing-request="false"' in env.s3.head_object(Bucket=BUCKET, Key="g.bin")["Restore"]
    again = env.s3.restore_object(Bucket=BUCKET, Key="g.bin", RestoreRequest={"Days": 5})
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200

    _archived(env, "d.bin", eventbridge=False)
    with pytest.raises(ClientError) as excinfo:
        env.s3.restore_object(
            Bucket=BUCKET,
            Key="d.bin",
            RestoreRequest={"Days": 1, "GlacierJobParameters": {"Tier": "Expedited"}},
        )
    assert error_code(excinfo) == "InvalidArgument"

    env.s3.put_object(Bucket=BUCKET, Key="hot.bin", Body=b"x")
    with pytest.raises(ClientError) as excinfo:
        env.s3.restore_object(Bucket=BUCKET, Key="hot.bin", RestoreRequest={"Days": 1})
    assert error_code(excinfo) == "InvalidObjectState"


def test_restore_events_only_with_eventbridge_enabled(env: Env) -> None:
    """S3 sends restore events to EventBridge only for buckets with EventBridgeConfiguration;
    the restore itself still completes on time."""
    _archived(env, "quiet.bin", storage_class="GLACIER", eventbridge=False)
    env.s3.restore_object(
        Bucket=BUCKET, Key="quiet.bin", RestoreRequest={"Days": 1, "GlacierJobParameters": {"Tier": "Bulk"}}
    )
    env.clock.advance(hours=12)
    assert 'ongoing-request="false"' in env.s3.head_object(Bucket=BUCKET, Key="quiet.bin")["Restore"]
    assert env.events == []


def test_restore_completes_on_the_clock_without_anyone_reading(env: Env) -> None:
    """S3 completes a restore by itself: the Completed event goes out when virtual time passes the delay,
    with no S3 call (an EventBridge-driven workflow polls nothing)."""
    _archived(env, "timer.bin", storage_class="GLACIER")
    env.s3.restore_object(
        Bucket=BUCKET,
        Key="timer.bin",
        RestoreRequest={"Days": 1, "GlacierJobParameters": {"Tier": "Standard"}},
    )
    env.clock.advance(hours=5)
    deadline = time.monotonic() + 5
    while len(env.events) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [e["detail-type"] for e in env.events] == ["Object Restore Initiated", "Object Restore Completed"]


def test_restores_due_at_the_same_moment_share_one_clock_timer(env: Env) -> None:
    """Ten thousand objects restored together complete together: one timer for the moment, not one per object."""
    for i in range(10):
        _archived(env, f"bulk/{i}.bin")
        env.s3.restore_object(Bucket=BUCKET, Key=f"bulk/{i}.bin", RestoreRequest={"Days": 1})
    assert env.clock.pending_deadlines(external=False) == 1
    assert env.clock.advance_to_next()
    _wait_until(lambda: len(env.events) == 20)
    assert [e["detail-type"] for e in env.events[10:]] == ["Object Restore Completed"] * 10


def _wait_until(condition: Any) -> None:
    deadline = time.monotonic() + 10
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert condition()


def test_an_execution_reading_s3_does_not_wait_for_other_objects_events(env: Env, monkeypatch: Any) -> None:
    """While S3's timer sends the Completed events of many objects, an execution's own S3 call (a thread
    holding the clock) reads the restored object at once; a read from outside (a test, the CLI) still
    returns only once every due event is out."""
    for key in ("a.bin", "b.bin"):
        _archived(env, key)
        env.s3.restore_object(Bucket=BUCKET, Key=key, RestoreRequest={"Days": 1})
    sending, go_on = threading.Event(), threading.Event()

    def slow_emit(event: dict[str, Any]) -> None:
        env.events.append(event)
        if event["detail-type"] == "Object Restore Completed" and not go_on.is_set():
            sending.set()
            go_on.wait(30)

    monkeypatch.setattr(env.fakes.s3_restore.ctx, "emit", slow_emit)
    env.clock.advance_to_next()  # the timer's thread sends, and blocks in its first send
    assert sending.wait(30)

    seen: dict[str, Any] = {}

    def execution_reads() -> None:
        with env.clock.busy():
            seen["execution"] = (env.s3.head_object(Bucket=BUCKET, Key="b.bin")["Restore"], len(env.events))

    def outsider_reads() -> None:
        seen["outsider"] = (env.s3.head_object(Bucket=BUCKET, Key="b.bin")["Restore"], len(env.events))

    execution = threading.Thread(target=execution_reads)
    execution.start()
    execution.join(30)
    assert seen["execution"][0].startswith('ongoing-request="false"')
    assert seen["execution"][1] == 3  # two Initiated, the first Completed: the sender is still at it
    outsider = threading.Thread(target=outsider_reads)
    outsider.start()
    go_on.set()
    outsider.join(30)
    assert seen["outsider"] == (seen["execution"][0], 4)


def test_restore_events_reach_a_queue_destination_as_well_as_eventbridge(env: Env) -> None:
    """A bucket with an SQS destination for restore events gets S3's own notification records (moto's code),
    beside the EventBridge events; a bucket with EventBridge only sends nothing to queues."""
    sqs = env.client("sqs")
    queue_url = sqs.create_queue(QueueName="restores")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    _archived(env, "queued.bin")
    env.s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={
        "EventBridgeConfiguration": {},
        "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectRestore:*"]}]})
    env.s3.restore_object(Bucket=BUCKET, Key="queued.bin", RestoreRequest={"Days": 1})
    env.clock.advance_to_next()
    _wait_until(lambda: len(env.events) == 2)
    records = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            records += json.loads(message["Body"]).get("Records", [])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    assert [(r["eventName"], r["s3"]["object"]["key"]) for r in records] == [
        ("ObjectRestore:Post", "queued.bin"), ("ObjectRestore:Completed", "queued.bin")]
    assert [e["detail-type"] for e in env.events] == ["Object Restore Initiated", "Object Restore Completed"]


def test_restored_copy_expires(env: Env) -> None:
    """After the expiry date the temporary copy is gone: no Restore header, GetObject is InvalidObjectState
    again, and "Object Restore Expired" is sent."""
    _archived(env, "short.bin", storage_class="GLACIER")
    env.s3.restore_object(
        Bucket=BUCKET,
        Key="short.bin",
        RestoreRequest={"Days": 1, "GlacierJobParameters": {"Tier": "Expedited"}},
    )
    env.clock.advance(days=3)
    assert "Restore" not in env.s3.head_object(Bucket=BUCKET, Key="short.bin")
    with pytest.raises(ClientError) as excinfo:
        env.s3.get_object(Bucket=BUCKET, Key="short.bin")
    assert error_code(excinfo) == "InvalidObjectState"
    assert [e["detail-type"] for e in env.events] == [
        "Object Restore Initiated", "Object Restore Completed", "Object Restore Expired",
    ]  # fmt: skip
