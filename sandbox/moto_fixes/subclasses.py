"""Every class of moto's ASL interpreter below a base class, for fixes that patch each of them.

Several state classes define their own `_from_error` (or other methods a fix wraps), so a fix
has to reach every subclass that is loaded, and every one must be loaded first.
"""

from __future__ import annotations

import importlib
from typing import Final, TypeVar, cast

_TASK_FACTORY_MODULE: Final[str] = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_factory"
)

_Class = TypeVar("_Class", bound=type)


def with_subclasses(root: _Class) -> list[_Class]:
    """`root` and all its subclasses, each once; the Task factory import guarantees every service class is loaded."""
    importlib.import_module(_TASK_FACTORY_MODULE)
    found: list[_Class] = [root]
    for cls in found:
        subclasses = cast("list[_Class]", cls.__subclasses__())
        found.extend(sub for sub in subclasses if sub not in found)
    return found
