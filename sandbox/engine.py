"""Everything the sandbox changes in moto, installed once per process.

Order matters little, but each piece is named here so a moto upgrade shows at
once which fixes exist: see `sandbox/moto_fixes/` (AWS fidelity), `routing`
(EventBridge delivery), `faults` (injection) and `fakes` (missing APIs).
"""

from __future__ import annotations

import importlib
from typing import Any

_installed = False


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError:
        return None


def install() -> None:
    global _installed
    if _installed:
        return
    from sandbox import routing
    from sandbox.moto_fixes import virtual_time

    virtual_time.install()
    fidelity = _optional("sandbox.moto_fixes.fidelity")
    if fidelity is not None and hasattr(fidelity, "install_all"):
        fidelity.install_all()
    jsonata = _optional("sandbox.moto_fixes.jsonata")
    if jsonata is not None and hasattr(jsonata, "install"):
        jsonata.install()
    routing.install()
    faults = _optional("sandbox.faults")
    if faults is not None and hasattr(faults, "install"):
        faults.install(lambda _arn: _current_plan)
    _installed = True


_current_plan: Any = None


def new_fault_plan() -> Any:
    global _current_plan
    faults = _optional("sandbox.faults")
    _current_plan = faults.FaultPlan() if faults is not None and hasattr(faults, "FaultPlan") else None
    return _current_plan


def install_fakes(events: Any, sandbox: Any) -> Any:
    registry = _optional("sandbox.fakes.registry")
    if registry is None or not hasattr(registry, "install_fakes"):
        return None
    from sandbox.fakes import FakeContext

    def emit(event: dict[str, Any]) -> None:
        sandbox.router.put("default", event)

    ctx = FakeContext(clock=sandbox.clock, region=sandbox.region, account_id=sandbox.account_id, emit=emit)
    return registry.install_fakes(events, ctx)


def reset_clients() -> None:
    api = _optional("sandbox.moto_fixes.api")
    if api is not None and hasattr(api, "reset_client_cache"):
        api.reset_client_cache()
