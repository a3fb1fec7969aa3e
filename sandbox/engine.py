"""Everything the sandbox changes in moto, installed once per process.

Each piece is named here so a moto upgrade shows at once which fixes exist:
`moto_fixes/` (AWS fidelity, virtual time, JSONata, and work moto repeats for
nothing), `routing` (EventBridge delivery), `faults` (injection and
MockConfigFile) and `fakes` (missing APIs). The speed fixes change no result:
each says what it saves, and its tests show the behaviour kept.
"""

from __future__ import annotations

import gc
from typing import Any

from sandbox import faults, routing
from sandbox.clock import VirtualClock
from sandbox.fakes import FakeContext
from sandbox.fakes.registry import Fakes, install_fakes
from sandbox.moto_fixes import (
    bucket_policy,
    dispatch_cache,
    distributed_map,
    fidelity,
    heartbeat,
    json_copy,
    jsonata,
    lazy_imports,
    map_pool,
    parse_cache,
    program_cache,
    result_path_cache,
    shared_loader,
    thread_list,
    virtual_time,
)

_installed = False
_current_plan: faults.FaultPlan | None = None


def install() -> None:
    """Patch moto once per process; every patch is inert when no sandbox is active."""
    global _installed
    if _installed:
        return
    # Speed: the same results for less work.
    lazy_imports.install()  # moto.batch (and moto.ec2) on first use; already done by `sandbox/__init__.py`
    parse_cache.install()  # a parse tree per definition text and process
    program_cache.install()  # a validated, preprocessed program per definition text, on disk
    shared_loader.install()  # botocore's data files read once per process
    result_path_cache.install()  # a ResultPath parsed once, not at every state
    json_copy.install()  # state data copied as JSON, not with copy.deepcopy
    thread_list.install()  # ended threads not kept in moto's list
    dispatch_cache.install()  # request dispatch tables built once
    # Fidelity: what AWS does.
    map_pool.install()  # Map workers loop over any number of items (moto recursed once per item)
    virtual_time.install()  # includes inline_task: a Task without TimeoutSeconds runs without a thread of its own
    heartbeat.install()
    bucket_policy.install()
    fidelity.install_all()
    jsonata.install()
    distributed_map.install()
    routing.install()
    _installed = True


def new_fault_plan(clock: VirtualClock) -> faults.FaultPlan:
    """A fresh plan for a new sandbox; a hung task waits on the virtual clock until its attempt ends."""
    global _current_plan
    plan = faults.FaultPlan()
    plan.on_hang = lambda: clock.wait_for(faults.attempt_ended(), None)
    _current_plan = plan
    # Every sandbox claims the resolver again: engine tests may have pointed it elsewhere.
    faults.install(lambda _execution_arn: _current_plan)
    return plan


def start_fakes(events: Any, clock: VirtualClock, region: str, account_id: str,
                router: routing.EventRouter) -> Fakes:
    ctx = FakeContext(clock=clock, region=region, account_id=account_id,
                      emit=lambda event: router.put("default", event))
    return install_fakes(events, ctx)


YOUNG_COLLECTION_THRESHOLD = 20_000
"""Allocations between two young-generation collections while a sandbox runs (Python's default: 700)."""
_default_thresholds: tuple[int, int, int] | None = None


def freeze_provisioned() -> None:
    """Tune the garbage collector for a running sandbox, once its resources exist.

    What exists now (moto's models, service models, parsed programs, the template's resources)
    lives as long as the sandbox: frozen, no collection scans it again. An execution allocates
    many short-lived objects (events, copies of state data): young collections come less often.
    `thaw` undoes both when the sandbox stops, so what it held can be collected.
    """
    global _default_thresholds
    gc.freeze()
    if _default_thresholds is None:
        _default_thresholds = gc.get_threshold()
        gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *_default_thresholds[1:])


def thaw() -> None:
    """The collector as it was before `freeze_provisioned`."""
    global _default_thresholds
    gc.unfreeze()
    if _default_thresholds is not None:
        gc.set_threshold(*_default_thresholds)
        _default_thresholds = None
