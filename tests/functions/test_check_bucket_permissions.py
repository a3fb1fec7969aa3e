"""CheckBucketPermissionsFunction against moto: request validation and the bucket policy check."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.functions.handlers import FakeContext, load_handler, set_environment

ROOT = Path(__file__).resolve().parents[2]
HANDLER = ROOT / "functions" / "check_bucket_permissions" / "app.py"
EVENTS = ROOT / "events" / "custom-labels-training"
BUCKET = "sfn-suite-trainingbucket"
REKOGNITION_SIDS = ["AWSRekognitionS3AclBucketRead20191011", "AWSRekognitionS3GetBucket20191011",
                    "AWSRekognitionS3ACLBucketWrite20191011", "AWSRekognitionS3PutObject20191011"]


Context = functools.partial(FakeContext, "check-bucket-permissions")


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    set_environment(monkeypatch, {"TRAINING_BUCKET": BUCKET, "PROJECT_NAME_PREFIX": "sfn-suite-"})
    module = load_handler(monkeypatch, HANDLER, "check_bucket_permissions_app")
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        yield module


def documented_policy(output_prefix: str = "evaluation/", drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """The Custom Labels guide's bucket policy for BUCKET, as template.yaml declares it."""
    arn = f"arn:aws:s3:::{BUCKET}"
    rekognition = {"Service": "rekognition.amazonaws.com"}
    statements = [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": REKOGNITION_SIDS[0], "Effect": "Allow", "Principal": rekognition,
         "Action": ["s3:GetBucketAcl", "s3:GetBucketLocation"], "Resource": arn},
        {"Sid": REKOGNITION_SIDS[1], "Effect": "Allow", "Principal": rekognition,
         "Action": ["s3:GetObject", "s3:GetObjectAcl", "s3:GetObjectVersion", "s3:GetObjectTagging"],
         "Resource": f"{arn}/*"},
        {"Sid": REKOGNITION_SIDS[2], "Effect": "Allow", "Principal": rekognition, "Action": "s3:GetBucketAcl",
         "Resource": arn},
        {"Sid": REKOGNITION_SIDS[3], "Effect": "Allow", "Principal": rekognition, "Action": "s3:PutObject",
         "Resource": f"{arn}/{output_prefix}*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}},
    ]
    return {"Version": "2012-10-17", "Statement": [s for s in statements if s["Sid"] not in drop]}


def put_policy(policy: dict[str, Any]) -> None:
    boto3.client("s3").put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))


def request(name: str = "happy", **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(json.loads((EVENTS / f"{name}.json").read_text()))
    body.update(changes)
    return {"request": body, "executionName": "run-2025-01-15T10:00:00Z"}


def test_valid_request_is_normalised(app):
    put_policy(documented_policy())
    result = app.lambda_handler(request(), Context())
    assert result == {
        "projectName": "sfn-suite-pets",
        "versionName": "run-2025-01-15T10-00-00Z",  # the execution name, made a valid version name
        "trainingManifest": {"S3Object": {"Bucket": BUCKET, "Name": "datasets/pets/train.manifest"}},
        "testingData": {"AutoCreate": True},
        "outputConfig": {"S3Bucket": BUCKET, "S3KeyPrefix": "evaluation/pets/"},
        "minF1Score": 0.8,
        "minInferenceUnits": 1,
        "autoStop": {"enabled": False, "hours": None, "seconds": 0},
    }


def test_optional_fields_shape_testing_data_version_and_auto_stop(app):
    put_policy(documented_policy())
    body = request("with-test-manifest", versionName="v1", autoStopAfterHours=4)
    result = app.lambda_handler(body, Context())
    assert result["testingData"] == {"Assets": [{"GroundTruthManifest": {"S3Object": {
        "Bucket": BUCKET, "Name": "datasets/pets/test.manifest"}}}]}
    assert result["versionName"] == "v1"
    assert result["autoStop"] == {"enabled": True, "hours": 4, "seconds": 14400}


def test_images_instead_of_a_manifest_are_passed_on_for_the_manifest_builder(app):
    put_policy(documented_policy())
    result = app.lambda_handler(request("images"), Context())
    assert "trainingManifest" not in result
    assert result["images"] == {"bucket": BUCKET, "prefix": "datasets/pets/folders/"}
    assert result["outputConfig"] == {"S3Bucket": BUCKET, "S3KeyPrefix": "evaluation/pets-from-folders/"}


@pytest.mark.parametrize("changes", [
    {"images": {"bucket": BUCKET, "prefix": "datasets/pets/folders/"}},  # both
    {"trainingManifest": None},  # neither
], ids=["both", "neither"])
def test_exactly_one_of_manifest_or_images(app, changes):
    body = request(**changes)
    body["request"] = {k: v for k, v in body["request"].items() if v is not None}
    put_policy(documented_policy())
    with pytest.raises(app.InvalidTrainingRequest, match="exactly one of trainingManifest or images"):
        app.lambda_handler(body, Context())


def test_images_in_another_bucket_are_refused(app):
    body = request("images", images={"bucket": "somebody-elses-bucket", "prefix": "x/"})
    with pytest.raises(app.InvalidTrainingRequest, match=f"images.bucket: must be the training bucket '{BUCKET}'"):
        app.lambda_handler(body, Context())


BAD_REQUESTS = {
    "missing field": ({"minInferenceUnits": None}, "minInferenceUnits: Input should be a valid integer"),
    "missing nested field": ({"trainingManifest": {"bucket": BUCKET}}, "trainingManifest.key: Field required"),
    "wrong type (string for int)": ({"minInferenceUnits": "1"}, "minInferenceUnits: Input should be a valid integer"),
    "wrong type (bool for number)": ({"minF1Score": True}, "minF1Score: Input should be a valid number"),
    "out of range": ({"minF1Score": 1.5}, "minF1Score: Input should be less than or equal to 1"),
    "zero inference units": ({"minInferenceUnits": 0}, "minInferenceUnits: Input should be greater than or equal to 1"),
    "auto-stop too long": ({"autoStopAfterHours": 100}, "autoStopAfterHours: Input should be less than or equal to 72"),
    "bad project name": ({"projectName": "sfn-suite-pets/1"}, "projectName: String should match pattern"),
    "unknown field": ({"minF1": 0.5}, "minF1: Extra inputs are not permitted"),
    "foreign project": ({"projectName": "pets"}, "projectName: must start with 'sfn-suite-' (the stack's projects)"),
    "foreign bucket": ({"output": {"bucket": "somebody-elses-bucket", "prefix": "evaluation/"}},
                       f"output.bucket: must be the training bucket '{BUCKET}'"),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_bad_request_is_an_invalid_training_request(app, case):
    changes, message = BAD_REQUESTS[case]
    body = request(**changes)
    if changes.get("minInferenceUnits", 1) is None:
        del body["request"]["minInferenceUnits"]
        message = "minInferenceUnits: Field required"
    put_policy(documented_policy())
    with pytest.raises(app.InvalidTrainingRequest) as raised:
        app.lambda_handler(body, Context())
    assert message in str(raised.value)
    assert type(raised.value).__name__ == "InvalidTrainingRequest"  # the Step Functions error name


@pytest.mark.parametrize("event", [None, [], "text", {"request": "x", "executionName": "e"}, {"executionName": "e"}])
def test_event_of_the_wrong_shape_is_an_invalid_training_request(app, event):
    with pytest.raises(app.InvalidTrainingRequest):
        app.lambda_handler(event, Context())


def test_bucket_without_policy_reports_every_statement(app):
    with pytest.raises(app.BucketPermissionsMissing) as raised:
        app.lambda_handler(request(), Context())
    message = str(raised.value)
    assert message.startswith(f"Bucket {BUCKET} has no bucket policy; Rekognition Custom Labels "
                              "(rekognition.amazonaws.com) needs: ")
    assert [sid for sid in REKOGNITION_SIDS if sid in message] == REKOGNITION_SIDS


DROPPED = {
    # statement removed from the policy: what the check then reports missing (None: still granted)
    REKOGNITION_SIDS[0]: f"s3:GetBucketLocation on arn:aws:s3:::{BUCKET}",  # GetBucketAcl: still in the 3rd
    REKOGNITION_SIDS[1]: f"s3:GetObject, s3:GetObjectAcl, s3:GetObjectVersion, s3:GetObjectTagging on "
                         f"arn:aws:s3:::{BUCKET}/*",
    REKOGNITION_SIDS[2]: None,  # its only action, s3:GetBucketAcl, is granted by the 1st statement too
    REKOGNITION_SIDS[3]: f"s3:PutObject on arn:aws:s3:::{BUCKET}/evaluation/pets/*",
}


@pytest.mark.parametrize("dropped", list(DROPPED))
def test_each_missing_statement_is_named_exactly(app, dropped):
    put_policy(documented_policy(drop=(dropped,)))
    if DROPPED[dropped] is None:
        assert app.lambda_handler(request(), Context())["projectName"] == "sfn-suite-pets"
        return
    with pytest.raises(app.BucketPermissionsMissing) as raised:
        app.lambda_handler(request(), Context())
    assert str(raised.value) == (f"The policy of bucket {BUCKET} does not grant Rekognition Custom Labels "
                                 f"(rekognition.amazonaws.com): {dropped}: {DROPPED[dropped]}")


def test_output_prefix_outside_the_policy_is_missing_put_object(app):
    put_policy(documented_policy(output_prefix="evaluation/"))
    with pytest.raises(app.BucketPermissionsMissing, match=r"s3:PutObject on arn:aws:s3:::[^ ]+/drafts/\*$"):
        app.lambda_handler(request(output={"bucket": BUCKET, "prefix": "drafts/"}), Context())


def test_broader_grants_count(app):
    put_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": ["rekognition.amazonaws.com", "textract.amazonaws.com"]},
         "Action": "s3:*", "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]}]})
    assert app.lambda_handler(request(), Context())["projectName"] == "sfn-suite-pets"


def test_grants_to_other_principals_or_denies_do_not_count(app):
    policy = documented_policy()
    for statement in policy["Statement"][1:]:
        statement["Principal"] = {"Service": "textract.amazonaws.com"}
    policy["Statement"].append({"Effect": "Deny", "Principal": {"Service": "rekognition.amazonaws.com"},
                                "Action": "s3:*", "Resource": f"arn:aws:s3:::{BUCKET}/*"})
    put_policy(policy)
    with pytest.raises(app.BucketPermissionsMissing) as raised:
        app.lambda_handler(request(), Context())
    assert [sid for sid in REKOGNITION_SIDS if sid in str(raised.value)] == REKOGNITION_SIDS


def test_other_s3_errors_propagate(app):
    boto3.client("s3").delete_bucket(Bucket=BUCKET)
    with pytest.raises(app.ClientError) as raised:
        app.lambda_handler(request(), Context())
    assert raised.value.response["Error"]["Code"] == "NoSuchBucket"


def test_template_policy_satisfies_the_check(app):
    """The template's TrainingBucketPolicy, resolved for the sandbox stack, passes the check as it is."""
    from sandbox.stack import Stack
    from sandbox.template_yaml import load_template

    stack = Stack(load_template(ROOT / "template.yaml"), ROOT)
    document = stack.resolve(stack.resources["TrainingBucketPolicy"].properties)["PolicyDocument"]
    put_policy(document)
    assert app.lambda_handler(request(), Context())["outputConfig"]["S3KeyPrefix"] == "evaluation/pets/"
