"""Heartbeats as AWS counts them, and named as AWS names them.

moto reports a missed heartbeat as `States.Timeout`; AWS reports
`States.HeartbeatTimeout`, so a Catch can tell "the worker went silent" from
"the task took too long". And each heartbeat window must run from the last
heartbeat (or the task's start), not from whenever moto's waiting thread gets
round to waiting again — on the virtual clock, that gap can be hours.
"""

from __future__ import annotations

from typing import Any

from sandbox import clock as clock_module
from sandbox.moto_fixes.subclasses import with_subclasses

_installed = False


def _patch_windows() -> None:
    from moto.stepfunctions.parser.asl.eval.callback import callback

    endpoint_init = callback.CallbackEndpoint.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        endpoint_init(self, *args, **kwargs)
        active = clock_module.active()
        # The token exists from the task's start: the first heartbeat window opens here.
        self._sandbox_created = active.time() if active else None

    setup = callback.CallbackEndpoint.setup_heartbeat_endpoint

    def setup_heartbeat_endpoint(self: Any, heartbeat_seconds: int) -> Any:
        endpoint = setup(self, heartbeat_seconds)
        endpoint._sandbox_last_beat = getattr(self, "_sandbox_created", None)  # type: ignore[attr-defined]
        return endpoint

    heartbeat_notify = callback.HeartbeatEndpoint.notify

    def notify(self: Any) -> None:
        active = clock_module.active()
        if active is not None:
            self._sandbox_last_beat = active.time()
        heartbeat_notify(self)

    original_wait = callback.HeartbeatEndpoint.clear_and_wait

    def clear_and_wait(self: Any) -> bool:
        active = clock_module.active()
        last = getattr(self, "_sandbox_last_beat", None)
        if active is None or last is None:
            return original_wait(self)
        with self._mutex:
            if self._next_heartbeat_event.is_set():
                self._next_heartbeat_event.clear()
                return True
        # The window's end, not what is left of it: the clock may move before the wait starts.
        return active.wait_for(self._next_heartbeat_event, None, until=last + self._heartbeat_seconds, external=True)

    callback.CallbackEndpoint.__init__ = init
    callback.CallbackEndpoint.setup_heartbeat_endpoint = setup_heartbeat_endpoint
    callback.HeartbeatEndpoint.notify = notify
    callback.HeartbeatEndpoint.clear_and_wait = clear_and_wait


def _patch_error_name() -> None:
    from moto.stepfunctions.parser.api import HistoryEventType, TaskTimedOutEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task
    from moto.stepfunctions.parser.asl.eval.callback.callback import HeartbeatTimeoutError
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    def heartbeat_timed_out(self: Any, env: Any) -> Any:
        details: dict[str, Any] = {"error": StatesErrorNameType.StatesHeartbeatTimeout.to_name()}
        if hasattr(self, "_get_sfn_resource_type"):
            details.update(resourceType=self._get_sfn_resource_type(), resource=self._get_sfn_resource())
        return FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=StatesErrorNameType.StatesHeartbeatTimeout),
            event_type=HistoryEventType.TaskTimedOut,
            event_details=EventDetails(taskTimedOutEventDetails=TaskTimedOutEventDetails(**details)),
        )

    for cls in with_subclasses(state_task.StateTask):
        if "_from_error" not in cls.__dict__:
            continue
        original = cls.__dict__["_from_error"]

        def _from_error(self: Any, env: Any, ex: Exception, _original: Any = original) -> Any:
            if isinstance(ex, HeartbeatTimeoutError):
                return heartbeat_timed_out(self, env)
            return _original(self, env, ex)

        cls._from_error = _from_error


def install() -> None:
    """Heartbeat windows from the last beat, named States.HeartbeatTimeout (idempotent)."""
    global _installed
    if _installed:
        return
    _patch_windows()
    _patch_error_name()
    _installed = True
