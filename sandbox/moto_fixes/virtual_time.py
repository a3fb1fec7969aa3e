"""Run moto's interpreter on the sandbox's virtual clock.

moto waits in real time: Wait states, Retry back-off, TimeoutSeconds and
HeartbeatSeconds all block on `threading.Event.wait`/`time.sleep`, and history
timestamps are wall time. These patches route every one of them through the
active `VirtualClock`, so a 48-hour Wait costs milliseconds and history shows
the virtual timeline (always UTC, as on AWS). With no active clock moto behaves
as it did.
"""

from __future__ import annotations

import datetime as _datetime
import logging
import threading
import time as _time
import types
from typing import Any

from sandbox import clock as clock_module
from sandbox.moto_fixes import inline_task

_installed = False
_local = threading.local()


def _has_no_timeout_of_its_own(state: Any) -> bool:
    timeout = getattr(state, "timeout", None)
    is_default = getattr(timeout, "is_default_value", None)
    return bool(is_default and is_default())


class VirtualDatetime(_datetime.datetime):
    """`datetime.datetime` whose `now()` reads the active virtual clock (UTC)."""

    @classmethod
    def now(cls, tz: _datetime.tzinfo | None = None) -> _datetime.datetime:  # type: ignore[override]
        active = clock_module.active()
        if active is None:
            return _datetime.datetime.now(tz)
        current = active.now()
        # AWS works in UTC: a naive "now" is UTC, never the machine's local zone.
        return current.astimezone(tz) if tz else current.replace(tzinfo=None)

    @classmethod
    def utcnow(cls) -> _datetime.datetime:  # type: ignore[override]
        return cls.now(_datetime.UTC).replace(tzinfo=None)


def _module_with(module: types.ModuleType, **replaced: Any) -> types.ModuleType:
    """A copy of `module` with some of its names replaced, for one of moto's modules to import instead."""
    shim = types.ModuleType(module.__name__)
    shim.__dict__.update(vars(module))
    shim.__dict__.update(replaced)
    return shim


def _datetime_module() -> types.ModuleType:
    return _module_with(_datetime, datetime=VirtualDatetime)


class _VirtualTime(types.ModuleType):
    """Stand-in for the `time` module inside the retrier: back-off sleeps are virtual."""

    def __init__(self) -> None:
        super().__init__("time")
        # Everything else of `time`, but not the two functions this class replaces.
        self.__dict__.update({k: v for k, v in vars(_time).items() if k not in ("sleep", "time")})

    def sleep(self, seconds: float) -> None:
        active = clock_module.active()
        if active is None:
            _time.sleep(seconds)
        else:
            active.sleep(seconds)

    def time(self) -> float:
        active = clock_module.active()
        return _time.time() if active is None else active.time()


class ClockEvent(clock_module.NotifyingEvent):
    """An Event whose timed waits run on virtual time (and whose setting wakes its waiters at once).

    `external` waits are for the outside world (a task token, a heartbeat): the
    clock does not jump to their deadline on its own.
    """

    external_default = False

    def wait(self, timeout: float | None = None) -> bool:
        active = clock_module.active()
        if active is None or timeout is None:
            return super().wait(timeout)
        external = getattr(_local, "external", False) or self.external_default
        started = getattr(_local, "task_started_at", None)
        if started is not None:
            # A task's timeout counts from the task's start, not from when moto begins waiting:
            # the task may already have run (and sent its token) by then.
            return active.wait_for(self, None, until=started + timeout, external=external)
        return active.wait_for(self, timeout, external=external)


class ExternalClockEvent(ClockEvent):
    external_default = True


class HoldingThread(threading.Thread):
    """A thread that evaluates states: it holds the clock from `start()` until it ends.

    The hold is reserved by the starting thread, so no quiet moment falls between
    `start()` and the first thing the new thread does. Its waits on the clock (a Wait
    state, a Retry back-off, a task's end) give the hold back while they wait.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock: clock_module.VirtualClock | None = None

    def start(self) -> None:
        active = clock_module.active()
        if active is not None:
            active.reserve()
            self._clock = active
        super().start()

    def run(self) -> None:
        if self._clock is None:
            return super().run()
        with self._clock.adopted():
            super().run()


class _HandBackEvent(threading.Event):
    """The "all children ended" event of a Map or Parallel state.

    The state's thread gives its hold back while its children run (their waits need the
    clock to move). The last child reserves a hold for it before setting this event, so no
    quiet moment falls between the last child's end and the state's next step.
    """

    def __init__(self, clock: clock_module.VirtualClock) -> None:
        super().__init__()
        self.clock = clock
        self._handed_back = False
        self._lock = threading.Lock()

    def set(self) -> None:
        with self._lock:
            if not self._handed_back and not self.is_set():
                self.clock.reserve()
                self._handed_back = True
        super().set()

    def take_back(self) -> None:
        """The waiting thread holds again: drop the bridging reservation."""
        with self._lock:
            if self._handed_back:
                self.clock.unreserve()
                self._handed_back = False


def _waits_for_children(pool_class: type, wait_name: str) -> None:
    """Make `pool_class`'s wait for its children give the clock back, with a hand-back at the end."""
    init, wait = pool_class.__init__, getattr(pool_class, wait_name)  # type: ignore[misc]

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        active = clock_module.active()
        if active is not None:
            self._termination_event = _HandBackEvent(active)

    def wait_released(self: Any) -> None:
        event = self._termination_event
        if not isinstance(event, _HandBackEvent):
            return wait(self)
        with event.clock.released():
            wait(self)
        event.take_back()

    pool_class.__init__ = __init__  # type: ignore[misc]
    setattr(pool_class, wait_name, wait_released)


def _holding_threads(module: types.ModuleType, name: str = "threading") -> None:
    """Threads `module` starts to evaluate states hold the clock (see HoldingThread)."""
    original = getattr(module, name)
    if original is threading:
        setattr(module, name, _module_with(threading, Thread=HoldingThread))
    else:  # `from threading import Thread`
        setattr(module, name, HoldingThread)


def _patch_state_threads() -> None:
    """Every thread that evaluates states holds the virtual clock; only waits on the clock let go.

    Without this, a quiet moment between two states (a Choice after a Task, a Map item
    starting) could let the clock jump to a later deadline while the execution still runs.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        inline_iteration_component,
        job,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branch_worker, branches_decl
    from moto.stepfunctions.parser.backend import execution_worker

    _holding_threads(execution_worker, "Thread")
    _holding_threads(inline_iteration_component)
    _holding_threads(branch_worker)
    _waits_for_children(job.JobPool, "await_jobs")
    _waits_for_children(branches_decl.BranchWorkerPool, "wait")


def _patch_wait_state() -> None:
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import timestamp, wait_function
    from moto.stepfunctions.parser.asl.eval import environment

    def _wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        active = clock_module.active()
        if active is None or wait_seconds <= 0:
            return original_wait(self, env, wait_seconds)
        # program_state_event is pulsed when the program ends (stopped, failed, timed out): the wait
        # ends early, as on AWS. Any other pulse leaves the state waiting until its deadline, as moto does.
        event, until = env.program_state_event, active.time() + wait_seconds
        while (active.wait_for(event, None, until=until) and env.is_running() and not event.is_set()
               and active.time() < until):
            continue

    original_wait = wait_function.WaitFunction._wait_interval
    wait_function.WaitFunction._wait_interval = _wait_interval
    # Its setter wakes the states waiting on it at once (a plain Event would be polled by each of them).
    environment.threading = _module_with(threading, Event=clock_module.NotifyingEvent)

    def _timestamp_wait_seconds(self: Any, env: Any) -> int:
        self.string.eval(env=env)
        timestamp_str = env.stack.pop()
        target = self._from_timestamp_string(timestamp=timestamp_str)
        if target is None:
            from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
                FailureEventException,
            )

            raise FailureEventException(self._create_failure_event(env, timestamp_str))
        if target.tzinfo is None:
            target = target.replace(tzinfo=_datetime.UTC)
        # Fractional seconds kept: the state leaves exactly at the timestamp, not a moment before.
        return (target - VirtualDatetime.now(_datetime.UTC)).total_seconds()

    timestamp.Timestamp._get_wait_seconds = _timestamp_wait_seconds


def _patch_retry_backoff() -> None:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    retrier_decl.time = _VirtualTime()


def _patch_task_timeouts() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state
    from moto.stepfunctions.parser.asl.eval.callback import callback

    execute_state.threading = _module_with(threading, Event=ClockEvent)

    original = execute_state.ExecutionState._evaluate_with_timeout

    def _evaluate_with_timeout(self: Any, env: Any) -> None:
        # A task that waits for a token or a job waits for the outside world:
        # its TimeoutSeconds deadline is external too.
        resource = getattr(self, "resource", None)
        condition = getattr(resource, "condition", None)
        active = clock_module.active()
        if active is not None and (_has_no_timeout_of_its_own(self) or inline_task.cannot_time_out(self, env)):
            return inline_task.evaluate_inline(self, env)  # nothing to time: no thread to time it on
        previous = (getattr(_local, "external", False), getattr(_local, "task_started_at", None))
        # A state without TimeoutSeconds of its own has no deadline on AWS: moto's stand-in (99999999 s)
        # must never be the clock's next stop, or a quiet moment before a Map item or Parallel branch
        # registers its Wait would jump three years ahead and time the state out.
        _local.external = condition is not None or _has_no_timeout_of_its_own(self)
        _local.task_started_at = active.time() if active else None
        try:
            original(self, env)
        finally:
            _local.external, _local.task_started_at = previous

    execute_state.ExecutionState._evaluate_with_timeout = _evaluate_with_timeout
    # The state's own work holds the clock: its timeout can only fire while it waits on the clock.
    execute_state.Thread = HoldingThread  # type: ignore[misc]
    callback.Event = ExternalClockEvent  # type: ignore[misc]


def _patch_program_threads() -> None:
    """Run a program on its caller's thread, its TimeoutSeconds on the virtual clock.

    moto evaluates every program (an execution, a Map item, a Parallel branch) on a thread
    of its own and joins it, with the program's TimeoutSeconds as a *wall-time* limit.
    Without a limit that thread only adds a hand-over: the caller's hold covers the states.
    With one, the program runs on a holding thread and the caller waits on the clock.
    """
    from moto.stepfunctions.parser.asl.component.program.program import Program

    log = logging.getLogger("moto.stepfunctions.parser")

    def run_states(program: Any, env: Any) -> None:
        try:
            super(Program, program).eval(env)
        except Exception:  # on its own thread, moto's program would end the same way: logged, not raised
            log.exception("program evaluation failed")

    def eval_program(self: Any, env: Any) -> None:
        env.next_state_name = self.start_at.start_at_name
        if self.timeout_seconds is None or clock_module.active() is None:
            return run_states(self, env) if self.timeout_seconds is None else original(self, env)
        ended = ClockEvent()

        def body() -> None:
            try:
                run_states(self, env)
            finally:
                ended.set()

        HoldingThread(target=body, name="sandbox-program", daemon=True).start()
        if not ended.wait(self.timeout_seconds.timeout_seconds):
            env.set_timed_out()

    original = Program.eval
    Program.eval = eval_program


def _patch_timestamps() -> None:
    from moto.stepfunctions import models as sfn_models
    from moto.stepfunctions.parser import models as parser_models
    from moto.stepfunctions.parser.asl.component.state import state
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (
        map_run_record,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl
    from moto.stepfunctions.parser.asl.eval.event import event_manager
    from moto.stepfunctions.parser.backend import execution, state_machine

    shim = _datetime_module()
    modules = (parser_models, execution, state_machine, state, map_run_record, branches_decl,
               event_manager)
    for module in modules:
        module.datetime = shim  # type: ignore[attr-defined]
    # moto.stepfunctions.models imported the class itself, not the module.
    sfn_models.datetime = VirtualDatetime  # type: ignore[misc]


def install() -> None:
    """Route moto's waits and timestamps through the active virtual clock (idempotent)."""
    global _installed
    if _installed:
        return
    _patch_wait_state()
    _patch_retry_backoff()
    _patch_task_timeouts()
    _patch_program_threads()
    _patch_state_threads()
    _patch_timestamps()
    _installed = True

