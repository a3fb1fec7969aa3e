"""Rekognition DetectLabels driven by the image object (moto's answer is canned).

The labels ride on the S3 object's user metadata `sandbox-labels`: a JSON list of
`{"Name", "Confidence", "Parents"?, "Categories"?, "Aliases"?}` or comma-separated
names (confidence 99.0). No metadata means nothing was recognised: `Labels: []`.
MinConfidence (default 55, as documented) and MaxLabels are honoured; labels come
highest confidence first, as Rekognition returns them.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox.fakes import FakeContext
from sandbox.fakes._api import AwsError, Call, intercept
from sandbox.fakes._s3 import looks_like_image, read_object

METADATA_KEY = "sandbox-labels"
LABEL_MODEL_VERSION = "3.0"
DEFAULT_MIN_CONFIDENCE = 55.0
DEFAULT_CONFIDENCE = 99.0


def _names(items: Any) -> list[dict[str, str]]:
    return [{"Name": str(item["Name"] if isinstance(item, dict) else item)} for item in items or []]


def parse_labels(raw: str | None) -> list[dict[str, Any]]:
    """Labels in the response shape from the metadata value."""
    if not raw or not raw.strip():
        return []
    text = raw.strip()
    entries: list[Any] = json.loads(text) if text.startswith("[") else [n.strip() for n in text.split(",")]
    labels = []
    for entry in entries:
        spec = entry if isinstance(entry, dict) else {"Name": entry}
        if not spec.get("Name"):
            continue
        labels.append(
            {
                "Name": str(spec["Name"]),
                "Confidence": float(spec.get("Confidence", DEFAULT_CONFIDENCE)),
                "Instances": [],
                "Parents": _names(spec.get("Parents")),
                "Aliases": _names(spec.get("Aliases")),
                "Categories": _names(spec.get("Categories")),
            }
        )
    return labels


class DetectLabelsFake:
    """DetectLabels for `Image.S3Object` (labels from metadata) and `Image.Bytes` (no labels)."""

    def __init__(self) -> None:
        self._ctx: FakeContext | None = None

    def register(self, events: Any, ctx: FakeContext) -> None:
        self._ctx = ctx
        intercept(events, "rekognition", "DetectLabels", self._detect_labels)

    def _detect_labels(self, call: Call) -> dict[str, Any]:
        assert self._ctx is not None
        image = call.params.get("Image") or {}
        if "S3Object" in image:
            doc = read_object(
                self._ctx.account_id,
                call.region or self._ctx.region,
                image["S3Object"],
                "InvalidS3ObjectException",
            )
            name, content_type, body, raw = (
                doc.key,
                doc.content_type,
                doc.body,
                doc.metadata.get(METADATA_KEY),
            )
        else:
            name, content_type, body, raw = "", "", bytes(image.get("Bytes", b"")), None
        if not looks_like_image(name, content_type, body):
            raise AwsError("InvalidImageFormatException", "Request has invalid image format")
        try:
            labels = parse_labels(raw)
        except (json.JSONDecodeError, TypeError, ValueError) as error:
            raise AwsError(
                "InvalidParameterException", f"sandbox: bad {METADATA_KEY} metadata: {error}"
            ) from None
        min_confidence = float(call.params.get("MinConfidence", DEFAULT_MIN_CONFIDENCE))
        labels = sorted(
            (x for x in labels if x["Confidence"] >= min_confidence), key=lambda x: -x["Confidence"]
        )
        if "MaxLabels" in call.params:
            labels = labels[: int(call.params["MaxLabels"])]
        return {"Labels": labels, "LabelModelVersion": LABEL_MODEL_VERSION}
