"""A DynamoDB item's 400 KB limit is checked once per attribute, not by re-measuring the item each time.

moto builds an item attribute by attribute into a `LimitedSizeDict`, whose every insert measures the
whole item so far (each key and each value's size) to check the limit: a ten-attribute PutItem
measures 55 attributes, a sixth of the call. A new item's keys are distinct and sizes are never
negative, so the item so far only grows: a running total, checked after each attribute, raises
ItemSizeTooLarge at the same attribute moto's check does, with the same attributes made before it.

Later changes to an item (UpdateItem's SET and ADD) still re-measure the whole item, as its values can
change in place, but with the two commonest measures (a string's UTF-8 length, a number's digits)
taken inline instead of through DynamoType's chain of type tests: the same sum, the same limit.
"""

from __future__ import annotations

from typing import Any, Final

ITEM_SIZE_LIMIT: Final[int] = 405000
"""moto's limit (AWS documents 400 KB; moto measured the real limit between 409 and 410 KB)."""

_installed = False
moto_item_init: Any = None
"""moto's own `Item.__init__` (what the tests compare the replacement with)."""
moto_set_attribute: Any = None
"""moto's own `LimitedSizeDict.__setitem__` (idem)."""


def install() -> None:
    """Build new items with a running size total, measure changed ones inline (idempotent)."""
    global _installed, moto_item_init, moto_set_attribute
    if _installed:
        return
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models import dynamo_type
    from moto.dynamodb.models.utilities import bytesize

    def __init__(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        self.attrs = dynamo_type.LimitedSizeDict()
        total = 0
        for key, value in attrs.items():
            typed = dynamo_type.DynamoType(value)
            total += bytesize(str(key)) + typed.size()
            if total > ITEM_SIZE_LIMIT:
                raise ItemSizeTooLarge
            dict.__setitem__(self.attrs, key, typed)

    dynamo_type_class = dynamo_type.DynamoType

    def size(value: Any) -> int:
        """What moto's check counts for a value: DynamoType.size(), or the UTF-8 length of its text."""
        if type(value) is not dynamo_type_class:
            return bytesize(str(value))
        held = value.value
        if type(held) is str:
            if value.type == "S":
                return len(held.encode("utf-8"))
            if value.type == "N":
                return len(held)
        return int(value.size())

    def __setitem__(self: Any, key: str, value: Any) -> None:
        measured = bytesize(key) + size(value)
        for held_key, held_value in dict.items(self):
            measured += bytesize(str(held_key)) + size(held_value)
        if measured > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        dict.__setitem__(self, key, value)

    moto_item_init = dynamo_type.Item.__init__
    dynamo_type.Item.__init__ = __init__
    moto_set_attribute = dynamo_type.LimitedSizeDict.__setitem__
    dynamo_type.LimitedSizeDict.__setitem__ = __setitem__
    _installed = True
