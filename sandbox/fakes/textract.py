"""Textract AnalyzeID, which moto does not implement.

Offline there is no model to read a licence, so the object carries its own answer:
the user metadata `sandbox-id-fields` is a JSON object of normalized field name to
value (a string, or `{"Text": ..., "Confidence": ...}` to exercise low-confidence
paths). Without it the fake reads a fixed, obviously fake sample licence.

The response has the documented shape: one IdentityDocument per page, *every*
normalized field of the document type (AnalyzeID lists undetected ones with empty
text), dates with a NormalizedValue, DocumentMetadata.Pages, AnalyzeIDModelVersion.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from sandbox.fakes import FakeContext
from sandbox.fakes._api import AwsError, Call, intercept
from sandbox.fakes._s3 import looks_like_image, read_object

METADATA_KEY = "sandbox-id-fields"
MODEL_VERSION = "1.0"
DEFAULT_CONFIDENCE = 98.5
EMPTY_CONFIDENCE = 99.0

DRIVER_LICENSE_FIELDS = (
    "FIRST_NAME", "LAST_NAME", "MIDDLE_NAME", "SUFFIX", "CITY_IN_ADDRESS", "ZIP_CODE_IN_ADDRESS",
    "STATE_IN_ADDRESS", "COUNTY", "DOCUMENT_NUMBER", "EXPIRATION_DATE", "DATE_OF_BIRTH", "STATE_NAME",
    "DATE_OF_ISSUE", "CLASS", "RESTRICTIONS", "ENDORSEMENTS", "ID_TYPE", "VETERAN", "ADDRESS",
)  # fmt: skip
"""Normalized fields for US driver's licences, in the order the Textract guide lists them."""

PASSPORT_FIELDS = (
    "FIRST_NAME", "LAST_NAME", "MIDDLE_NAME", "DOCUMENT_NUMBER", "EXPIRATION_DATE", "DATE_OF_BIRTH",
    "PLACE_OF_BIRTH", "DATE_OF_ISSUE", "ID_TYPE", "MRZ_CODE",
)  # fmt: skip
"""Normalized fields for US passports."""

DATE_FIELDS = frozenset({"EXPIRATION_DATE", "DATE_OF_BIRTH", "DATE_OF_ISSUE"})

SAMPLE_LICENCE: dict[str, Any] = {
    "FIRST_NAME": "SAMPLE",
    "LAST_NAME": "SPECIMEN",
    "CITY_IN_ADDRESS": "ANYTOWN",
    "ZIP_CODE_IN_ADDRESS": "00000",
    "STATE_IN_ADDRESS": "WA",
    "DOCUMENT_NUMBER": "SANDBOX-0000",
    "EXPIRATION_DATE": "01/01/2099",
    "DATE_OF_BIRTH": "01/01/1970",
    "STATE_NAME": "WASHINGTON",
    "DATE_OF_ISSUE": "01/01/2020",
    "CLASS": "C",
    "ID_TYPE": "DRIVER LICENSE FRONT",
    "ADDRESS": "123 EXAMPLE ST",
}
"""Used when an object has no `sandbox-id-fields`: clearly not a real person."""

_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%d %b %Y", "%m/%d/%y")


def normalize_date(text: str) -> str | None:
    """`Year-Month-DayTHour:Minute:Second`, as NormalizedValue.Value is documented."""
    cleaned = re.sub(r"\s+", " ", text.strip())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).strftime("%Y-%m-%dT%H:%M:%S")
        except ValueError:
            continue
    return None


def _detection(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        text = str(value.get("Text", ""))
        confidence = float(value.get("Confidence", DEFAULT_CONFIDENCE if text else EMPTY_CONFIDENCE))
    else:
        text = "" if value is None else str(value)
        confidence = DEFAULT_CONFIDENCE if text else EMPTY_CONFIDENCE
    return {"Text": text, "Confidence": confidence}


def identity_fields(values: dict[str, Any]) -> list[dict[str, Any]]:
    """Every normalized field of the document type, then any extra fields given."""
    values = {str(k).upper(): v for k, v in values.items()}
    id_type = str(_detection(values.get("ID_TYPE"))["Text"]).upper()
    names = list(PASSPORT_FIELDS if "PASSPORT" in id_type else DRIVER_LICENSE_FIELDS)
    names += [name for name in values if name not in names]
    fields = []
    for name in names:
        detection = _detection(values.get(name))
        if name in DATE_FIELDS and detection["Text"]:
            normalized = normalize_date(detection["Text"])
            if normalized:
                detection["NormalizedValue"] = {"Value": normalized, "ValueType": "DATE"}
        fields.append({"Type": {"Text": name}, "ValueDetection": detection})
    return fields


class TextractFake:
    """AnalyzeID over S3 objects (or bytes) with fields taken from object metadata."""

    def __init__(self) -> None:
        self.sample_fields: dict[str, Any] = dict(SAMPLE_LICENCE)
        """Fields for documents without `sandbox-id-fields` (and for Bytes documents)."""
        self._ctx: FakeContext | None = None

    def register(self, events: Any, ctx: FakeContext) -> None:
        self._ctx = ctx
        intercept(events, "textract", "AnalyzeID", self._analyze_id)

    def _page_fields(self, page: dict[str, Any], region: str) -> dict[str, Any]:
        assert self._ctx is not None
        if "S3Object" in page:
            doc = read_object(self._ctx.account_id, region, page["S3Object"], "InvalidS3ObjectException")
            name, content_type, body = doc.key, doc.content_type, doc.body
            raw = doc.metadata.get(METADATA_KEY)
        else:
            name, content_type, body, raw = "", "", bytes(page.get("Bytes", b"")), None
        if not looks_like_image(name, content_type, body):
            raise AwsError("UnsupportedDocumentException", "Request has unsupported document format")
        if raw is None:
            return self.sample_fields
        try:
            values = json.loads(raw)
        except json.JSONDecodeError:
            values = None
        if not isinstance(values, dict):
            raise AwsError("BadDocumentException", f"sandbox: metadata {METADATA_KEY} is not a JSON object")
        return values

    def _analyze_id(self, call: Call) -> dict[str, Any]:
        assert self._ctx is not None
        region = call.region or self._ctx.region
        pages = call.params.get("DocumentPages") or []
        documents = [
            {
                "DocumentIndex": index,
                "IdentityDocumentFields": identity_fields(self._page_fields(page, region)),
            }
            for index, page in enumerate(pages, start=1)
        ]
        return {
            "IdentityDocuments": documents,
            "DocumentMetadata": {"Pages": len(pages)},
            "AnalyzeIDModelVersion": MODEL_VERSION,
        }
