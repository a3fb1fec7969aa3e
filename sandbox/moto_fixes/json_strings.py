"""Read every string of a definition as the JSON string it is.

moto's parser takes a string token's text between its quotes as is for most fields
(`Assign` values, error names, paths...), so the escapes stay in: `"Assign": {"q": "\\""}`
stores the two characters `\\"` where AWS stores one quote, and an assigned `"{\\"a\\":1}"`
is no JSON for `States.StringToJson`; an intrinsic function's text keeps them too
(`States.Format('it\\'s')` reaches the intrinsic parser with a doubled backslash). The other
fields go through Python's `ast.literal_eval`, which reads `\\/` as two characters where JSON
reads `/`. Here every string token is decoded
with `json.loads`, as AWS reads the definition.
"""

from __future__ import annotations

import json
from typing import Any

_installed = False


def json_string_value(text: str) -> str:
    """The value of a string token's text (with its quotes); text that is no JSON string stays as it is."""
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        try:
            value = json.loads(text)
        except ValueError:
            return text[1:-1]
        return value if isinstance(value, str) else text[1:-1]
    return text


def _inner_string_of(parser_rule_context: Any) -> str | None:
    """Replacement for `Preprocessor._inner_string_of` (a null token stays None)."""
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLLexer import ASLLexer
    from moto.stepfunctions.parser.asl.antlt4utils.antlr4utils import is_terminal

    if is_terminal(parser_rule_context, ASLLexer.NULL):
        return None
    return json_string_value(parser_rule_context.getText())


def _from_string_literal(parser_rule_context: Any) -> str | None:
    """Replacement for `antlr4utils.from_string_literal`."""
    return json_string_value(parser_rule_context.getText())


def _visit_intrinsic_function(self: Any, ctx: Any) -> Any:
    """Replacement for `Preprocessor.visitString_intrinsic_function`: the function's text decoded too."""
    from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringIntrinsicFunction
    from moto.stepfunctions.parser.asl.parse.intrinsic.intrinsic_parser import IntrinsicParser

    derivation = json_string_value(ctx.STRINGINTRINSICFUNC().getText())
    function, _ = IntrinsicParser.parse(derivation)
    return StringIntrinsicFunction(intrinsic_function_derivation=derivation, function=function)


def install() -> None:
    """Decode string tokens as JSON in moto's parser (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.antlt4utils import antlr4utils
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    from sandbox.moto_fixes.rebind import rebind

    Preprocessor._inner_string_of = staticmethod(_inner_string_of)
    Preprocessor.visitString_intrinsic_function = _visit_intrinsic_function
    rebind("from_string_literal", antlr4utils.from_string_literal, _from_string_literal,
           ("moto.stepfunctions.parser.asl.parse.preprocessor",))
    antlr4utils.from_string_literal = _from_string_literal
    _installed = True
