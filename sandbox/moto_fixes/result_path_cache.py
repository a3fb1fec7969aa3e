"""ResultPath parsed once per path, not at every state.

moto's `ResultPath` parses its path with jsonpath_ng each time a state applies it, and each
parse builds a new PLY parser: about half the cost of a state transition. The parsed path is the
same every time and jsonpath_ng's `update_or_create` does not change it, so it is parsed once
per process (by the process's one parser, `jsonpath.parse_path`). What the state writes where is
unchanged.
"""

from __future__ import annotations

import functools

_installed = False


def install() -> None:
    """Cache the paths moto's ResultPath parses (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.common.path import result_path

    from sandbox.moto_fixes.jsonpath import parse_path

    result_path.parse = functools.lru_cache(maxsize=4096)(functools.partial(parse_path, extended=False))
    _installed = True

