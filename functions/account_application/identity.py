"""CheckIdentity task: the applicant's name, date of birth and e-mail address.

Input (the state machine passes these fields only): ``{"name", "dateOfBirth", "email", "asOf"}``
where ``asOf`` is the execution's start time (ISO 8601), the day against which the age is counted.
Returns ``{"check": "identity", "failures": []}`` or raises ``IdentityInvalid`` with every failure.

Nothing personal is logged: only the failure codes and the counts.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.parser import BaseModel, Field
from aws_lambda_powertools.utilities.typing import LambdaContext
from checks import Failure, IdentityInvalid, reported, run_check
from pydantic import ConfigDict

logger = Logger()
tracer = Tracer()
metrics = Metrics()

CHECK = "identity"
NAME = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+)*\.?$")
"""Letters of any script, single spaces, apostrophes, hyphens and dots between them."""
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
                   r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
"""The practical subset of RFC 5322 that mail providers accept: a dotted domain with a letter TLD."""
OLDEST_YEARS = 130
MAX_NAME = 100
MAX_EMAIL = 254


class IdentityCheck(BaseModel):
    """Types only: every field is checked by `failures_of`, so that one missing field hides no other failure."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = None
    dateOfBirth: str | None = None
    email: str | None = None
    asOf: str = Field(min_length=10)


def _years_between(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def failures_of(identity: IdentityCheck, minimum_age: int) -> list[Failure]:
    """Every rule the identity breaks (empty: the identity passes)."""
    failures: list[Failure] = []
    for field in ("name", "dateOfBirth", "email"):
        if not getattr(identity, field):
            failures.append(Failure(check=CHECK, field=field, code="REQUIRED", message="This field is required."))
    name, dob, email = identity.name, identity.dateOfBirth, identity.email
    if name and (len(name) > MAX_NAME or not NAME.fullmatch(name)):
        failures.append(Failure(check=CHECK, field="name", code="NAME_INVALID",
                                message=f"Use at most {MAX_NAME} letters, single spaces, apostrophes, "
                                        "hyphens and dots."))
    today = datetime.fromisoformat(identity.asOf.replace("Z", "+00:00")).date()
    try:
        born = date.fromisoformat(dob) if dob and len(dob) == 10 else None
    except ValueError:
        born = None
    if not dob:
        pass
    elif born is None:
        failures.append(Failure(check=CHECK, field="dateOfBirth", code="DATE_INVALID",
                                message="Give a real date as YYYY-MM-DD."))
    elif born > today:
        failures.append(Failure(check=CHECK, field="dateOfBirth", code="DATE_IN_FUTURE",
                                message="The date of birth is in the future."))
    elif _years_between(born, today) > OLDEST_YEARS:
        failures.append(Failure(check=CHECK, field="dateOfBirth", code="DATE_IMPLAUSIBLE",
                                message=f"The applicant would be over {OLDEST_YEARS} years old."))
    elif _years_between(born, today) < minimum_age:
        failures.append(Failure(check=CHECK, field="dateOfBirth", code="UNDER_MINIMUM_AGE",
                                message=f"Applicants must be at least {minimum_age} years old."))
    if email and (len(email) > MAX_EMAIL or not EMAIL.fullmatch(email)):
        failures.append(Failure(check=CHECK, field="email", code="EMAIL_INVALID",
                                message="Give an e-mail address such as name@example.com."))
    return failures


def check_identity(event: Any, minimum_age: int) -> dict[str, Any]:
    return run_check(event, IdentityCheck, lambda identity: failures_of(identity, minimum_age), IdentityInvalid, CHECK)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    minimum_age = int(os.environ.get("MINIMUM_AGE", "18"))
    return reported(CHECK, lambda: check_identity(event, minimum_age), logger=logger, metrics=metrics)
