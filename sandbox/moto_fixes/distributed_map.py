"""Distributed Map states as AWS runs them, on moto 5.2.5's interpreter.

What moto lacks, and what this module restores:

* **Definitions it refuses** (`adapt_definition`): the grammar knows only `"ExecutionType":
  "STANDARD"` and reads `ToleratedFailurePercentage` as a float token, so an AWS-valid
  `"EXPRESS"` or `5` fails to load. The sandbox loads an adapted copy (`STANDARD`, `5.0`);
  the deployed definition stays untouched. Child executions behave the same offline either
  way (the execution type only changes billing and history retention on AWS).
* **ItemReader over `s3:listObjectsV2`**: moto reads the first page only (1,000 objects),
  fails on an empty prefix (no `Contents`), and hands over boto3's shapes (`ETag`, a
  datetime). AWS lists every page and gives each child
  `{"Etag", "Key", "LastModified" (epoch seconds), "Size", "StorageClass"}`.
* **Tolerated failures**: moto counts failed children and then reports the Map Run as
  succeeded whatever the thresholds say. AWS fails the Map Run (and the Map state, with
  `States.ExceedToleratedFailureThreshold`, catchable) when the failed items exceed
  `ToleratedFailureCount` or `ToleratedFailurePercentage` (either one; with neither, any
  failed item does).
* **Child executions**: moto records the children's events in a throwaway event manager.
  On AWS each child is an execution of its own, with its own history (Standard: in the
  API; Express: in CloudWatch Logs). They are kept here, per parent execution
  (`child_executions(execution_arn)`), each with the shape of a sandbox `Run` history, so
  tests can assert on them and `sandbox.coverage` can measure the item processor.
* **One thread per item**: with MaxConcurrency 0 (AWS: up to 10,000 children at once) moto
  starts a thread per item. Here one worker starts, and another each time a child is about to
  wait (see `_Crew`), up to `WORKER_THREADS`; the order children run in is not observable on AWS
  either.

The item reader's JSON and CSV manifests (`s3:getObject` with `ReaderConfig.InputType`)
already work in moto and are covered by tests/sandbox/test_distributed_map.py.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any

from sandbox import clock as clock_module
from sandbox.history import HistoryEvent, as_api_event
from sandbox.moto_fixes import item_batcher
from sandbox.moto_fixes.json_copy import json_deepcopy
from sandbox.moto_fixes.virtual_time import HoldingThread

WORKER_THREADS = 16
"""Most threads one Map Run uses in the sandbox (AWS runs up to MaxConcurrency children at once)."""

EXCEEDED_CAUSE = "The specified tolerated failure threshold was exceeded"

_UNSET = -1
"""Tolerance of a Map state that declares no threshold of that kind."""

_installed = False
_lock = threading.Lock()
_children: dict[str, list[ChildExecution]] = {}


# -- definitions ---------------------------------------------------------------------------------


def adapt_definition(definition: dict[str, Any]) -> dict[str, Any]:
    """A copy of `definition` that moto's grammar loads, with the same meaning offline."""
    adapted = json_deepcopy(definition)
    for _, state in all_states(adapted):
        if state.get("Type") != "Map":
            continue
        config = (state.get("ItemProcessor") or {}).get("ProcessorConfig") or {}
        if config.get("ExecutionType") == "EXPRESS":
            config["ExecutionType"] = "STANDARD"
        percentage = state.get("ToleratedFailurePercentage")
        if isinstance(percentage, int) and not isinstance(percentage, bool):
            state["ToleratedFailurePercentage"] = float(percentage)
    return adapted


def all_states(scope: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every (name, state) of a definition, those of Parallel branches and Map processors included."""
    found = []
    for name, state in (scope.get("States") or {}).items():
        if not isinstance(state, dict):
            continue
        found.append((name, state))
        for branch in state.get("Branches") or []:
            if isinstance(branch, dict):
                found.extend(all_states(branch))
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                found.extend(all_states(state[key]))
    return found


# -- child executions ----------------------------------------------------------------------------


@dataclass
class ChildExecution:
    """One child workflow execution of a Distributed Map (one item)."""

    parent_arn: str
    map_state: str
    index: int
    input: Any
    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    history: list[HistoryEvent] = field(default_factory=list)

    @property
    def path(self) -> list[str]:
        return [e["stateEnteredEventDetails"]["name"] for e in self.history if "stateEnteredEventDetails" in e]


def child_executions(execution_arn: str, map_state: str | None = None) -> list[ChildExecution]:
    """The children an execution's Distributed Map states ran, by state then item index."""
    with _lock:
        found = list(_children.get(execution_arn, ()))
    if map_state is not None:
        found = [c for c in found if c.map_state == map_state]
    return sorted(found, key=lambda c: (c.map_state, c.index))


def forget_children() -> None:
    """Drop every recorded child: `Sandbox` stops with them (one sandbox runs at a time in a process)."""
    with _lock:
        _children.clear()


# -- patches -----------------------------------------------------------------------------------


def _list_all_objects(env: Any, resource_runtime_part: Any, state_credentials: Any) -> None:
    """ItemReader `s3:listObjectsV2`: every page, in the item shape AWS gives children."""
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

    client = boto_client_for(region=resource_runtime_part.region, service="s3", state_credentials=state_credentials)
    parameters = dict(env.stack.pop())
    items: list[dict[str, Any]] = []
    while True:
        page = client.list_objects_v2(**parameters)
        for obj in page.get("Contents", []):
            items.append({"Etag": obj["ETag"], "Key": obj["Key"], "LastModified": int(obj["LastModified"].timestamp()),
                          "Size": obj["Size"], "StorageClass": obj.get("StorageClass", "STANDARD")})
        if not page.get("IsTruncated"):
            break
        parameters["ContinuationToken"] = page["NextContinuationToken"]
    env.stack.append(items)


def _undeclared_tolerance(original: Any) -> Any:
    """StateMap.from_state_props, remembering which thresholds the state leaves out."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.tolerated_failure import (
        ToleratedFailureCountDecl,
        ToleratedFailureCountInt,
        ToleratedFailurePercentage,
        ToleratedFailurePercentageDecl,
    )

    def from_state_props(self: Any, state_props: Any) -> None:
        original(self, state_props)
        if state_props.get(ToleratedFailureCountDecl) is None:
            self.tolerated_failure_count_decl = ToleratedFailureCountInt(_UNSET)
        if state_props.get(ToleratedFailurePercentageDecl) is None:
            self.tolerated_failure_percentage_decl = ToleratedFailurePercentage(float(_UNSET))

    return from_state_props


def _threshold_exceeded(failed: int, total: int, count: int, percentage: float) -> bool:
    if count == _UNSET and percentage == _UNSET:
        return failed > 0
    if count != _UNSET and failed > count:
        return True
    return percentage != _UNSET and total > 0 and failed * 100.0 / total > percentage


def _map_run(self: Any, env: Any, eval_input: Any) -> None:
    """DistributedIterationComponent._map_run with capped threads and the failure thresholds."""
    from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.job import JobPool
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.max_concurrency import (
        DEFAULT_MAX_CONCURRENCY_VALUE,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    items: list[Any] = env.stack.pop()
    record = eval_input.map_run_record
    batcher = getattr(self, item_batcher.ATTRIBUTE, None)
    if batcher is not None:
        items, eval_input = _batched(env, eval_input, items, batcher)
    pool = JobPool(job_program=self._get_iteration_program(), job_inputs=items)
    wanted = len(items) if record.max_concurrency == DEFAULT_MAX_CONCURRENCY_VALUE else record.max_concurrency
    _Crew(lambda: self._create_worker(env=env, eval_input=eval_input, job_pool=pool), pool,
          limit=min(wanted, len(items), WORKER_THREADS)).add()
    pool.await_jobs()  # gives the clock back meanwhile: children's Waits and back-offs move it
    worker_exception = pool.get_worker_exception()
    if worker_exception is not None:
        raise worker_exception
    counts = record.item_counter
    failed = counts.failed.get() + counts.timed_out.get() + counts.aborted.get()
    if _threshold_exceeded(failed, len(items), eval_input.tolerated_failure_count,
                           eval_input.tolerated_failure_percentage):
        name = StatesErrorName(typ=StatesErrorNameType.StatesExceedToleratedFailureThreshold)
        raise FailureEventException(failure_event=FailureEvent(
            env=env, error_name=name, event_type=HistoryEventType.MapRunFailed,
            event_details=EventDetails(mapRunFailedEventDetails=MapRunFailedEventDetails(
                error=name.error_name, cause=EXCEEDED_CAUSE))))
    env.stack.append([job.job_output for job in pool.get_closed_jobs()])


def _batched(env: Any, eval_input: Any, items: list[Any], batcher: item_batcher.ItemBatcher) -> tuple[list[Any], Any]:
    """The batches the children get, and an eval input whose workers leave them as they are.

    AWS applies ItemSelector to each item (with its `$$.Map.Item`) before it batches them.
    """
    state_input = env.stack[-1]
    selector = eval_input.item_selector or eval_input.parameters
    if selector is not None:
        selected = []
        for index, item in enumerate(items):
            frame = env.open_frame()
            try:
                frame.states.context_object.context_object_data["Map"] = {"Item": {"Index": index, "Value": item}}
                frame.states.reset(input_value=state_input)
                frame.stack.append(state_input)
                selector.eval(frame)
                selected.append(frame.stack.pop())
            finally:
                env.close_frame(frame)
        items = selected
    context = env.states.context_object.context_object_data
    limits = batcher.limits(state_input, context)
    batches = item_batcher.batch_items(items, limits, batcher.batch_input(state_input, context))
    plain = copy.copy(eval_input)
    plain.item_selector = plain.parameters = None
    return batches, plain


class _Crew:
    """A Map Run's workers, started as its children need them.

    Children run their states on their worker's thread, holding the clock, and give it back only in
    their waits (a Wait state, a Retry back-off, a task's callback, a nested Map). Threads that only
    compute take turns on one core (the GIL), and sixteen of them spent about a fifth of a restore
    request handing it over. So one worker starts, and another each time a worker is about to give
    the clock back while items are left: as many children run at once as wait at once, up to `limit`,
    and the clock moves only once they all wait, as it did with every worker started at once.
    """

    def __init__(self, make_worker: Any, pool: Any, *, limit: int) -> None:
        self._make_worker = make_worker
        self._pool = pool
        self._left = limit
        self._lock = threading.Lock()

    def add(self) -> None:
        """Start one more worker, unless the limit is reached or no item is left to take."""
        with self._lock:
            if self._left <= 0 or not self._pool._open_jobs:
                return
            self._left -= 1
        worker = self._make_worker()
        HoldingThread(target=self._run, args=(worker,), name="sandbox-map-run-worker", daemon=True).start()

    def _run(self, worker: Any) -> None:
        with clock_module.on_hand_back(self.add):
            worker.eval()


def _recording(original: Any) -> Any:
    """DistributedItemProcessorWorker._eval_job, with each child's history kept as its own."""
    from moto.stepfunctions.parser.api import (
        ExecutionFailedEventDetails,
        ExecutionStartedEventDetails,
        ExecutionSucceededEventDetails,
        HistoryEventType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext, EventManager
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramError
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    def eval_job(self: Any, env: Any, job: Any) -> None:
        parent_arn = env.states.context_object.context_object_data["Execution"]["Id"]
        manager, context = EventManager(), EventHistoryContext.of_program_start()
        env.event_manager, env.event_history_context = manager, context
        manager.add_event(context=context, event_type=HistoryEventType.ExecutionStarted,
                          event_details=EventDetails(executionStartedEventDetails=ExecutionStartedEventDetails(
                              input=to_json_str(job.job_input), inputDetails={"truncated": False},
                              roleArn=env.aws_execution_details.role_arn)))
        original(self, env, job)
        state = env.program_state()
        child = ChildExecution(parent_arn, self._work_name, job.job_index, job.job_input, "SUCCEEDED",
                               output=job.job_output)
        if isinstance(state, ProgramError) or job.job_output is None:
            error = (state.error or {}) if isinstance(state, ProgramError) else {}
            child.status, child.error, child.cause = "FAILED", error.get("error"), error.get("cause")
            details = ExecutionFailedEventDetails(**{k: v for k, v in error.items() if k in ("error", "cause")})
            manager.add_event(context=context, event_type=HistoryEventType.ExecutionFailed,
                              event_details=EventDetails(executionFailedEventDetails=details))
        else:
            manager.add_event(context=context, event_type=HistoryEventType.ExecutionSucceeded,
                              event_details=EventDetails(executionSucceededEventDetails=ExecutionSucceededEventDetails(
                                  output=to_json_str(job.job_output), outputDetails={"truncated": False})))
        # The child's own manager, dropped once read: its events need no defensive deep copy
        # (`get_event_history` makes one per child, and each event is copied into the API shape anyway).
        with manager._mutex:
            events = list(manager._history_event_list)
        child.history = [as_api_event(event) for event in events]
        with _lock:
            _children.setdefault(parent_arn, []).append(child)

    return eval_job


def install() -> None:
    """Patch moto's Distributed Map (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval import resource_eval_s3
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        distributed_iteration_component as distributed,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (
        distributed_item_processor_worker as worker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap

    resource_eval_s3.ResourceEvalS3._handle_list_objects_v2 = staticmethod(_list_all_objects)
    StateMap.from_state_props = _undeclared_tolerance(StateMap.from_state_props)
    distributed.DistributedIterationComponent._map_run = _map_run
    worker.DistributedItemProcessorWorker._eval_job = _recording(worker.DistributedItemProcessorWorker._eval_job)
    _installed = True
