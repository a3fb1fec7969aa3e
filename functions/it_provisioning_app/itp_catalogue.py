"""The product catalogue of the IT provisioning workflow: what an employee may request.

Each product is a small CloudFormation template, the pydantic model of its parameters, and a
monthly cost estimate computed from those parameters. Requests are validated against this
module twice: by the request API (a 400 with field-level messages) and by the state machine's
first step (an execution started directly, without the API, gets the same checks).

Prices are list prices in USD for us-east-1 at the time of writing, rounded; they are an
estimate for the approval decision, not a bill.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

NAME_PREFIX = "itp-${AWS::AccountId}-"
"""Every bucket and queue of the catalogue is named `itp-<account ID>-<requested name>` (Fn::Sub in the
templates below): the stack role may create and delete buckets and queues with this prefix only
(template.yaml, ItProvisioningStackRole), never the account's other buckets and queues."""
NAME_PREFIX_LENGTH = len("itp-123456789012-")
"""17: the prefix takes this much of S3's 63 and SQS's 80 characters."""


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# -- S3 bucket -------------------------------------------------------------------------------


class BucketParams(_Params):
    bucketName: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,44}[a-z0-9]$",
                            description="Bucket name after the catalogue's prefix itp-<account ID>- (lowercase "
                                        "letters, digits, hyphens; 3-46 characters).")
    expectedStorageGiB: StrictInt = Field(default=10, ge=1, le=50_000)
    versioning: StrictBool = False


def _bucket_cost(p: BucketParams) -> float:
    # S3 Standard storage, USD 0.023 per GiB-month; versioning keeps old versions (counted once more).
    return p.expectedStorageGiB * 0.023 * (2 if p.versioning else 1)


BUCKET_TEMPLATE: dict[str, Any] = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "IT provisioning catalogue: an encrypted, private S3 bucket.",
    "Parameters": {
        "BucketName": {"Type": "String", "AllowedPattern": "^[a-z0-9][a-z0-9-]{1,44}[a-z0-9]$"},
        "Versioning": {"Type": "String", "AllowedValues": ["Enabled", "Suspended"], "Default": "Suspended"},
    },
    "Resources": {
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Delete",
            "Properties": {
                "BucketName": {"Fn::Sub": NAME_PREFIX + "${BucketName}"},
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]},
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                   "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": {"Ref": "Versioning"}},
            },
        },
    },
    "Outputs": {
        "BucketName": {"Value": {"Ref": "Bucket"}},
        "BucketArn": {"Value": {"Fn::GetAtt": ["Bucket", "Arn"]}},
    },
}


def _bucket_stack_parameters(p: BucketParams) -> dict[str, str]:
    return {"BucketName": p.bucketName, "Versioning": "Enabled" if p.versioning else "Suspended"}


# -- SQS queue --------------------------------------------------------------------------------


class QueueParams(_Params):
    queueName: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,63}$",
                           description="Queue name after the catalogue's prefix itp-<account ID>- (1-63 characters).")
    expectedMillionRequestsPerMonth: StrictInt = Field(default=1, ge=0, le=100_000)
    visibilityTimeoutSeconds: StrictInt = Field(default=30, ge=0, le=43_200)
    retentionDays: StrictInt = Field(default=4, ge=1, le=14)


def _queue_cost(p: QueueParams) -> float:
    # Standard queue: first million requests a month free, then USD 0.40 per million.
    return max(p.expectedMillionRequestsPerMonth - 1, 0) * 0.40


QUEUE_TEMPLATE: dict[str, Any] = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "IT provisioning catalogue: an encrypted SQS standard queue.",
    "Parameters": {
        "QueueName": {"Type": "String", "AllowedPattern": "^[a-zA-Z0-9_-]{1,63}$"},
        "VisibilityTimeout": {"Type": "Number", "MinValue": 0, "MaxValue": 43200, "Default": 30},
        "RetentionSeconds": {"Type": "Number", "MinValue": 60, "MaxValue": 1209600, "Default": 345600},
    },
    "Resources": {
        "Queue": {
            "Type": "AWS::SQS::Queue",
            "DeletionPolicy": "Delete",
            "Properties": {
                "QueueName": {"Fn::Sub": NAME_PREFIX + "${QueueName}"},
                "SqsManagedSseEnabled": True,
                "VisibilityTimeout": {"Ref": "VisibilityTimeout"},
                "MessageRetentionPeriod": {"Ref": "RetentionSeconds"},
            },
        },
    },
    "Outputs": {
        "QueueUrl": {"Value": {"Ref": "Queue"}},
        "QueueArn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}},
    },
}


def _queue_stack_parameters(p: QueueParams) -> dict[str, str]:
    return {"QueueName": p.queueName, "VisibilityTimeout": str(p.visibilityTimeoutSeconds),
            "RetentionSeconds": str(p.retentionDays * 86_400)}


# -- EC2 instance -----------------------------------------------------------------------------

INSTANCE_HOURLY_USD = {"t4g.nano": 0.0042, "t4g.micro": 0.0084, "t4g.small": 0.0168, "t4g.medium": 0.0336}
HOURS_PER_MONTH = 730


class InstanceParams(_Params):
    instanceType: Literal["t4g.nano", "t4g.micro", "t4g.small", "t4g.medium"] = "t4g.micro"
    volumeGiB: StrictInt = Field(default=8, ge=8, le=100)


def _instance_cost(p: InstanceParams) -> float:
    # On-demand Linux price per hour x 730 hours, plus gp3 storage at USD 0.08 per GiB-month.
    return INSTANCE_HOURLY_USD[p.instanceType] * HOURS_PER_MONTH + p.volumeGiB * 0.08


INSTANCE_TEMPLATE: dict[str, Any] = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "IT provisioning catalogue: a small Graviton EC2 instance (Amazon Linux 2023, IMDSv2, "
                   "encrypted gp3).",
    "Parameters": {
        "ImageId": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                    "Default": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"},
        "InstanceType": {"Type": "String", "AllowedValues": sorted(INSTANCE_HOURLY_USD)},
        "VolumeSize": {"Type": "Number", "MinValue": 8, "MaxValue": 100, "Default": 8},
    },
    "Resources": {
        "Instance": {
            "Type": "AWS::EC2::Instance",
            "DeletionPolicy": "Delete",
            "Properties": {
                "ImageId": {"Ref": "ImageId"},
                "InstanceType": {"Ref": "InstanceType"},
                "MetadataOptions": {"HttpTokens": "required"},
                "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {
                    "VolumeSize": {"Ref": "VolumeSize"}, "VolumeType": "gp3", "Encrypted": True}}],
            },
        },
    },
    "Outputs": {"InstanceId": {"Value": {"Ref": "Instance"}}},
}


def _instance_stack_parameters(p: InstanceParams) -> dict[str, str]:
    return {"InstanceType": p.instanceType, "VolumeSize": str(p.volumeGiB)}


# -- the catalogue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    id: str
    title: str
    params: type[_Params]
    template: dict[str, Any]
    monthly_cost: Callable[[Any], float]
    stack_parameters: Callable[[Any], dict[str, str]]

    @property
    def resource_types(self) -> list[str]:
        return sorted({r["Type"] for r in self.template["Resources"].values()})

    @property
    def template_body(self) -> str:
        return json.dumps(self.template, separators=(",", ":"))


CATALOGUE: dict[str, Product] = {
    p.id: p for p in (
        Product("s3-bucket", "S3 bucket", BucketParams, BUCKET_TEMPLATE, _bucket_cost, _bucket_stack_parameters),
        Product("sqs-queue", "SQS queue", QueueParams, QUEUE_TEMPLATE, _queue_cost, _queue_stack_parameters),
        Product("ec2-instance", "Small EC2 instance", InstanceParams, INSTANCE_TEMPLATE, _instance_cost,
                _instance_stack_parameters),
    )
}

RESOURCE_TYPES = sorted({t for p in CATALOGUE.values() for t in p.resource_types})
"""Every resource type the catalogue may create: the provisioning role allows these and no others."""
