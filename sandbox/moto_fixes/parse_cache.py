"""Parse each ASL definition once per process.

moto lexes and parses a definition with ANTLR when the state machine is created
and again at every StartExecution (~80 ms for a dozen states). The parse tree
depends only on the text, so it is cached; the evaluation components are still
built fresh from it for every execution, so no execution state is shared.
Validation at CreateStateMachine depends only on the text too: a definition that
passed once passes again, so it is checked once per process.
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

    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    validate = StepFunctionsParserBackend._validate_definition
    valid: set[str] = set()

    def validate_once(definition: str) -> None:
        if definition not in valid:
            validate(definition)  # raises InvalidDefinition: a bad definition is never remembered
            valid.add(definition)

    StepFunctionsParserBackend._validate_definition = staticmethod(validate_once)
    _installed = True
