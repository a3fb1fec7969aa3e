"""CheckAddress task: the applicant's postal address.

Input: the application's ``address`` object ``{"line1", "line2"?, "city", "postcode", "country"}``.
Returns ``{"check": "address", "failures": []}`` or raises ``AddressInvalid`` with every failure:
a country the service does not operate in (``SUPPORTED_COUNTRIES``), a postcode that is not in the
country's format, a PO box (accounts need a residential address), or a malformed object.

Nothing personal is logged: only the failure codes and the country.
"""

from __future__ import annotations

import os
import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.parser import BaseModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from checks import AddressInvalid, Failure, reported, run_check
from pydantic import ConfigDict

logger = Logger()
tracer = Tracer()
metrics = Metrics()

CHECK = "address"
POSTCODES: dict[str, re.Pattern[str]] = {
    "GB": re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$", re.I),
    "IE": re.compile(r"^[A-Z]\d[\dW] ?[A-Z\d]{4}$", re.I),
    "US": re.compile(r"^\d{5}(?:-\d{4})?$"),
    "DE": re.compile(r"^\d{5}$"),
    "FR": re.compile(r"^\d{5}$"),
}
"""Postcode formats of the countries the suite knows; SUPPORTED_COUNTRIES picks among them."""
PO_BOX = re.compile(r"\b(?:P\.?\s*O\.?\s*Box|Post\s*Office\s*Box|Postfach|Boîte\s*postale)\b", re.I)


class Address(BaseModel):
    """Types only: every field is checked by `failures_of`, so that one missing field hides no other failure."""

    model_config = ConfigDict(extra="forbid", strict=True)

    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    postcode: str | None = None
    country: str | None = None


LIMITS = {"line1": 100, "line2": 100, "city": 60, "postcode": 12}


def failures_of(address: Address, supported: frozenset[str]) -> list[Failure]:
    """Every rule the address breaks (empty: the address passes)."""
    failures: list[Failure] = []
    for field in ("line1", "city", "postcode", "country"):
        if not getattr(address, field):
            failures.append(Failure(check=CHECK, field=f"address.{field}", code="REQUIRED",
                                    message="This field is required."))
    for field, limit in LIMITS.items():
        if len(getattr(address, field) or "") > limit:
            failures.append(Failure(check=CHECK, field=f"address.{field}", code="TOO_LONG",
                                    message=f"Use at most {limit} characters."))
    if not address.country:
        pass
    elif address.country not in supported:
        failures.append(Failure(check=CHECK, field="address.country", code="COUNTRY_NOT_SUPPORTED",
                                message=f"Accounts are opened in {', '.join(sorted(supported))} only."))
    else:
        pattern = POSTCODES.get(address.country)
        if address.postcode and pattern is not None and not pattern.fullmatch(address.postcode.strip()):
            failures.append(Failure(check=CHECK, field="address.postcode", code="POSTCODE_INVALID",
                                    message=f"Not a postcode of {address.country}."))
    if any(PO_BOX.search(line or "") for line in (address.line1, address.line2)):
        failures.append(Failure(check=CHECK, field="address.line1", code="PO_BOX_NOT_ACCEPTED",
                                message="Give a residential address, not a PO box."))
    return failures


def supported_countries() -> frozenset[str]:
    return frozenset(c.strip().upper() for c in os.environ.get("SUPPORTED_COUNTRIES", "GB").split(",") if c.strip())


def check_address(event: Any, supported: frozenset[str]) -> dict[str, Any]:
    return run_check(event, Address, lambda address: failures_of(address, supported), AddressInvalid, CHECK,
                     prefix="address.")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    country = event.get("country") if isinstance(event, dict) else None
    return reported(CHECK, lambda: check_address(event, supported_countries()), logger=logger, metrics=metrics,
                    accepted_extra={"country": country})
