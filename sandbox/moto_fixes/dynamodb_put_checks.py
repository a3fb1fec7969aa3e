"""A PutItem's empty-set check reads the table's key attributes once, not once per attribute (speed only).

moto's `validate_put_has_empty_attrs` refuses an empty string or number set anywhere in a new item's
non-key attributes, and asks `table.attribute_keys` (a property that rebuilds the list of the
table's and its indexes' key attributes) for every attribute of the item. The list is the same for
the whole check: here it is built once per check; the attributes are checked in the same order, with
the same rule and the same error.
"""

from __future__ import annotations

from typing import Any

_installed = False
moto_validate_put_has_empty_attrs: Any = None
"""moto's own check (what the tests compare the replacement with)."""


def _check_no_empty_set(attribute: dict[str, Any], error_type: type[Exception]) -> None:
    """moto's nested `_validate_attr`: an empty NS or SS here is refused, else each dict below is checked."""
    for set_type, kind in (("NS", "number"), ("SS", "string")):
        if set_type in attribute and attribute[set_type] == []:
            raise error_type("1 validation error detected: One or more parameter values were invalid: "
                             f"An {kind} set  may not be empty")
    for value in attribute.values():
        if isinstance(value, dict):
            _check_no_empty_set(value, error_type)


def install() -> None:
    """Read the key attributes once per check (idempotent)."""
    global _installed, moto_validate_put_has_empty_attrs
    if _installed:
        return
    from moto.dynamodb import responses
    from moto.dynamodb.exceptions import MockValidationException

    moto_validate_put_has_empty_attrs = responses.validate_put_has_empty_attrs

    def validate_put_has_empty_attrs(field_updates: dict[str, Any], table: Any) -> None:
        if table:
            key_attributes = table.attribute_keys
            for name, value in field_updates.items():
                if name not in key_attributes:
                    _check_no_empty_set(value, MockValidationException)

    responses.validate_put_has_empty_attrs = validate_put_has_empty_attrs
    _installed = True
