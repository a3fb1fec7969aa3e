"""Evaluate ASL JSONPath with the result shapes AWS Step Functions gives.

Step Functions follows Jayway JsonPath: a *definite* path (only names and single
indexes, e.g. `$[0].x`, `$.a[0].b`) yields the value itself, and fails when
absent; an *indefinite* path (wildcard, slice, `..`, filter, several indexes)
yields a list, empty when nothing matches. moto guesses the shape from the
matches instead, so `$.a[0].b` gives `["v"]`, `$.d..a` flattens a single
matching list, and a filter that matches nothing fails with States.Runtime
instead of giving `[]`. moto's ANTLR layer also leaves the JSON escape in
`[?(@.name == \\"x\\")]`, which the JSONPath parser then rejects.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from typing import Any, Final, NamedTuple

from jsonpath_ng import jsonpath as jp
from jsonpath_ng.ext.filter import Filter
from jsonpath_ng.ext.parser import ExtendedJsonPathParser
from jsonpath_ng.parser import JsonPathParser
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

from sandbox.moto_fixes.rebind import rebind

_installed = False
_original_extract_json: Callable[[str, Any], Any] = json_path.extract_json

# Modules that bind `extract_json` by name at import: each needs its own reference replaced.
_CALLERS: Final[tuple[str, ...]] = (
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.intrinsic.argument.argument",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.boolean_equals",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.numeric",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.string_operators",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations.timestamp_operators",
    "moto.stepfunctions.parser.asl.eval.states",
)

_INDEFINITE_NODES: Final[tuple[type, ...]] = (
    jp.Descendants,
    jp.Wildcard,
    jp.Slice,
    jp.Where,
    jp._Union,
    jp._Intersect,
    Filter,
)


def is_definite(node: jp.JSONPath) -> bool:
    """Whether a parsed path names at most one location (Jayway's 'definite path')."""
    if isinstance(node, _INDEFINITE_NODES):
        return False
    if isinstance(node, jp.Index):
        return len(node.indices) == 1
    if isinstance(node, jp.Fields):
        return len(node.fields) == 1 and node.fields[0] != "*"
    if isinstance(node, jp.Child):
        return is_definite(node.left) and is_definite(node.right)
    return True


# A comparison's right operand that is a bare word (`@.name == x`, `@.Name==/eggs/like`): AWS reads it
# as a string, jsonpath_ng only with a deprecation warning (support ends in 2.0).
_BARE_OPERAND: Final[re.Pattern[str]] = re.compile(r"(==|!=|<=|>=|<|>)\s*([A-Za-z_/][^\s)&|]*)")
_KEYWORDS: Final[frozenset[str]] = frozenset({"true", "false", "null"})
_QUOTED: Final[re.Pattern[str]] = re.compile(r"""('[^']*'|"[^"]*")""")


def _quote_bare_word(match: re.Match[str]) -> str:
    operator, word = match.group(1), match.group(2)
    return match.group(0) if word in _KEYWORDS else f"{operator} '{word}'"


def normalise(path: str) -> str:
    """The path jsonpath_ng should parse for an ASL path.

    moto's ANTLR layer leaves the JSON escape in `\\"x\\"`; only `\\"` can appear escaped in a
    JSONPath, so unescape it. Bare-word operands in filters become quoted strings.
    """
    path = path.replace('\\"', '"')
    if "?(" not in path:
        return path
    # Odd pieces are quoted literals: leave `'a == b'` alone.
    pieces = _QUOTED.split(path)
    return "".join(
        piece if index % 2 else _BARE_OPERAND.sub(_quote_bare_word, piece) for index, piece in enumerate(pieces)
    )


class _Compiled(NamedTuple):
    expression: jp.JSONPath
    definite: bool
    names: tuple[str, ...] | None
    """For `$` and `$.a.b`-like paths (the root, then single names): the names, read without jsonpath_ng."""


def _names(node: jp.JSONPath) -> tuple[str, ...] | None:
    """The field names of a path made of the root and single plain names, else None."""
    if type(node) is jp.Root:
        return ()
    if type(node) is jp.Child and type(node.right) is jp.Fields and len(node.right.fields) == 1:
        names = _names(node.left)
        name = node.right.fields[0]
        if names is not None and name != "*" and not node.right._deprecated_wildcard_use:
            return (*names, name)
    return None


_PARSERS: Final[dict[bool, Any]] = {}
_parsers_lock = threading.Lock()


def parse_path(path: str, *, extended: bool = True) -> jp.JSONPath:
    """jsonpath_ng's `ext.parse` (or its plain `parse`), by one parser kept for the process.

    jsonpath_ng's `parse` builds a new PLY parser for every path (loading its tables, reflecting
    its grammar): a millisecond or more a path. A parser keeps nothing from one path to the next,
    but PLY's is not thread-safe: one path at a time.
    """
    with _parsers_lock:
        parser = _PARSERS.get(extended)
        if parser is None:
            parser = _PARSERS[extended] = ExtendedJsonPathParser() if extended else JsonPathParser()
        return parser.parse(path)


@functools.lru_cache(maxsize=4096)
def _compiled(path: str) -> _Compiled:
    """Parse each path once per process."""
    expression = parse_path(normalise(path))
    return _Compiled(expression, is_definite(expression), _names(expression))


_ABSENT: Final = object()


def _read_names(data: Any, names: tuple[str, ...]) -> Any:
    """What jsonpath_ng finds for the root then `names` (a `get` per name, nothing where a value has none)."""
    value = data
    for name in names:
        try:
            value = value.get(name, _ABSENT)
        except (TypeError, AttributeError):
            return _ABSENT
        if value is _ABSENT:
            return _ABSENT
    return value


def extract_json(path: str, data: Any) -> Any:
    """Drop-in for moto's `extract_json` with AWS result shapes.

    Raises moto's NoSuchJsonPathError for a missing definite path, so callers
    keep turning it into States.Runtime exactly where AWS raises it. Most paths in a definition
    (`$`, `$.detail.bucket`) are read here directly: the same value jsonpath_ng finds, without
    the match objects it builds for every step (a tenth of a Pass state's time).
    """
    compiled = _compiled(path)
    if compiled.names is not None and jp.auto_id_field is None:
        value = _read_names(data, compiled.names)
        if value is _ABSENT:
            raise NoSuchJsonPathError(json_path=path, data=data)
        return value
    values = [match.value for match in compiled.expression.find(data)]
    if not compiled.definite:
        return values
    if not values:
        raise NoSuchJsonPathError(json_path=path, data=data)
    return values[0]


def install() -> None:
    """Route every JSONPath evaluation of moto's interpreter through `extract_json` (idempotent)."""
    global _installed
    if _installed:
        return
    rebind("extract_json", _original_extract_json, extract_json, _CALLERS)
    _installed = True
