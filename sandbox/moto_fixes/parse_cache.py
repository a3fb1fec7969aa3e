"""Parse each ASL definition once per process.

moto lexes and parses a definition with ANTLR when the state machine is created
and again at every StartExecution (~80 ms for a dozen states). The parse tree
depends only on the text, so it is cached; the evaluation components are still
built fresh from it for every execution, so no execution state is shared.
"""

from __future__ import annotations

import functools
from typing import Any

_installed = False


def install() -> None:
    """Cache ASL parse trees by definition text (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.parse import asl_parser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    original = asl_parser.AmazonStateLanguageParser.parse

    @functools.lru_cache(maxsize=256)
    def parse_tree(definition: str) -> Any:
        return original(definition)[1]  # raises ASLParserException for a bad definition: not cached

    def parse(definition: str) -> tuple[Any, Any]:
        tree = parse_tree(definition)
        return Preprocessor().visit(tree), tree

    asl_parser.AmazonStateLanguageParser.parse = staticmethod(parse)
    _installed = True
