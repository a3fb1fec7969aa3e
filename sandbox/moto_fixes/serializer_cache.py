"""moto's response serializer without the lookups it repeats for every member of every response.

moto (5.2.5) turns a backend's result into the response body with a generic serializer: for each
member of each structure (a DynamoDB item has ten per attribute value: S, N, B, SS, NS, BS, M, L,
NULL, BOOL) it builds a context object, instantiates six alias providers, asks each whether it
has an alias for the member and transforms every candidate with `xform_name`, then tries them in
turn. The candidates depend only on the member's shape (and the structure it sits in), its name
and the class of the object being read, so they are computed once per such triple here; the
values are still read from the object each time, in the same order, with moto's own `get_value`,
and the response transformers are applied as before. The body is byte for byte moto's.

A structure held as a plain dict (a DynamoDB AttributeValue: `{"S": "x"}`, one of its ten members)
is written from the members it holds: each member's candidate names are looked up in the dict, in
moto's member order, and only a member found is serialized (moto asks every member for a value and
skips the None ones: the same members, in the same order).

A picker other than moto's default `XFormedAttributePicker` with its default alias providers, or
an object whose attribute lookup can vary per instance (its own `Meta`, `__getattr__`, a custom
`__getattribute__`, a `__class__` other than its type), takes moto's path unchanged; so do a
serializer that reads members its own way (REST protocols) and a member with a dotted candidate name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_installed = False
moto_get_value: Callable[..., Any] | None = None
"""moto's own `ResponseSerializer.get_value`, once installed (to compare against)."""
moto_serialize_structure: Callable[..., Any] | None = None
"""moto's own `ResponseSerializer._serialize_type_structure`, once installed (to compare against)."""


def install() -> None:
    global _installed, moto_get_value, moto_serialize_structure
    if _installed:
        return
    from moto.core import serialize
    from moto.core.utils import MISSING
    from moto.core.utils import get_value as read_value

    original_get_value = moto_get_value = serialize.ResponseSerializer.get_value
    picker_class = serialize.XFormedAttributePicker
    default_providers = serialize.DEFAULT_ALIAS_PROVIDERS
    candidates: dict[tuple[Any, ...], tuple[tuple[str, ...], bool, Any, Any]] = {}
    plain_types: dict[type, bool] = {}

    def is_plain(cls: type) -> bool:
        """Attribute lookup on instances of `cls` is the class's own (nothing per instance but `__dict__`)."""
        plain = plain_types.get(cls)
        if plain is None:
            plain = plain_types[cls] = not any(
                "__getattribute__" in vars(klass) or "__getattr__" in vars(klass)
                for klass in cls.__mro__ if klass.__module__ != "builtins")
        return plain

    def keys_for(picker: Any, value: Any, key: str, shape: Any) -> tuple[tuple[str, ...], bool]:
        """The candidate names moto's picker tries for this member, and whether any is a dotted path."""
        parent = getattr(shape, "parent", None)
        cache_key = (type(value), id(shape), id(parent), key)
        found = candidates.get(cache_key)
        if found is not None and found[2] is shape and found[3] is parent:
            return found[0], found[1]
        keys = tuple(picker.get_possible_keys(serialize.AttributePickerContext(obj=value, key=key, shape=shape)))
        dotted = any("." in possible_key for possible_key in keys)
        candidates[cache_key] = (keys, dotted, shape, parent)  # the shapes held: their ids stay theirs
        return keys, dotted

    def get_value(self: Any, value: Any, key: str, shape: Any) -> Any:
        picker = self._value_picker
        cls = type(value)
        if cls is dict:
            plain_dict = True
        elif not is_plain(cls) or "Meta" in getattr(value, "__dict__", ()) or value.__class__ is not cls:
            return original_get_value(self, value, key, shape)
        else:
            plain_dict = False
        if picker.__class__ is not picker_class or picker.alias_providers is not default_providers:
            return original_get_value(self, value, key, shape)
        keys, dotted = keys_for(picker, value, key, shape)
        found = None
        if plain_dict and not dotted:
            for possible_key in keys:  # moto's get_value on a dict: value[key], or MISSING on KeyError
                found = value.get(possible_key, MISSING)
                if found is not MISSING:
                    break
            else:
                found = None
        else:
            for possible_key in keys:
                found = read_value(value, possible_key, MISSING)
                if found is not MISSING:
                    break
            else:
                found = None
        transformers = picker.response_transformers
        if transformers:
            key_path = f"{'.'.join(self.path)}.{key}"
            for transform_path, transform in transformers.items():
                if key_path.endswith(transform_path):
                    return transform(found)
        return found

    original_structure = moto_serialize_structure = serialize.ResponseSerializer._serialize_type_structure
    moto_member = serialize.ResponseSerializer._serialize_structure_member
    Members = tuple[tuple[str, Any, tuple[str, ...]], ...]
    members: dict[int, tuple[Any, Members | None]] = {}

    def dict_members(picker: Any, shape: Any) -> Members | None:
        """Each member of `shape` with the names it is read from a dict by; None if any name is a dotted path."""
        known = members.get(id(shape))
        if known is not None and known[0] is shape:
            return known[1]
        found: list[tuple[str, Any, tuple[str, ...]]] = []
        for member_key, member_shape in shape.members.items():
            member_shape.parent = shape  # as moto sets it, before the member is read
            keys, dotted = keys_for(picker, {}, member_key, member_shape)
            if dotted:
                members[id(shape)] = (shape, None)  # the shape held: its id stays its own
                return None
            found.append((member_key, member_shape, keys))
        members[id(shape)] = (shape, tuple(found))
        return tuple(found)

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        picker = self._value_picker
        if (type(value) is not dict or type(self)._serialize_structure_member is not moto_member
                or type(self).get_value is not get_value or picker.__class__ is not picker_class
                or picker.alias_providers is not default_providers or picker.response_transformers):
            return original_structure(self, serialized, value, shape, key)
        held = dict_members(picker, shape)
        if held is None:
            return original_structure(self, serialized, value, shape, key)
        wrapper = self.MAP_TYPE() if key else serialized
        for member_key, member_shape, keys in held:
            member_shape.parent = shape  # as moto sets it for every member
            for possible_key in keys:
                if possible_key in value:
                    member_value = value[possible_key]
                    if member_value is not None:
                        self._serialize(wrapper, member_value, member_shape, member_key)
                    break
        if key:
            self._default_serialize(serialized, wrapper, shape, key)
        return None

    serialize.ResponseSerializer.get_value = get_value
    serialize.ResponseSerializer._serialize_type_structure = serialize_structure
    _installed = True


@contextmanager
def moto_own() -> Iterator[None]:
    """moto's own member lookup and structure walk while the block runs (a reference to compare against)."""
    from moto.core import serialize

    installed = serialize.ResponseSerializer.get_value, serialize.ResponseSerializer._serialize_type_structure
    serialize.ResponseSerializer.get_value = moto_get_value  # type: ignore[assignment]
    serialize.ResponseSerializer._serialize_type_structure = moto_serialize_structure  # type: ignore[assignment]
    try:
        yield
    finally:
        serialize.ResponseSerializer.get_value, serialize.ResponseSerializer._serialize_type_structure = installed
