"""Write a SageMaker Ground Truth image-classification manifest for a folder of images.

Called by the custom-labels-training state machine when the request names `images`
(a bucket and a prefix) instead of a training manifest. Like the Rekognition Custom Labels
console's "automatically assign image-level labels to images based on the folder name", it

* lists the images (.jpg, .jpeg, .png, any case) under the prefix; an image's label is the name
  of its parent folder below the prefix (images directly under the prefix have none and are
  left out, as the console leaves them unlabeled);
* writes one JSON line per image ("source-ref", the label attribute and its "-metadata" with
  class-name, confidence, human-annotated, creation-date, job-name and type
  "groundtruth/image-classification") under the request's output prefix;
* returns the manifest's bucket and key. The key depends only on the project name and the
  images' bucket and prefix: a re-run overwrites the same manifest.

Named errors: `InvalidManifestRequest` (the payload is not what the state machine sends),
`NoTrainingImages` (no labeled image under the prefix), `TooFewLabels` (a classification model
needs at least two labels). Object keys are never logged, only counts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel, Field, ValidationError, parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ConfigDict

logger = Logger()
tracer = Tracer()
metrics = Metrics()

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
MIN_LABELS = 2
LABEL_ATTRIBUTE = "folder-label"
MANIFEST_CONTENT_TYPE = "application/x-ndjson"


class InvalidManifestRequest(Exception):
    """The payload is not a manifest request of the state machine."""


class NoTrainingImages(Exception):
    """No labeled .jpg/.jpeg/.png image under the prefix."""


class TooFewLabels(Exception):
    """The images under the prefix have fewer labels (folders) than a classification model needs."""


# -- the request --------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ImageLocation(_Strict):
    bucket: str = Field(min_length=3, max_length=63)
    prefix: str = Field(min_length=1, max_length=1024)


class ManifestRequest(_Strict):
    projectName: str = Field(pattern=r"^[a-zA-Z0-9_.\-]{1,255}$")
    images: ImageLocation
    output: ImageLocation


def validate(event: Any) -> ManifestRequest:
    try:
        return parse(event=event, model=ManifestRequest)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in error.errors())
        raise InvalidManifestRequest(problems) from None


# -- the manifest ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Image:
    key: str
    label: str
    modified: datetime


def manifest_key(request: ManifestRequest) -> str:
    """Same project and image location, same key: a re-run overwrites its manifest."""
    digest = hashlib.sha256(f"{request.images.bucket}/{request.images.prefix}".encode()).hexdigest()[:16]
    return f"{request.output.prefix}manifests/{request.projectName}-{digest}.manifest"


def label_of(key: str, prefix: str) -> str | None:
    """The image's parent folder below the prefix; None for an image directly under it."""
    folders = key[len(prefix):].lstrip("/").split("/")[:-1]
    folders = [f for f in folders if f]
    return folders[-1] if folders else None


@tracer.capture_method
def list_images(bucket: str, prefix: str) -> tuple[list[Image], int]:
    """(labeled images, image count without a folder), in key order."""
    images, unlabeled = [], 0
    pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        for item in page.get("Contents", []):
            key = item["Key"]
            if not key.lower().endswith(IMAGE_SUFFIXES):
                continue
            label = label_of(key, prefix)
            if label is None:
                unlabeled += 1
            else:
                images.append(Image(key, label, item["LastModified"]))
    return images, unlabeled


def manifest_lines(bucket: str, images: list[Image], job: str) -> list[str]:
    """One Ground Truth image-classification JSON line per image; class ids in label order."""
    ids = {label: number for number, label in enumerate(sorted({i.label for i in images}))}
    return [json.dumps({
        "source-ref": f"s3://{bucket}/{image.key}",
        LABEL_ATTRIBUTE: ids[image.label],
        f"{LABEL_ATTRIBUTE}-metadata": {
            "confidence": 1,
            "job-name": f"labeling-job/{job}",
            "class-name": image.label,
            "human-annotated": "yes",
            "creation-date": image.modified.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
            "type": "groundtruth/image-classification",
        },
    }, separators=(",", ":")) for image in images]


# -- handler ------------------------------------------------------------------------------------------


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        request = validate(event)
    except InvalidManifestRequest as error:
        metrics.add_metric(name="InvalidManifestRequest", unit=MetricUnit.Count, value=1)
        logger.warning("invalid manifest request", extra={"problems": str(error)})
        raise
    source = request.images
    images, unlabeled = list_images(source.bucket, source.prefix)
    labels = sorted({i.label for i in images})
    counts = {"images": len(images), "unlabeled": unlabeled, "labels": len(labels)}
    if not images:
        metrics.add_metric(name="NoTrainingImages", unit=MetricUnit.Count, value=1)
        logger.warning("no labeled images", extra=counts)
        raise NoTrainingImages(
            f"No .jpg, .jpeg or .png image in a folder under s3://{source.bucket}/{source.prefix} "
            f"({unlabeled} directly under the prefix, without a folder to name their label).")
    if len(labels) < MIN_LABELS:
        metrics.add_metric(name="TooFewLabels", unit=MetricUnit.Count, value=1)
        logger.warning("too few labels", extra=counts)
        raise TooFewLabels(
            f"The {len(images)} images under s3://{source.bucket}/{source.prefix} have {len(labels)} label "
            f"({', '.join(labels)}): a classification model needs at least {MIN_LABELS}, one folder per label.")
    key = manifest_key(request)
    body = "\n".join(manifest_lines(source.bucket, images, request.projectName)) + "\n"
    boto3.client("s3").put_object(Bucket=request.output.bucket, Key=key, Body=body.encode(),
                                  ContentType=MANIFEST_CONTENT_TYPE)
    metrics.add_metric(name="TrainingImages", unit=MetricUnit.Count, value=len(images))
    logger.info("manifest written", extra={**counts, "manifestKey": key})
    return {"bucket": request.output.bucket, "key": key, "images": len(images), "labels": labels}
