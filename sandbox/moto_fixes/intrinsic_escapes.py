"""Escapes in intrinsic functions' string literals, as AWS reads them.

Inside `'...'` AWS escapes four characters with a backslash: `\\'`, `\\{`, `\\}` and `\\\\`.
moto keeps the backslashes, so `States.Format('it\\'s {}', $.a)` gave `it\\'s ...`, and an
escaped brace in a Format template (`'\\{\\} {}'`) crashed with a KeyError (States.Runtime):
AWS prints the braces themselves and fills only the unescaped `{}`.
https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

_QUOTE_OR_BACKSLASH: Final = re.compile(r"\\(['\\])")
_FORMAT_PART: Final = re.compile(r"\\([{}\\'])|\{\}")
_installed = False


def unescape_literal(text: str) -> str:
    """A literal's text with `\\'` and `\\\\` read; `\\{` and `\\}` stay for States.Format to read."""
    return _QUOTE_OR_BACKSLASH.sub(lambda match: match.group(1), text)


def format_template(template: str, values: list[str]) -> str:
    """States.Format: each unescaped `{}` takes the next value; `\\{`, `\\}` are the braces themselves."""
    remaining = iter(values)

    def part(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(1)
        value = next(remaining, None)
        if value is None:
            raise ValueError(f"States.Format: the template {template!r} has more {{}} than arguments")
        return value

    return _FORMAT_PART.sub(part, template)


def _unescaping(original: Callable[[Any], str]) -> Callable[[Any], str]:
    def text_of_str(parse_tree: Any) -> str:
        return unescape_literal(original(parse_tree))

    return text_of_str


def _format(self: Any, env: Any) -> None:
    """Replacement for StringFormat._eval_body (same argument handling, AWS's escapes)."""
    self.argument_list.eval(env=env)
    args = env.stack.pop()
    template, values = args[0], [self._to_str_repr(value) for value in args[1:]]
    env.stack.append(format_template(template, values))


def install() -> None:
    """Read intrinsic string escapes as AWS does (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.intrinsic.function.statesfunction.generic.string_format import (
        StringFormat,
    )
    from moto.stepfunctions.parser.asl.parse.intrinsic.preprocessor import Preprocessor

    Preprocessor._text_of_str = staticmethod(_unescaping(Preprocessor._text_of_str))  # type: ignore[assignment]
    StringFormat._eval_body = _format
    _installed = True
