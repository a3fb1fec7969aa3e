"""Import moto's Batch service only when something uses it.

moto's ASL interpreter imports `moto.batch.utils` for one enum (the Batch job statuses its
`batch:submitJob.sync` integration polls for). Importing a submodule runs its package's
`__init__` first, and `moto.batch`'s imports its models, which import all of `moto.ec2`: over
half a second of every start, for a service few templates call. Here the package `moto.batch`
is created without running its `__init__`; the first read of anything it does not hold yet
(its `batch_backends`, when a Batch call or moto's backend lookup needs it) runs it then.
Importing its submodules (`moto.batch.utils`, `moto.batch.models`) works as before.

Installed before anything imports moto's interpreter (see `sandbox/__init__.py`).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Final

DEFERRED_PACKAGES: Final[frozenset[str]] = frozenset({"moto.batch"})


class _DeferredInit(importlib.abc.Loader):
    """Creates the package with its `__path__` (so submodules import) and runs its `__init__` on first use."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader
        self._lock = threading.RLock()

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        loader, lock = self._loader, self._lock

        def __getattr__(name: str) -> Any:  # PEP 562: only for names the module does not hold yet
            with lock:
                if module.__dict__.get("__getattr__") is __getattr__:
                    del module.__dict__["__getattr__"]
                    loader.exec_module(module)
            try:
                return module.__dict__[name]
            except KeyError:
                raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}") from None

        module.__getattr__ = __getattr__


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in DEFERRED_PACKAGES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or spec.submodule_search_locations is None:
            return spec
        spec.loader = _DeferredInit(spec.loader)
        return spec


_finder = _Finder()


def install() -> None:
    """Defer the `__init__` of DEFERRED_PACKAGES not imported yet (idempotent)."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
