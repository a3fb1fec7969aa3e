"""Validate a Custom Labels training request and check the training bucket's policy.

Called by the custom-labels-training state machine before anything is created. It

* validates the execution input (Powertools parser, pydantic) and raises
  `InvalidTrainingRequest` with every problem found;
* returns the request normalised for the state machine: defaults applied, and the
  S3 locations already in the shapes the Rekognition API takes (`images`, the alternative
  to a training manifest, is passed on for BuildTrainingManifestFunction);
* reads the training bucket's policy (s3:GetBucketPolicy) and raises
  `BucketPermissionsMissing` naming each statement Rekognition Custom Labels needs
  that the policy does not grant (see docs/custom-labels-training.md).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel, Field, ValidationError, parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError
from pydantic import ConfigDict, StrictInt, model_validator

logger = Logger()
tracer = Tracer()
metrics = Metrics()

REKOGNITION = "rekognition.amazonaws.com"
NAME_PATTERN = r"^[a-zA-Z0-9_.\-]{1,255}$"
MAX_AUTO_STOP_HOURS = 72


class InvalidTrainingRequest(Exception):
    """The execution input is not a valid training request."""


class BucketPermissionsMissing(Exception):
    """The training bucket's policy does not grant Rekognition Custom Labels what it needs."""


# -- the request --------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class S3Location(_Strict):
    bucket: str = Field(min_length=3, max_length=63)
    key: str = Field(min_length=1, max_length=1024)


class OutputLocation(_Strict):
    bucket: str = Field(min_length=3, max_length=63)
    prefix: str = Field(min_length=1, max_length=1024)


class ImagesLocation(_Strict):
    bucket: str = Field(min_length=3, max_length=63)
    prefix: str = Field(min_length=1, max_length=1024)


class TrainingRequest(_Strict):
    projectName: str = Field(pattern=NAME_PATTERN)
    versionName: str | None = Field(default=None, pattern=NAME_PATTERN)
    trainingManifest: S3Location | None = None
    images: ImagesLocation | None = None
    testManifest: S3Location | None = None
    output: OutputLocation
    minF1Score: float = Field(ge=0, le=1)
    minInferenceUnits: StrictInt = Field(ge=1, le=100)
    autoStopAfterHours: StrictInt | None = Field(default=None, ge=1, le=MAX_AUTO_STOP_HOURS)

    @model_validator(mode="after")
    def _one_training_source(self) -> TrainingRequest:
        if (self.trainingManifest is None) == (self.images is None):
            raise ValueError("exactly one of trainingManifest or images is required")
        return self


class CheckEvent(_Strict):
    request: TrainingRequest
    executionName: str = Field(min_length=1, max_length=256)


@dataclass(frozen=True)
class Settings:
    bucket: str
    project_prefix: str

    @classmethod
    def from_env(cls) -> Settings:
        return cls(os.environ["TRAINING_BUCKET"], os.environ["PROJECT_NAME_PREFIX"])


def _problems(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'input'}: {e['msg']}" for e in error.errors())


def validate(event: Any, settings: Settings) -> CheckEvent:
    """The parsed event, or InvalidTrainingRequest listing every problem."""
    try:
        checked = parse(event=event, model=CheckEvent)
    except ValidationError as error:
        raise InvalidTrainingRequest(_problems(error)) from None
    request = checked.request
    problems = []
    if not request.projectName.startswith(settings.project_prefix):
        problems.append(f"projectName: must start with '{settings.project_prefix}' (the stack's projects)")
    locations = [("output.bucket", request.output.bucket)]
    if request.trainingManifest is not None:
        locations.insert(0, ("trainingManifest.bucket", request.trainingManifest.bucket))
    if request.images is not None:
        locations.insert(0, ("images.bucket", request.images.bucket))
    if request.testManifest is not None:
        locations.append(("testManifest.bucket", request.testManifest.bucket))
    problems += [f"{name}: must be the training bucket '{settings.bucket}'"
                 for name, bucket in locations if bucket != settings.bucket]
    if problems:
        raise InvalidTrainingRequest("; ".join(problems))
    return checked


def normalised(checked: CheckEvent) -> dict[str, Any]:
    """What the state machine works with: defaults applied, API shapes ready."""
    request = checked.request
    version = request.versionName or re.sub(r"[^a-zA-Z0-9_.\-]", "-", checked.executionName)[:255]
    if request.testManifest is None:
        testing: dict[str, Any] = {"AutoCreate": True}
    else:
        testing = {"Assets": [{"GroundTruthManifest": {"S3Object": {
            "Bucket": request.testManifest.bucket, "Name": request.testManifest.key}}}]}
    hours = request.autoStopAfterHours
    # With images, the state machine's BuildTrainingManifest writes the manifest and sets trainingManifest.
    source: dict[str, Any]
    if request.trainingManifest is not None:
        source = {"trainingManifest": {"S3Object": {"Bucket": request.trainingManifest.bucket,
                                                    "Name": request.trainingManifest.key}}}
    elif request.images is not None:
        source = {"images": {"bucket": request.images.bucket, "prefix": request.images.prefix}}
    else:  # the model validator already refuses a request with neither
        raise InvalidTrainingRequest("exactly one of trainingManifest or images is required")
    return {
        "projectName": request.projectName,
        "versionName": version,
        **source,
        "testingData": testing,
        "outputConfig": {"S3Bucket": request.output.bucket, "S3KeyPrefix": request.output.prefix},
        "minF1Score": request.minF1Score,
        "minInferenceUnits": request.minInferenceUnits,
        "autoStop": {"enabled": hours is not None, "hours": hours, "seconds": (hours or 0) * 3600},
    }


# -- the bucket policy ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Required:
    """One statement of the documented policy: actions Rekognition needs on a resource."""

    sid: str
    actions: tuple[str, ...]
    resource: str


def required_statements(partition: str, bucket: str, output_prefix: str) -> list[Required]:
    """The statements of the Custom Labels guide's bucket policy (input and output bucket)."""
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    return [
        Required("AWSRekognitionS3AclBucketRead20191011", ("s3:GetBucketAcl", "s3:GetBucketLocation"), bucket_arn),
        Required("AWSRekognitionS3GetBucket20191011",
                 ("s3:GetObject", "s3:GetObjectAcl", "s3:GetObjectVersion", "s3:GetObjectTagging"), f"{bucket_arn}/*"),
        Required("AWSRekognitionS3ACLBucketWrite20191011", ("s3:GetBucketAcl",), bucket_arn),
        Required("AWSRekognitionS3PutObject20191011", ("s3:PutObject",), f"{bucket_arn}/{output_prefix}*"),
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants_rekognition(statement: dict[str, Any]) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    principal = statement.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, dict) and REKOGNITION in _as_list(principal.get("Service", []))


def _covers(patterns: list[str], value: str) -> bool:
    return any(fnmatch.fnmatchcase(value.lower(), p.lower()) if "*" in p or "?" in p else p.lower() == value.lower()
               for p in patterns)


def _resource_covered(patterns: list[str], resource: str) -> bool:
    # An object prefix ("bucket/output/*") is covered when a pattern matches any object under it.
    probe = resource[:-1] + "sandbox-probe" if resource.endswith("*") else resource
    return _covers(patterns, resource) or _covers(patterns, probe)


def missing_statements(policy: dict[str, Any] | None, required: list[Required]) -> list[str]:
    """`<Sid>: <action> on <resource>` for every required action no Allow statement grants Rekognition."""
    statements = [s for s in _as_list((policy or {}).get("Statement", [])) if _grants_rekognition(s)]
    missing = []
    for need in required:
        absent = [
            action for action in need.actions
            if not any(_covers(_as_list(s.get("Action", [])), action)
                       and _resource_covered(_as_list(s.get("Resource", [])), need.resource)
                       for s in statements)
        ]
        if absent:
            missing.append(f"{need.sid}: {', '.join(absent)} on {need.resource}")
    return missing


@tracer.capture_method
def read_policy(bucket: str) -> dict[str, Any] | None:
    """The bucket policy as a document, None when the bucket has none."""
    try:
        text = boto3.client("s3").get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchBucketPolicy":
            return None
        raise
    return json.loads(text)


# -- handler ------------------------------------------------------------------------------------------


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = Settings.from_env()
    try:
        checked = validate(event, settings)
    except InvalidTrainingRequest as error:
        metrics.add_metric(name="InvalidTrainingRequest", unit=MetricUnit.Count, value=1)
        logger.warning("invalid training request", extra={"problems": str(error)})
        raise
    request = normalised(checked)
    partition = context.invoked_function_arn.split(":")[1]
    policy = read_policy(settings.bucket)
    missing = missing_statements(policy, required_statements(partition, settings.bucket,
                                                             request["outputConfig"]["S3KeyPrefix"]))
    if missing:
        metrics.add_metric(name="BucketPermissionsMissing", unit=MetricUnit.Count, value=1)
        message = (f"Bucket {settings.bucket} has no bucket policy; Rekognition Custom Labels ({REKOGNITION}) needs: "
                   if policy is None else
                   f"The policy of bucket {settings.bucket} does not grant Rekognition Custom Labels ({REKOGNITION}): ")
        message += "; ".join(missing)
        logger.warning("bucket permissions missing", extra={"missing": missing})
        raise BucketPermissionsMissing(message)
    metrics.add_metric(name="TrainingRequestAccepted", unit=MetricUnit.Count, value=1)
    logger.info("training request accepted", extra={"project": request["projectName"],
                                                    "version": request["versionName"]})
    return request
