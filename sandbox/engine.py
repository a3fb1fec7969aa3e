"""What the sandbox adds to moto: its fixes, once per process, then per sandbox a fault plan and the fakes.

Every patch of moto is listed once, in `sandbox.moto_fixes.registry`; `fakes` add the APIs
moto lacks.
"""

from __future__ import annotations

import gc
from typing import Any

from sandbox import faults, routing
from sandbox.clock import VirtualClock
from sandbox.fakes import FakeContext
from sandbox.fakes.registry import Fakes, install_fakes
from sandbox.moto_fixes import registry, task_outcome

_current_plan: faults.FaultPlan | None = None


def install() -> None:
    """Patch moto once per process, from the one list of fixes."""
    registry.install_all()


def new_fault_plan(clock: VirtualClock) -> faults.FaultPlan:
    """A fresh plan for a new sandbox; a hung task waits on the virtual clock until its attempt ends."""
    global _current_plan
    plan = faults.FaultPlan()
    plan.on_hang = lambda: clock.wait_for(task_outcome.attempt_ended(), None)
    _current_plan = plan
    # Every sandbox claims the resolver again: engine tests may have pointed it elsewhere.
    task_outcome.use_plans(lambda _execution_arn: _current_plan)
    return plan


def start_fakes(events: Any, clock: VirtualClock, region: str, account_id: str,
                router: routing.EventRouter) -> Fakes:
    ctx = FakeContext(clock=clock, region=region, account_id=account_id,
                      emit=lambda event: router.put("default", event))
    return install_fakes(events, ctx)


YOUNG_COLLECTION_THRESHOLD = 20_000
"""Allocations between two young-generation collections while a sandbox runs (Python's default: 700)."""
_before_freeze: tuple[tuple[int, int, int], bool] | None = None
"""The collector's thresholds and whether it was enabled, before `freeze_provisioned`."""


def freeze_provisioned() -> None:
    """Tune the garbage collector for a running sandbox, once its resources exist.

    What exists now (moto's models, service models, parsed programs, the template's resources)
    lives as long as the sandbox: frozen, no collection scans it again. An execution allocates
    many short-lived objects (events, copies of state data): young collections come less often.
    The collector runs while a sandbox does, even if it was off (the CLI starts with it off: what a
    start allocates lives to the end). `thaw` undoes all of it when the sandbox stops, so what it
    held can be collected.
    """
    global _before_freeze
    gc.freeze()
    if _before_freeze is None:
        _before_freeze = gc.get_threshold(), gc.isenabled()
        gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *_before_freeze[0][1:])
        gc.callbacks.append(_freeze_survivors)
    gc.enable()


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    """After a full collection, freeze what survived it: what a running sandbox keeps, it keeps to the end.

    Ended executions stay in moto with their histories: ten thousand of them are tens of millions of
    objects, which every later full collection would scan again (22 s of a 10,000-object story). Frozen,
    a full collection scans only what came since the last one; `thaw` gives it all back to the collector.
    """
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


def thaw() -> None:
    """The collector as it was before `freeze_provisioned`."""
    global _before_freeze
    gc.unfreeze()
    if _freeze_survivors in gc.callbacks:
        gc.callbacks.remove(_freeze_survivors)
    if _before_freeze is not None:
        thresholds, enabled = _before_freeze
        gc.set_threshold(*thresholds)
        if not enabled:
            gc.disable()
        _before_freeze = None
