"""A PutItem's empty-set check with the table's key attributes read once (`sandbox.moto_fixes.dynamodb_put_checks`)
accepts and refuses what moto's check does, with the same error."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.moto_fixes import dynamodb_put_checks


class _Table:
    """The part of moto's Table the check reads; counts how often its key attributes are built."""

    def __init__(self) -> None:
        self.built = 0

    @property
    def attribute_keys(self) -> list[str]:
        self.built += 1
        return ["pk", "sk"]


ITEMS: list[dict[str, Any]] = [
    {"pk": {"S": "a"}, "sk": {"S": "b"}, "n": {"N": "1"}, "m": {"M": {"l": {"L": [{"S": "x"}]}}}},
    {"pk": {"S": "a"}, "tags": {"SS": []}},
    {"pk": {"S": "a"}, "sizes": {"NS": []}},
    {"pk": {"NS": []}, "ok": {"S": "x"}},
    {"pk": {"S": "a"}, "deep": {"M": {"inner": {"M": {"x": {"SS": []}}}}}},
    {"pk": {"S": "a"}, "first": {"NS": []}, "second": {"SS": []}},
    {"pk": {"S": "a"}, "l": {"L": [{"SS": []}]}},
]


def _outcome(check: Any, item: dict[str, Any], table: Any) -> str:
    try:
        check(item, table)
    except Exception as error:  # the error itself is compared
        return f"{type(error).__name__}: {error}"
    return "accepted"


@pytest.mark.parametrize("item", ITEMS, ids=["plain", "empty SS", "empty NS", "key not checked", "nested",
                                              "first error wins", "inside a list"])
def test_the_check_accepts_and_refuses_as_moto_s_does(item: dict[str, Any]) -> None:
    from moto.dynamodb import responses

    dynamodb_put_checks.install()
    ours = _outcome(responses.validate_put_has_empty_attrs, item, _Table())
    assert ours == _outcome(dynamodb_put_checks.moto_validate_put_has_empty_attrs, item, _Table())
    assert _outcome(responses.validate_put_has_empty_attrs, item, None) == "accepted"


def test_the_key_attributes_are_built_once_per_check() -> None:
    from moto.dynamodb import responses

    dynamodb_put_checks.install()
    table = _Table()
    responses.validate_put_has_empty_attrs(ITEMS[0], table)
    assert table.built == 1
