"""A new DynamoDB item is measured with a running total (`sandbox.moto_fixes.dynamodb_item_size`): the same item,
or the same ItemSizeTooLarge, as moto's attribute-by-attribute re-measuring."""

from __future__ import annotations

from typing import Any

import pytest
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from sandbox.moto_fixes import dynamodb_item_size

BIG = "x" * 200_000


def _built(init: Any, attrs: dict[str, Any]) -> Any:
    item = Item.__new__(Item)
    try:
        init(item, DynamoType({"S": "pk"}), None, attrs)
    except ItemSizeTooLarge:
        return "ItemSizeTooLarge"
    return {key: (type(value).__name__, value.to_json()) for key, value in item.attrs.items()}, type(item.attrs)


@pytest.mark.parametrize("attrs", [
    {},
    {"pk": {"S": "a"}, "n": {"N": "12.5"}, "b": {"B": b"\x00\x01"}, "l": {"L": [{"S": "x"}, {"NULL": True}]},
     "m": {"M": {"k": {"SS": ["a", "b"]}}}, "ü": {"BOOL": True}},
    {"one": {"S": BIG}},
    {"one": {"S": BIG}, "two": {"S": BIG}},
    {"one": {"S": BIG}, "two": {"S": BIG}, "three": {"S": "y" * 5_000}},
    {"one": {"S": BIG * 3}},
], ids=["empty", "every type", "half", "two halves", "over by one attribute", "one huge attribute"])
def test_items_are_built_and_refused_as_moto_builds_and_refuses_them(attrs: dict[str, Any]) -> None:
    dynamodb_item_size.install()
    assert _built(Item.__init__, attrs) == _built(dynamodb_item_size.moto_item_init, attrs)


def test_the_limit_is_reached_where_moto_reaches_it() -> None:
    """The largest third attribute moto accepts is accepted, one byte more is refused, by both."""
    dynamodb_item_size.install()

    def item(size: int) -> dict[str, Any]:
        return {"one": {"S": BIG}, "two": {"S": BIG}, "three": {"S": "y" * size}}

    low, high = 0, 10_000  # moto accepts `low`, refuses `high`
    while high - low > 1:
        middle = (low + high) // 2
        refused = _built(dynamodb_item_size.moto_item_init, item(middle)) == "ItemSizeTooLarge"
        low, high = (low, middle) if refused else (middle, high)
    assert _built(Item.__init__, item(low)) != "ItemSizeTooLarge"
    assert _built(Item.__init__, item(high)) == "ItemSizeTooLarge"


def _changed(set_attribute: Any, held: dict[str, Any], key: str, value: Any) -> Any:
    """The item after `set_attribute(key, value)` on an item holding `held`, or the error's name."""
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    attrs = LimitedSizeDict()
    for held_key, held_value in held.items():
        dict.__setitem__(attrs, held_key, DynamoType(held_value))
    try:
        set_attribute(attrs, key, DynamoType(value) if isinstance(value, dict) else value)
    except ItemSizeTooLarge:
        return "ItemSizeTooLarge"
    return {name: held.to_json() if isinstance(held, DynamoType) else held for name, held in attrs.items()}


HELD = {"pk": {"S": "é" * 10}, "n": {"N": "-12.50"}, "b": {"B": b"\x00\x01"}, "bs": {"BS": [b"a"]},
        "ss": {"SS": ["a", "ü"]}, "ns": {"NS": ["1", "22"]}, "l": {"L": [{"S": "x"}, {"NULL": True}]},
        "m": {"M": {"k": {"SS": ["a", "b"]}}}, "t": {"BOOL": True}, "z": {"NULL": True}}


@pytest.mark.parametrize(("held", "key", "value", "refused"), [
    (HELD, "n", {"N": "13"}, False),
    (HELD, "new", {"S": "ß" * 30}, False),
    (HELD, "ss", {"SS": ["a", "b", "c"]}, False),
    (HELD, "plain", "not a DynamoType", False),
    ({"one": {"S": BIG}, "two": {"S": BIG}}, "three", {"S": "y" * 4_989}, False),
    ({"one": {"S": BIG}, "two": {"S": BIG}}, "three", {"S": "y" * 4_990}, True),
    ({"one": {"S": BIG}, "two": {"S": BIG}}, "two", {"N": "1" * 5_000}, True),
    ({"one": {"S": BIG}, "two": {"S": BIG}}, "ü" * 2_497, {"NULL": True}, True),
], ids=["number", "new text", "set", "plain value", "at the limit", "one byte over", "long number", "long key"])
def test_changes_to_an_item_are_measured_as_moto_measures_them(held: dict[str, Any], key: str, value: Any,
                                                                refused: bool) -> None:
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    dynamodb_item_size.install()
    assert LimitedSizeDict.__setitem__ is not dynamodb_item_size.moto_set_attribute
    changed = _changed(LimitedSizeDict.__setitem__, held, key, value)
    assert changed == _changed(dynamodb_item_size.moto_set_attribute, held, key, value)
    assert (changed == "ItemSizeTooLarge") is refused
