"""Each ASL parse keeps its own QueryLanguage scopes.

moto's `Preprocessor` tracks the QueryLanguage (JSONPath or JSONata) of the state being
visited on `_query_language_per_scope`, a list declared on the class: every parse in the
process pushes and pops on the same list. Two definitions parsed at once (each execution
parses on its own thread) interleave there, and a visit that raises leaves its scopes
behind, so every later JSONPath definition in the process is read as JSONata and refused.
On AWS each definition is read on its own: here each `Preprocessor` gets its own list,
so a failed visit takes its scopes with it.
"""

from __future__ import annotations

from typing import Any

_installed = False


def install() -> None:
    """Give every Preprocessor its own scope list (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    init = Preprocessor.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self._query_language_per_scope = []

    Preprocessor.__init__ = __init__
    # Anything still reaching the class-level list would share it again: make that fail loudly.
    Preprocessor._query_language_per_scope = ()  # type: ignore[assignment]
    _installed = True
