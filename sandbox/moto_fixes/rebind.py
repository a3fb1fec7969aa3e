"""Replace a function everywhere moto's ASL interpreter bound it by name.

`from x import f` copies the reference into each importing module, so patching `x.f` alone
changes nothing for them. The importers are imported first (a module loaded later would
bind the original again), then every loaded module of the interpreter still holding the
original gets the replacement.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from typing import Any

PARSER_PACKAGE = "moto.stepfunctions.parser"


def rebind(name: str, original: Any, replacement: Any, importers: Iterable[str] = ()) -> None:
    """Point `name` at `replacement` in every loaded module of the interpreter that binds `original`."""
    for module_name in importers:
        importlib.import_module(module_name)
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith(PARSER_PACKAGE) and getattr(module, name, None) is original:
            setattr(module, name, replacement)
