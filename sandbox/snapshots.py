"""Provisioned resources kept per process: a sandbox whose provisioning makes the same calls again restores them.

Creating a template's resources (~40 CreateBucket, CreateTable, CreateStateMachine... calls through
botocore and moto's response layer) is most of a sandbox's start: ~60 ms of ~66 ms for this
repository's template. A test suite starts the same template hundreds of times in one process
(the `sandbox` fixture is fresh for every test), and moto's backends are reset at every start, so
what those calls build is the same every time: it depends only on the calls. So:

* the provisioner first runs against a recorder that only notes each call (service, operation,
  parameters), which costs what reading the template costs;
* when the same calls, in the same order, were made before in this process, each moto backend
  they left state in is restored to a copy of that state (deep-copied: the restored resources
  share nothing with the kept ones, nor with an earlier sandbox);
* otherwise the calls are made for real, and the state they leave is kept for the next start.

A lock or condition in a backend's state (moto's SQS queues hold one each) is copied as a new one. A
backend whose state cannot be copied otherwise is rebuilt by making that service's calls again, in their
order. On unless `SANDBOX_SNAPSHOTS=0` (then every call is made every time). Only the last few
provisionings are kept (`KEPT`).

Seeding a sandbox right after its start (`Sandbox.seed`: six PutObject calls are a third of a seeded
start) is kept the same way: the same objects file seeded into the same provisioning, with no call made
in between, leaves the same S3 objects and DynamoDB items, restored from a copy (each object made now,
as a PutObject now would make it). What a seed gives fakes (projects, completed restores) is made every
time, on top of them.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from moto.core.base_backend import BackendDict

from sandbox.provision import Provisioner
from sandbox.session import shared_client

SWITCH: Final[str] = "SANDBOX_SNAPSHOTS"
KEPT: Final[int] = 8
"""Provisionings kept per process (a suite starts a handful of templates again and again)."""

Call = tuple[str, str, str]
"""(service, operation, parameters as canonical JSON)."""
BackendKey = tuple[BackendDict[Any], str, str]
"""(moto's registry of a service's backends, account, region or partition)."""
Provisioned = tuple[str, tuple[Call, ...]]
"""What a kept provisioning is known by: (region, its calls)."""


@dataclass(frozen=True)
class _Snapshot:
    backends: dict[BackendKey, Any]
    """The backends the calls left state in, copied right after them."""
    replayed: tuple[Call, ...]
    """Calls of services whose backend could not be copied: made again at every restore."""


_kept: OrderedDict[Provisioned, _Snapshot] = OrderedDict()
_seeds: OrderedDict[tuple[Provisioned, str], _Snapshot] = OrderedDict()
"""By provisioning and seed (the objects file's text): the backends the seed left."""
_lock = threading.Lock()


def enabled() -> bool:
    """On unless SANDBOX_SNAPSHOTS=0 (every start then makes every call: to compare, or to rule snapshots out)."""
    return os.environ.get(SWITCH, "1") != "0"


def provision(provisioner: Provisioner) -> Provisioned | None:
    """`provisioner.provision()`, from a kept snapshot when the same calls built one before in this process.

    Returns what the provisioning is kept as, for `seed`; None when it is not kept, or when it is the process's
    first (a process that starts one sandbox, as the CLI, has no use for a copy of its seed either)."""
    if not enabled():
        provisioner.provision()
        return None
    region = provisioner.stack.region
    with _lock:
        anything_kept = bool(_kept)
    # Nothing kept (a process's first sandbox, the CLI's only one): no snapshot can match, so no dry run
    # (~60-90 ms in a new process) to find one.
    if anything_kept:
        trial = _Recording(provisioner.stack, None)
        try:
            trial.provision()
        except Exception:  # the real provisioning names what is wrong (or reads what a dry run cannot answer)
            provisioner.provision()
            return None
        key = (region, tuple(trial.calls))
        with _lock:
            kept = _kept.get(key)
            if kept is not None:
                _kept.move_to_end(key)
        if kept is not None:
            _restore(kept, region)
            _adopt(provisioner, trial)
            return key
    before = _backends()
    real = _Recording(provisioner.stack, region)
    real.provision()
    _adopt(provisioner, real)
    snapshot = _take(before, real.calls)
    if snapshot is None:
        return None
    key = (region, tuple(real.calls))
    with _lock:
        _kept[key] = snapshot
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return key if anything_kept else None


SEED_OBJECTS_KEPT: Final[int] = 200
"""Seeds of more objects and items are made every time: kept, each object would be copied twice (kept, restored),
which costs about what making it on moto's backend costs (`seeding.put_like_first`, how a counted entry is made),
and a process that seeds once (the CLI; a 10,000-object story) would pay the copy for nothing."""


def seed(provisioned: Provisioned | None, seed_key: str, services: tuple[str, ...], apply: Callable[[], None]) -> None:
    """`apply()`, a seed that writes to `services` only (S3 objects, DynamoDB items: their events go to the
    sandbox's router, muted while it seeds), made right after a provisioning kept as `provisioned`, with no call in
    between: from a kept copy of what the same seed (`seed_key`) left after the same provisioning, when there is
    one (restored objects are made now, as `apply` would make them)."""
    if provisioned is None or not enabled() or _holds_data(services):
        apply()
        return
    key = (provisioned, seed_key)
    with _lock:
        kept = _seeds.get(key)
        if kept is not None:
            _seeds.move_to_end(key)
    if kept is not None:
        _restore(kept, provisioned[0])
        _objects_made_now(kept)
        return
    before = _backends()
    apply()
    snapshot = _take(before, [(service, "", "") for service in services])
    if snapshot is not None and not snapshot.replayed:
        _untracked(snapshot)
        with _lock:
            _seeds[key] = snapshot
            while len(_seeds) > KEPT:
                _dispose(_seeds.popitem(last=False)[1])


def forget() -> None:
    """Drop every kept snapshot (a test that changes what moto builds from the same calls)."""
    with _lock:
        _kept.clear()
        for snapshot in _seeds.values():
            _dispose(snapshot)
        _seeds.clear()


class _Recording(Provisioner):
    """A provisioner that notes its calls; with a region it also makes them (without: a dry run)."""

    def __init__(self, stack: Any, region: str | None) -> None:
        super().__init__(stack)
        self.calls: list[Call] = []
        self._region = region

    def client(self, service: str) -> Any:
        return _Client(service, self.calls, shared_client(self._region, service) if self._region else None)


class _Client:
    def __init__(self, service: str, calls: list[Call], real: Any) -> None:
        self._service, self._calls, self._real = service, calls, real

    def __getattr__(self, operation: str) -> Any:
        def call(**parameters: Any) -> Any:
            self._calls.append((self._service, operation, json.dumps(parameters, sort_keys=True, default=str)))
            return getattr(self._real, operation)(**parameters) if self._real is not None else {}

        return call


def _adopt(provisioner: Provisioner, done: Provisioner) -> None:
    """What provisioning tells the sandbox (functions, state machines, skipped resources), into its provisioner."""
    provisioner.functions.update(done.functions)
    provisioner.state_machines.update(done.state_machines)
    provisioner.skipped = done.skipped


def _backends() -> dict[BackendKey, Any]:
    with _lock_moto():
        return {
            (registry, account, region): backend
            for registry in list(BackendDict._instances)  # type: ignore[misc]
            for account, region, backend in registry.iter_backends()
        }


def _lock_moto() -> Any:
    from moto.core.base_backend import backend_lock

    return backend_lock


_LOCK_TYPES: Final[tuple[type, ...]] = (type(threading.Lock()), type(threading.RLock()))


def _new_condition(condition: threading.Condition, memo: dict[int, Any]) -> threading.Condition:
    """A condition's copy: a new one over a new lock of the same kind (its bound methods are the lock's)."""
    lock = condition._lock  # type: ignore[attr-defined]
    return threading.Condition(copy.deepcopy(lock, memo))


@contextlib.contextmanager
def _fresh_locks() -> Iterator[None]:
    """While it lasts, a deep copy of a lock or a condition is a new one, free (moto's SQS queues hold one)."""
    copiers: dict[type, Any] = {kind: (lambda lock, memo, kind=kind: kind()) for kind in _LOCK_TYPES}
    copiers[threading.Condition] = _new_condition
    dispatch = copy._deepcopy_dispatch  # type: ignore[attr-defined]
    saved = {kind: dispatch.get(kind) for kind in copiers}
    dispatch.update(copiers)
    try:
        yield
    finally:
        for kind, handler in saved.items():
            if handler is None:
                dispatch.pop(kind, None)
            else:
                dispatch[kind] = handler


def _take(before: dict[BackendKey, Any], calls: list[Call]) -> _Snapshot | None:
    """A copy of every backend the calls created or may have changed; None when one cannot be kept."""
    called = {service for service, _, _ in calls}
    kept: dict[BackendKey, Any] = {}
    replayed: set[str] = set()
    for key, backend in _backends().items():
        registry = key[0]
        if key in before and registry.service_name not in called:
            continue  # there before the calls and none of them was to its service: nothing they built
        try:
            with _fresh_locks():
                copy.deepcopy(backend)  # a trial: a copy that fails half-way must not be shared with the others
        except Exception:  # whatever deepcopy refuses (a lock, a file): this backend is rebuilt by its calls
            if registry.service_name not in called:
                return None  # changed by another service's calls, and no calls of its own to rebuild it
            replayed.add(registry.service_name)
            continue
        kept[key] = backend
    # One copy of all: a reference from one backend's state to another's stays a reference between the copies.
    with _fresh_locks():
        copies = dict(zip(kept, copy.deepcopy(list(kept.values())), strict=True))
    return _Snapshot(copies, tuple(call for call in calls if call[0] in replayed))


def _restore(snapshot: _Snapshot, region: str) -> None:
    """Each kept backend's state, copied into the backend moto uses now (created if it does not exist yet)."""
    memo: dict[int, Any] = {}
    targets = []
    for (registry, account, region_name), kept in snapshot.backends.items():
        target = registry[account][region_name]
        memo[id(kept)] = target  # references to the backend inside its state point at the live one
        targets.append((target, kept))
    for target, kept in targets:
        with _fresh_locks():
            state = copy.deepcopy(kept.__dict__, memo)
        target.__dict__.clear()
        target.__dict__.update(state)
    for service, operation, parameters in snapshot.replayed:
        getattr(shared_client(region, service), operation)(**json.loads(parameters))


def _holds_data(services: tuple[str, ...]) -> bool:
    """Whether a bucket holds an object or a table an item already: written since the provisioning by a client of
    another session, which the sandbox does not see call (its restore would drop them)."""
    for (registry, _account, _region), backend in _backends().items():
        if registry.service_name not in services:
            continue
        if registry.service_name == "s3" and any(len(bucket.keys) or len(bucket.multiparts)
                                                 for bucket in backend.buckets.values()):
            return True
        if registry.service_name == "dynamodb" and any(len(table) for table in backend.tables.values()):
            return True
    return False


def _objects(backends: list[Any]) -> list[Any]:
    """Every S3 object (each version) of these S3 backends."""
    return [version for backend in backends for bucket in backend.buckets.values()
            for _name, versions in bucket.keys.iterlists() for version in versions]


def _s3_backends(snapshot: _Snapshot, *, live: bool) -> list[Any]:
    return [registry[account][partition] if live else kept
            for (registry, account, partition), kept in snapshot.backends.items() if registry.service_name == "s3"]


def _untracked(snapshot: _Snapshot) -> None:
    """The kept objects out of moto's list of every object made: moto closes the file of each one it lists at every
    reset (every sandbox stop), which would leave the kept copies empty."""
    from moto.s3.models import FakeKey

    kept = {id(obj) for obj in _objects(_s3_backends(snapshot, live=False))}
    tracked: list[Any] = getattr(FakeKey, "instances_tracked", [])  # moto's metaclass gives each model class one
    if kept:
        tracked[:] = [obj for obj in tracked if id(obj) not in kept]


def _dispose(snapshot: _Snapshot) -> None:
    """Close the files of a kept seed's objects, as moto's reset closes those of the objects it lists."""
    for obj in _objects(_s3_backends(snapshot, live=False)):
        obj.dispose()


atexit.register(forget)  # the kept objects' files closed while Python still can (their finalizers complain later)


def _objects_made_now(snapshot: _Snapshot) -> None:
    """Every S3 object of the restored backends made now (PutObject's LastModified), as the seed made them."""
    from moto.s3 import models

    now = models.utcnow()
    for obj in _objects(_s3_backends(snapshot, live=True)):
        obj.last_modified = now
