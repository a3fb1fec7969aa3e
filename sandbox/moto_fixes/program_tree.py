"""Walk a program moto built from a definition, for fixes that mark some of its components.

Some fields AWS accepts never reach moto's parser (the sandbox removes them from the text it
parses) or lose what the fix needs (where a JSONata expression was written): the fix then finds
the components the field belongs to after parsing and gives them what they need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

_PARSER_PACKAGE = "moto.stepfunctions.parser"
T = TypeVar("T")


def components(program: Any) -> Iterator[tuple[Any, str | None]]:
    """Every component of `program` once, with the name of the state it belongs to (None above them)."""
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField

    seen: set[int] = set()
    pending: list[tuple[Any, str | None]] = [(program, None)]
    while pending:
        node, state = pending.pop()
        if node is None or isinstance(node, str | int | float | bool) or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, CommonStateField):
            state = node.name
        yield node, state
        if isinstance(node, Mapping):
            pending.extend((item, state) for item in node.values())
        elif isinstance(node, list | tuple):
            pending.extend((item, state) for item in node)
        elif hasattr(node, "__dict__") and type(node).__module__.startswith(_PARSER_PACKAGE):
            pending.extend((item, state) for item in vars(node).values())


def on_parse(adapt: Callable[[str], tuple[str, T]], mark: Callable[[Any, T], None]) -> None:
    """Wrap moto's parser: `adapt` the definition text (to text it parses, and what the fix keeps
    aside), then `mark` the program built from it with what was kept. Install once per fix."""
    from moto.stepfunctions.parser.asl.parse import asl_parser

    original = asl_parser.AmazonStateLanguageParser.parse

    def parse(definition: str) -> tuple[Any, Any]:
        text, kept = adapt(definition)
        program, tree = original(text)
        if kept:
            mark(program, kept)
        return program, tree

    asl_parser.AmazonStateLanguageParser.parse = staticmethod(parse)
