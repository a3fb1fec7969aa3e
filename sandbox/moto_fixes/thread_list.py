"""Threads moto's interpreter starts are not kept after they end.

moto appends every thread its interpreter starts (one per execution, Parallel branch, Map worker,
timed task and callback wait) to a module-level list that nothing reads, so each stays referenced
for the life of the process: tens of thousands for a 10,000-object restore. Here that list keeps
nothing; the threads themselves run exactly as before.
"""

from __future__ import annotations

import sys
from typing import Any, Final

_PREFIX: Final[str] = "moto.stepfunctions.parser"
_installed = False


class _KeepsNothing(list):
    """A list whose `append` drops the item (moto only ever appends to it)."""

    def append(self, _item: Any) -> None:
        pass


_forgetful = _KeepsNothing()


def install() -> None:
    """Point every loaded interpreter module's `TMP_THREADS` at a list that keeps nothing (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser import utils

    original = utils.TMP_THREADS
    original.clear()
    for name, module in list(sys.modules.items()):
        if name.startswith(_PREFIX) and getattr(module, "TMP_THREADS", None) is original:
            module.TMP_THREADS = _forgetful  # type: ignore[attr-defined]
    _installed = True
