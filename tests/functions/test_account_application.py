"""The account application check functions (identity, address), called as Lambda calls them, under moto.

Neither function calls an AWS service; moto is active so that a call would stay offline. Every
test checks the named error and its JSON list of failures, which the state machine parses, and
that nothing personal reaches the logs.
"""

from __future__ import annotations

import functools
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from moto import mock_aws

from tests.functions.handlers import FakeContext, load_handler, set_environment

ROOT = Path(__file__).resolve().parents[2]
CODE = ROOT / "functions" / "account_application"
EVENTS = ROOT / "events" / "account-application"
AS_OF = "2025-06-15T10:00:00.000Z"


Context = functools.partial(FakeContext, "account-check")


def _load(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return load_handler(monkeypatch, CODE / f"{name}.py", f"account_application_{name}")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    set_environment(monkeypatch, {"MINIMUM_AGE": "18", "SUPPORTED_COUNTRIES": "GB,IE,US"})
    with mock_aws():
        yield


@pytest.fixture
def identity(env: None, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return _load("identity", monkeypatch)


@pytest.fixture
def address(env: None, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return _load("address", monkeypatch)


def application(name: str = "approved") -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())["application"]


def identity_event(**changes: Any) -> dict[str, Any]:
    base = application()
    return {"name": base["name"], "dateOfBirth": base["dateOfBirth"], "email": base["email"], "asOf": AS_OF, **changes}


def logs_of(module: ModuleType) -> io.StringIO:
    """What the function's Powertools logger writes from now on (its handler outlives pytest's captures)."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(module.logger.registered_formatter)
    module.logger.addHandler(handler)
    return buffer


def failures(error: pytest.ExceptionInfo[Exception]) -> list[tuple[str, str, str]]:
    return [(f["check"], f["field"], f["code"]) for f in json.loads(str(error.value))]


# -- identity -------------------------------------------------------------------------------------


def test_a_valid_identity_passes(identity):
    buffer = logs_of(identity)
    assert identity.handler(identity_event(), Context()) == {"check": "identity", "failures": []}
    logs = buffer.getvalue()
    assert "identity accepted" in logs
    for value in identity_event().values():
        if value != AS_OF:
            assert value not in logs


@pytest.mark.parametrize(("changes", "expected"), [
    ({"name": "J4ne"}, [("identity", "name", "NAME_INVALID")]),
    ({"name": " Jane"}, [("identity", "name", "NAME_INVALID")]),
    ({"name": "x" * 101}, [("identity", "name", "NAME_INVALID")]),
    ({"dateOfBirth": "1990-02-30"}, [("identity", "dateOfBirth", "DATE_INVALID")]),
    ({"dateOfBirth": "2026-01-01"}, [("identity", "dateOfBirth", "DATE_IN_FUTURE")]),
    ({"dateOfBirth": "1890-01-01"}, [("identity", "dateOfBirth", "DATE_IMPLAUSIBLE")]),
    ({"dateOfBirth": "2007-06-16"}, [("identity", "dateOfBirth", "UNDER_MINIMUM_AGE")]),
    ({"email": "jane@example"}, [("identity", "email", "EMAIL_INVALID")]),
    ({"email": "jane doe@example.com"}, [("identity", "email", "EMAIL_INVALID")]),
    ({"name": "", "email": ""}, [("identity", "name", "REQUIRED"), ("identity", "email", "REQUIRED")]),
])
def test_each_identity_rule_is_a_named_failure(identity, changes, expected):
    with pytest.raises(identity.IdentityInvalid) as error:
        identity.handler(identity_event(**changes), Context())
    assert failures(error) == expected


def test_eighteen_today_is_old_enough(identity):
    assert identity.check_identity(identity_event(dateOfBirth="2007-06-15"), 18)["failures"] == []


def test_every_identity_failure_is_listed_and_none_is_logged_with_its_value(identity):
    buffer = logs_of(identity)
    event = identity_event(name="J4ne", dateOfBirth="2020-01-01", email="nope")
    with pytest.raises(identity.IdentityInvalid) as error:
        identity.handler(event, Context())
    assert [code for _c, _f, code in failures(error)] == ["NAME_INVALID", "UNDER_MINIMUM_AGE", "EMAIL_INVALID"]
    logs = buffer.getvalue()
    assert "identity rejected" in logs and "UNDER_MINIMUM_AGE" in logs
    assert "J4ne" not in logs and "2020-01-01" not in logs and "nope" not in logs


@pytest.mark.parametrize("event", [None, [], {"name": 5, "asOf": AS_OF}, {**identity_event(), "extra": 1}])
def test_a_malformed_identity_event_is_identity_invalid_with_field_errors(identity, event):
    with pytest.raises(identity.IdentityInvalid) as error:
        identity.handler(event, Context())
    assert failures(error)
    assert all(check == "identity" for check, _f, _c in failures(error))


# -- address --------------------------------------------------------------------------------------


def test_a_valid_address_passes(address):
    buffer = logs_of(address)
    assert address.handler(application()["address"], Context()) == {"check": "address", "failures": []}
    logs = buffer.getvalue()
    assert "address accepted" in logs and "Baker Street" not in logs


@pytest.mark.parametrize(("changes", "expected"), [
    ({"country": "ES"}, [("address", "address.country", "COUNTRY_NOT_SUPPORTED")]),
    ({"postcode": "12345"}, [("address", "address.postcode", "POSTCODE_INVALID")]),
    ({"country": "US", "postcode": "12345-6789"}, []),
    ({"country": "IE", "postcode": "D02 X285"}, []),
    ({"line1": "P.O. Box 12"}, [("address", "address.line1", "PO_BOX_NOT_ACCEPTED")]),
    ({"line2": "Postfach 7"}, [("address", "address.line1", "PO_BOX_NOT_ACCEPTED")]),
    ({"city": "", "line1": "x" * 101}, [("address", "address.city", "REQUIRED"),
                                        ("address", "address.line1", "TOO_LONG")]),
    ({"colour": "blue"}, [("address", "address.colour", "NOT_ALLOWED")]),
    ({"postcode": 12345}, [("address", "address.postcode", "WRONG_TYPE")]),
])
def test_each_address_rule_is_a_named_failure(address, changes, expected):
    event = {**application()["address"], **changes}
    if not expected:
        assert address.handler(event, Context())["failures"] == []
        return
    with pytest.raises(address.AddressInvalid) as error:
        address.handler(event, Context())
    assert failures(error) == expected


def test_supported_countries_come_from_the_environment(address, monkeypatch):
    monkeypatch.setenv("SUPPORTED_COUNTRIES", " ie , fr ")
    assert address.supported_countries() == frozenset({"IE", "FR"})
