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
