"""Copies of state data made for JSON values, not for any Python object.

moto's interpreter copies the data a state reads or writes (its input, each path's result, the
task result) with `copy.deepcopy`, whose memo and dispatch machinery cost about a third of a state
transition. Step Functions data is JSON: dicts, lists, strings, numbers, booleans and null. Those
are copied here by a plain recursion; anything else (moto's own objects) still goes through
`copy.deepcopy`. One difference, which matches AWS better: an object that appears twice in a value
comes out as two separate copies (JSON has no shared references), where `deepcopy` keeps one.

Every state also reads a copy of the program's state (running, with the next state's name; ended;
failed...). `deepcopy` copies such a small object through its generic reduce protocol, a tenth of a
Pass state's time; here its attributes are copied directly: the same copy, names shared (text is
immutable), anything else deep-copied.
"""

from __future__ import annotations

import copy
import sys
from enum import Enum
from types import ModuleType
from typing import Any, Final

_ATOMIC: Final[frozenset[type]] = frozenset({str, int, float, bool, type(None)})
_PREFIX: Final[str] = "moto.stepfunctions.parser.asl."
_installed = False


def json_deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """A deep copy of a JSON value (other objects: `copy.deepcopy`)."""
    kind = type(value)
    if kind in _ATOMIC:
        return value
    if kind is dict:
        return {key: json_deepcopy(item) for key, item in value.items()}
    if kind is list:
        return [json_deepcopy(item) for item in value]
    if issubclass(kind, Enum) and kind.__deepcopy__ is Enum.__deepcopy__:  # an event's type: the member itself
        return value
    return copy.deepcopy(value, memo)


class _CopyModule(ModuleType):
    """`copy` as moto's interpreter modules see it: the same module with `deepcopy` for JSON."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


_copy_for_moto = _CopyModule("copy")
_copy_for_moto.deepcopy = json_deepcopy  # type: ignore[attr-defined]


def copy_attributes(value: Any, memo: dict[int, Any]) -> Any:
    """`copy.deepcopy` of a plain object (a `__dict__`, no `__slots__`): atomic attributes shared, others copied."""
    copied = object.__new__(type(value))
    memo[id(value)] = copied
    for name, attribute in value.__dict__.items():
        copied.__dict__[name] = attribute if type(attribute) in _ATOMIC else copy.deepcopy(attribute, memo)
    return copied


def install() -> None:
    """Give every loaded module of moto's ASL interpreter that imported `copy` this one (idempotent)."""
    global _installed
    if _installed:
        return
    import moto.stepfunctions.parser.models  # noqa: F401  (loads the interpreter's modules)
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramState

    def program_state(self: Environment) -> ProgramState | None:
        state = self._program_state
        return None if state is None else copy_attributes(state, {})

    ProgramState.__deepcopy__ = copy_attributes  # type: ignore[attr-defined]
    Environment.program_state = program_state  # type: ignore[assignment]  # moto types it never None; it can be

    for name, module in list(sys.modules.items()):
        if name.startswith(_PREFIX) and getattr(module, "copy", None) is copy:
            module.copy = _copy_for_moto  # type: ignore[attr-defined]
    _installed = True
