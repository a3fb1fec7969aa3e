"""Shared by the IT provisioning functions: request validation, request IDs, approval codes, audit reads."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from itp_catalogue import CATALOGUE, Product
from pydantic import BaseModel, ConfigDict, Field, ValidationError

MAX_PARAMETERS_BYTES = 2048
"""Serialized `parameters` above this size are refused (no catalogue product needs more)."""
REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,79}$")
"""Request IDs are execution names: the API makes `req-<hex>`, a direct StartExecution any valid name."""


class InvalidRequest(Exception):
    """The request is not valid for the catalogue; `errors` lists every problem by field."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Requester(_Strict):
    id: str = Field(min_length=1, max_length=512)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)


class ProvisioningRequest(_Strict):
    """The execution input (the request API builds it from the caller's identity and the body)."""

    requester: Requester
    product: str = Field(min_length=1, max_length=64)
    parameters: dict[str, Any]
    justification: str = Field(min_length=10, max_length=1000)


class RequestBody(_Strict):
    """POST /requests: the requester's identity comes from IAM, not from the body."""

    product: str = Field(min_length=1, max_length=64)
    parameters: dict[str, Any]
    justification: str = Field(min_length=10, max_length=1000)
    requesterEmail: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)


def field_errors(error: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    return [{"field": prefix + (".".join(str(p) for p in e["loc"]) or "body"), "message": e["msg"]}
            for e in error.errors()]


@dataclass(frozen=True)
class Checked:
    request: ProvisioningRequest
    product: Product
    params: BaseModel

    @property
    def monthly_cost(self) -> float:
        return round(self.product.monthly_cost(self.params), 2)


def check(document: Any) -> Checked:
    """Validate an execution input against the catalogue; InvalidRequest lists every problem."""
    try:
        request = ProvisioningRequest.model_validate(document)
    except ValidationError as error:
        raise InvalidRequest(with_catalogue_errors(error, document)) from None
    return check_product(request)


def catalogue_errors(product_id: Any, parameters: Any) -> list[dict[str, str]]:
    """The catalogue's checks of `product` and the size of `parameters` (only for values of the right type)."""
    errors: list[dict[str, str]] = []
    if isinstance(product_id, str) and product_id and product_id not in CATALOGUE:
        errors.append({"field": "product",
                       "message": f"unknown product {product_id!r}; the catalogue has: {', '.join(CATALOGUE)}"})
    if isinstance(parameters, dict):
        size = len(json.dumps(parameters, separators=(",", ":")))
        if size > MAX_PARAMETERS_BYTES:
            errors.append({"field": "parameters",
                           "message": f"too large: {size} bytes of JSON, at most {MAX_PARAMETERS_BYTES}"})
    return errors


def with_catalogue_errors(error: ValidationError, document: Any) -> list[dict[str, str]]:
    """The model's field errors and the catalogue's, together: an unknown product and a bad field are both
    reported in one answer (a field the model already refused is not reported twice)."""
    errors = field_errors(error)
    if not isinstance(document, dict):
        return errors
    refused = {e["field"] for e in errors}
    return errors + [e for e in catalogue_errors(document.get("product"), document.get("parameters"))
                     if e["field"] not in refused]


def check_product(request: ProvisioningRequest) -> Checked:
    errors = catalogue_errors(request.product, request.parameters)
    product = CATALOGUE.get(request.product)
    if errors:
        raise InvalidRequest(errors)
    # bandit B101: type narrowing; an unknown product raised InvalidRequest above
    assert product is not None  # nosec B101
    try:
        params = product.params.model_validate(request.parameters)
    except ValidationError as error:
        raise InvalidRequest(field_errors(error, "parameters.")) from None
    return Checked(request, product, params)


def request_id(request: ProvisioningRequest) -> str:
    """Deterministic: the same requester asking for the same thing gets the same ID (and execution)."""
    canonical = json.dumps(request.model_dump(mode="json", exclude={"requester": {"email"}}), sort_keys=True,
                           separators=(",", ":"))
    return "req-" + hashlib.sha256(canonical.encode()).hexdigest()[:24]


# -- approval codes ----------------------------------------------------------------------------


def new_code() -> str:
    """A single-use approval code: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def code_hash(code: str) -> str:
    """What the approvals table keeps: SHA-256 is enough for 256-bit random codes (no guessing to slow)."""
    return hashlib.sha256(code.encode()).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


# -- audit trail ---------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """DynamoDB resource values (Decimal, sets) as JSON-ready values."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [plain(v) for v in value]
    return value


def audit_trail(table: Any, request_id: str) -> list[dict[str, Any]]:
    """Every audit record of a request, oldest first; JSON `detail` texts are parsed."""
    from boto3.dynamodb.conditions import Key

    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"KeyConditionExpression": Key("requestId").eq(request_id)}
    while True:
        page = table.query(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    records = []
    for item in items:
        record = plain(item)
        detail = record.get("detail")
        if isinstance(detail, str) and detail[:1] in "{[":
            with contextlib.suppress(json.JSONDecodeError):
                record["detail"] = json.loads(detail)
        records.append(record)
    return records
