"""Shared by the account application checks: the failure shape, and the named errors that carry it.

A check that finds problems raises its named error (`IdentityInvalid`, `AddressInvalid`) with a
JSON list of every failure as the message. The state machine catches the error by name and turns
the list into the rejection's reasons: a rejection is an outcome, not a failed execution.

Failures name fields and rule codes only, never the values: they end up in the API response,
in the notification and in Step Functions' error events, none of which may hold personal data
that the applicant did not send in that very request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from pydantic import BaseModel, ConfigDict, ValidationError

Model = TypeVar("Model", bound=BaseModel)


class Failure(BaseModel):
    """One failed rule of one check."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    check: str
    field: str
    code: str
    message: str


class CheckFailed(Exception):
    """Base of the named check errors: the message is the JSON list of failures."""

    def __init__(self, failures: list[Failure]) -> None:
        self.failures = failures
        super().__init__(json.dumps([f.model_dump() for f in failures]))


class IdentityInvalid(CheckFailed):
    """The applicant's name, date of birth or e-mail address fails a rule."""


class AddressInvalid(CheckFailed):
    """The applicant's address fails a rule."""


_PYDANTIC_CODES = {
    "missing": "REQUIRED",
    "string_type": "WRONG_TYPE",
    "dict_type": "WRONG_TYPE",
    "model_type": "WRONG_TYPE",
    "extra_forbidden": "NOT_ALLOWED",
    "string_too_short": "TOO_SHORT",
    "string_too_long": "TOO_LONG",
    "string_pattern_mismatch": "INVALID_FORMAT",
}


def shape_failures(check: str, error: ValidationError, prefix: str = "") -> list[Failure]:
    """pydantic's errors as failures: field path and rule, without the rejected value."""
    failures = []
    for item in error.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in item["loc"]) or "application"
        failures.append(Failure(check=check, field=prefix + field,
                                code=_PYDANTIC_CODES.get(item["type"], "INVALID"), message=item["msg"]))
    return failures


def as_object(event: Any) -> dict[str, Any]:
    """The event when it is a JSON object, else an empty one (every field then fails as missing)."""
    return event if isinstance(event, dict) else {}


def run_check(event: Any, model: type[Model], rules: Callable[[Model], list[Failure]],
              error: type[CheckFailed], check: str, prefix: str = "") -> dict[str, Any]:
    """Parse `event` into `model`, apply `rules`; raise `error` with every failure, shape or rule.

    A malformed event (missing field, wrong type) is a rejection like a broken rule: the
    applicant gets the list either way, and the state machine catches one named error.
    """
    try:
        parsed = parse(event=as_object(event), model=model)
    except ValidationError as exc:
        raise error(shape_failures(check, exc, prefix)) from None
    failures = rules(parsed)
    if failures:
        raise error(failures)
    return {"check": check, "failures": []}


def reported(check: str, run: Callable[[], dict[str, Any]], *, logger: Logger, metrics: Metrics,
             accepted_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a check, counting `<Check>Accepted`/`<Check>Rejected` and logging failure codes only."""
    metric = check.capitalize()
    try:
        result = run()
    except CheckFailed as failed:
        metrics.add_metric(name=f"{metric}Rejected", unit=MetricUnit.Count, value=1)
        logger.info(f"{check} rejected", extra={"codes": sorted({f.code for f in failed.failures}),
                                                "failures": len(failed.failures)})
        raise
    metrics.add_metric(name=f"{metric}Accepted", unit=MetricUnit.Count, value=1)
    logger.info(f"{check} accepted", extra=accepted_extra or {})
    return result
