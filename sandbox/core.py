"""`Sandbox`: the template's workflows, running offline in one process."""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from botocore.hooks import HierarchicalEmitter
from moto import mock_aws
from moto.stepfunctions.parser.api import ExecutionStatus

from sandbox import clock as clock_module
from sandbox import direct_calls as direct_calls_module
from sandbox import lambda_async, param_calls, routing, seeding, session, snapshots, teststate
from sandbox.clock import VirtualClock
from sandbox.fakes.registry import Fakes
from sandbox.faults import FaultPlan
from sandbox.history import HistoryEvent, as_api_event
from sandbox.lambda_async import FailedInvocation
from sandbox.lambdas import LambdaRuntime
from sandbox.moto_fixes import api as api_fixes
from sandbox.moto_fixes import default_session, execution_record
from sandbox.progress import Patience, Snapshot
from sandbox.provision import Provisioner, StateMachine
from sandbox.stack import Stack
from sandbox.teststate.result import TestStateResult, request_for

if TYPE_CHECKING:
    from moto.core.models import MockAWS

_exclusive = threading.Lock()
TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
RECORDERS: list[Callable[[Sandbox, list[Run]], None]] = []
"""Called as each sandbox stops, with every execution it ran (the pytest ASL-coverage plugin listens here)."""


class SandboxError(RuntimeError):
    """The sandbox cannot do what was asked (unknown workflow, an execution that never ends...)."""


@dataclass
class Run:
    """One execution, as the console would show it once it ended."""

    workflow: str
    execution_arn: str
    status: str
    input: Any
    output: Any = None
    error: str | None = None
    cause: str | None = None
    history: list[HistoryEvent] = field(default_factory=list)
    start_date: Any = None
    stop_date: Any = None

    @property
    def path(self) -> list[str]:
        """Names of the states entered, in order (Map/Parallel inner states included)."""
        return [e["stateEnteredEventDetails"]["name"] for e in self.history if "stateEnteredEventDetails" in e]

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    def events_of(self, event_type: str) -> list[HistoryEvent]:
        return [e for e in self.history if e["type"] == event_type]

    def state_output(self, state: str) -> Any:
        """Output of the last exit of `state`."""
        for event in reversed(self.history):
            details = event.get("stateExitedEventDetails")
            if details and details["name"] == state:
                return json.loads(details.get("output") or "null")
        raise KeyError(f"state {state} never exited")


class Sandbox:
    """Builds a template's resources in moto and runs its state machines.

    Use as a context manager; only one sandbox runs at a time in a process
    because moto's mock and the virtual clock are process-wide.
    """

    def __init__(self, template_path: str | Path = "template.yaml", *, stack_name: str | None = None,
                 parameters: dict[str, str] | None = None, clock: VirtualClock | None = None,
                 direct_calls: bool | None = None) -> None:
        """`stack_name` and `parameters` (overrides): see `Stack.from_file`. `direct_calls=False` sends every
        service call through botocore's HTTP path (see `sandbox.direct_calls`); the default follows
        $SANDBOX_DIRECT_CALLS (on unless 0)."""
        self.template_path = Path(template_path).resolve()
        self.stack = Stack.from_file(self.template_path, stack_name=stack_name, parameters=parameters)
        self.skipped: list[str] = []
        """`<LogicalId> (<Type>)` of the resources not created offline (a type the sandbox does not know)."""
        self.clock = clock or VirtualClock()
        self.region = self.stack.region
        self.account_id = self.stack.account_id
        self._mock: MockAWS | None = None
        self.state_machines: dict[str, StateMachine] = {}
        self.lambdas: LambdaRuntime | None = None
        self.router: routing.EventRouter | None = None
        self.fakes: Fakes | None = None
        self.faults: FaultPlan | None = None
        self._holds_lock = False
        self._stand_ins: dict[str, Callable[[Any, Any], Any]] = {}
        self._seen_ended: dict[str, tuple[Any, int]] = {}
        """By state machine ARN: its list of executions, and how many of the first ones have ended (`_any_running`)."""
        self.direct_calls = direct_calls_module.enabled_by_default() if direct_calls is None else direct_calls
        self.service_calls = 0
        """Service calls made by executions, timers and handlers (not by the thread that entered the sandbox)."""
        self._provisioned: snapshots.Provisioned | None = None
        self._pristine = False
        """Nothing called or seeded since the start: the resources are exactly as provisioning left them."""
        self._owner = threading.get_ident()

    @classmethod
    def from_template(cls, template_path: str | Path = "template.yaml", **kwargs: Any) -> Sandbox:
        return cls(template_path, **kwargs)

    # -- lifecycle -------------------------------------------------------------
    def __enter__(self) -> Sandbox:
        if not _exclusive.acquire(blocking=False):
            raise SandboxError("another Sandbox is running in this process; use one at a time")
        self._holds_lock = True
        self._owner = threading.get_ident()
        try:
            self._start()
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def _start(self) -> None:
        from sandbox import engine

        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        engine.install()
        clock_module.set_active(self.clock)
        # Handler code and the interpreter use boto3's default session: make it the shared one.
        default_session.use_as_default(session.shared_session(self.region))
        events = HierarchicalEmitter()
        session.activate(events)
        events.register("before-call", self._touch)
        provisioner = Provisioner(self.stack)
        self.lambdas = LambdaRuntime(provisioner.functions, self.clock, self.region, self.account_id)
        self.lambdas.register(events)
        self.router = routing.EventRouter(self.clock, self.region, self.account_id,
                                          self._start_from_event, self._invoke_from_event)
        routing.activate(self.router)
        self.fakes = engine.start_fakes(events, self.clock, self.region, self.account_id, self.router)
        if self.direct_calls:
            direct_calls_module.register(events)
            param_calls.enable(events)
        self.faults = engine.new_fault_plan(self.clock)
        teststate.install(events, self.account_id, self.region, lambda: self._fault_plan())
        # The same resources as the last sandbox: restored, not created again.
        self._provisioned = snapshots.provision(provisioner)
        self.lambdas.asynchronous.configs = lambda_async.configs_of(self.stack)
        for logical_id, handler in self._stand_ins.items():
            self.register_function(logical_id, handler)
        self.skipped = [f"{r.logical_id} ({r.type})" for r in provisioner.skipped]
        self.state_machines = provisioner.state_machines
        self.faults.aliases = {name: (slug, sm.logical_id, name.removeprefix(f"{self.stack.stack_name}-"))
                               for slug, sm in self.state_machines.items() for name in [sm.arn.rsplit(":", 1)[1]]}
        self.sfn = session.shared_client(self.region, "stepfunctions")
        engine.freeze_provisioned()
        self._pristine = True

    def _fault_plan(self) -> FaultPlan:
        assert self.faults is not None
        return self.faults

    def _touch(self, **_: Any) -> None:
        self._pristine = False
        self.clock.touch()
        if threading.get_ident() != self._owner:
            self.service_calls += 1  # the executions' work (progress), not the polling of whoever waits on them

    def _stop(self) -> None:
        """Release everything, whatever fails on the way: a half-stopped sandbox would block every later one."""
        try:
            if RECORDERS and self._mock is not None and self.state_machines:
                _record(self)
            if self._mock is not None and self.state_machines:
                self._abort_running()
                # The Distributed Map children's records go with their parents: the next sandbox starts from none.
                from sandbox.moto_fixes.distributed_map import forget_children

                forget_children()
        finally:
            try:
                if self.lambdas is not None:
                    self.lambdas.stop()
            finally:
                session.activate(None)
                routing.activate(None)
                clock_module.set_active(None)
                mock, self._mock = self._mock, None
                try:
                    if mock is not None:
                        mock.stop()
                finally:
                    from sandbox import engine

                    engine.thaw()
                    if self._holds_lock:
                        self._holds_lock = False
                        _exclusive.release()

    def _abort_running(self, wall_timeout: float = 5) -> None:
        """Stop what is still running, as deleting the stack would: its threads must not run on into the next sandbox.

        An execution nobody waited for (started by an event, or left at a callback) would go on
        calling services and holding the clock after `mock_aws` stops and the next sandbox starts.
        One execution that cannot be stopped must not keep the others running.
        """
        running = self._backend()._get_executions("RUNNING")
        for execution in running:
            try:
                self.sfn.stop_execution(executionArn=execution.execution_arn, error="Sandbox.Stopped",
                                        cause="the sandbox stopped while the execution was running")
            except Exception:
                logging.getLogger(__name__).exception("could not stop %s", execution.execution_arn)
            # A callback task's wait does not watch the stop: wake it (it then sees the execution stopped).
            env = getattr(getattr(execution, "exec_worker", None), "env", None)
            for endpoint in list(env.callback_pool_manager._pool.values()) if env is not None else []:
                endpoint.interrupt_all()
        deadline = time.monotonic() + wall_timeout
        while running and self._any_running() and time.monotonic() < deadline:
            time.sleep(0.005)

    def register_function(self, logical_id: str, handler: Callable[[Any, Any], Any]) -> None:
        """Answer a function's invocations with `handler(event, context)`, a Python stand-in.

        For a function the sandbox cannot run (java, dotnet, go, provided, ruby, an image) or one
        a test wants to replace. Call it before or inside the `with` block.
        """
        if self.lambdas is None:
            known = [r.logical_id for r in self.stack.of_type("AWS::Serverless::Function", "AWS::Lambda::Function")]
            if logical_id not in known:
                raise SandboxError(f"unknown function {logical_id!r}; the template has: {', '.join(known) or 'none'}")
            self._stand_ins[logical_id] = handler
            return
        if logical_id not in self.lambdas.functions:
            names = ", ".join(sorted(self.lambdas.functions)) or "none"
            raise SandboxError(f"unknown function {logical_id!r}; the template has: {names}")
        self.lambdas.replace(logical_id, handler)

    # -- running -----------------------------------------------------------------
    def workflow(self, slug: str) -> StateMachine:
        """A state machine by slug, logical ID or deployed name."""
        found = self.state_machines.get(slug) or next(
            (sm for sm in self.state_machines.values() if slug in (sm.logical_id, sm.arn.rsplit(":", 1)[1])), None)
        if found is None:
            known = ", ".join(sorted(f"{s} ({sm.logical_id})" if s != sm.logical_id else s
                                     for s, sm in self.state_machines.items())) or "none"
            raise SandboxError(f"unknown workflow {slug!r}; the template has: {known}")
        return found

    def start(self, slug: str, event: Any, *, name: str | None = None, test_case: str | None = None) -> str:
        """StartExecution with `event` as input; returns the execution ARN.

        `test_case` starts it as Step Functions Local does for `<state machine ARN>#<test case>`:
        that test case of the MockConfigFile (`faults.mock_config`, by default $SFN_MOCK_CONFIG)
        answers its Task states.
        """
        arn = self.workflow(slug).arn
        args: dict[str, Any] = {"stateMachineArn": f"{arn}#{test_case}" if test_case else arn,
                                "input": event if isinstance(event, str) else json.dumps(event)}
        if name:
            args["name"] = name
        return self.sfn.start_execution(**args)["executionArn"]

    def run(self, slug: str, event: Any, *, name: str | None = None, wall_timeout: float | None = 30) -> Run:
        """Start an execution and wait for its end (virtual time passes as needed)."""
        return self.wait(self.start(slug, event, name=name), wall_timeout=wall_timeout)

    def wait(self, execution_arn: str, *, wall_timeout: float | None = 30, stall_timeout: float | None = None,
             on_progress: Callable[[Snapshot], None] | None = None) -> Run:
        """The execution once it ended; gives up as `settle` does."""
        patience = Patience(self, wall_timeout=wall_timeout, stall_timeout=stall_timeout, on_progress=on_progress)
        while (why := patience.check()) is None:
            seen = execution_record.ends()
            if self._status(execution_arn) in TERMINAL:
                return self._run_of(self.sfn.describe_execution(executionArn=execution_arn))
            # Woken by the end itself: polls only keep the patience limits, and leave the GIL to the execution.
            patience.pause(Patience.LONGEST_PAUSE_SECONDS, functools.partial(execution_record.wait_for_an_end, seen))
        raise SandboxError(f"execution {execution_arn} did not end: {patience.reason(why)} "
                           "(a task token to answer, or the clock to advance?)")

    def executions(self, slug: str | None = None, *, histories: bool = True) -> list[Run]:
        """Every execution so far (of one workflow, or all), oldest first.

        Read from moto's backend, as `_status` does: through the API each would cost a few
        milliseconds (ListExecutions pages, a description, a history), which adds up in a sandbox
        that ran thousands of executions. `histories=False` leaves each Run's `history` (and so
        its `path`) empty, for a caller that settles one sandbox again and again and reads only a
        few of them (the fault explorer of tests/hardening).
        """
        machines = [self.workflow(slug)] if slug else list(self.state_machines.values())
        arns = {machine.arn for machine in machines}
        runs = [self._run_of(_as_api_description(execution.to_describe_output()), history=histories)
                for execution in self._backend()._get_executions() if execution.state_machine_arn in arns]
        return sorted(runs, key=lambda r: r.start_date)

    def settle(self, *, wall_timeout: float | None = 30, histories: bool = True, stall_timeout: float | None = None,
               on_progress: Callable[[Snapshot], None] | None = None) -> list[Run]:
        """Let everything finish: running executions, and service timers due later in virtual time.

        Returns every execution; `histories=False` returns them without their histories (see
        `executions`), for a caller that settles one sandbox again and again and reads only a few
        of them (the fault explorer of tests/hardening). Gives up after `wall_timeout` s, or once
        nothing moved for `stall_timeout` s (either None: no such limit), naming what is pending;
        `on_progress` sees how far the work got, twice a second.
        """
        patience = Patience(self, wall_timeout=wall_timeout, stall_timeout=stall_timeout, on_progress=on_progress)
        while (why := patience.check()) is None:
            if self._any_running() or self.clock.is_busy:
                patience.pause(0.002)
                continue
            if not self.clock.advance_to_next(include_external=False):
                time.sleep(0.005)  # a timer may just have started an execution
                if not self._any_running():
                    return self.executions(histories=histories)
        raise SandboxError(f"the sandbox did not settle: {patience.reason(why)}")

    # -- single states -----------------------------------------------------------------
    def test_state(self, workflow: str, state: str, input: Any = None, **options: Any) -> TestStateResult:
        """TestState on one state of a workflow, as deployed (its definition and role).

        `options`: `mock_result=`, `mock_error=(error, cause)`, `field_validation_mode=`,
        `retrier_retry_count=`, `map_iteration_failure_count=`, `error_caused_by_state=`,
        `inspection_level=` (default DEBUG), `variables=`, `context=`. Same call as
        `sb.sfn.test_state(...)`, with its JSON texts read.
        """
        described = self.sfn.describe_state_machine(stateMachineArn=self.workflow(workflow).arn)
        options.setdefault("role_arn", described["roleArn"])
        request = request_for(described["definition"], state, input, **options)
        return TestStateResult.of(self.sfn.test_state(**request))

    # -- callbacks -----------------------------------------------------------------------
    def pending_task_tokens(self, execution_arn: str) -> list[str]:
        """Task tokens the execution is waiting on (callback tasks nobody answered yet)."""
        return list(self._unanswered_callbacks(execution_arn))

    def _unanswered_callbacks(self, execution_arn: str) -> dict[str, Any]:
        """The callback endpoints of the execution's tasks nobody answered yet, by task token."""
        execution = next((e for e in self._backend()._get_executions("RUNNING") if e.execution_arn == execution_arn),
                         None)
        env = getattr(getattr(execution, "exec_worker", None), "env", None)
        if env is None:  # not started yet
            return {}
        return {token: endpoint for token, endpoint in list(env.callback_pool_manager._pool.items())
                if endpoint.get_outcome() is None and endpoint.consumer_error is None}

    def _waiting_task_tokens(self, execution_arn: str) -> list[str]:
        """Unanswered tokens whose task has finished handing its token out and now waits for the answer.

        Until then the task's work (a `lambda:invoke.waitForTaskToken` handler sending the approval
        notice) is still running: an answer or a timeout must not overtake it.
        """
        return [token for token, endpoint in self._unanswered_callbacks(execution_arn).items()
                if self._is_waiting(endpoint)]

    def _is_waiting(self, endpoint: Any) -> bool:
        heartbeat = getattr(endpoint, "_heartbeat_endpoint", None)
        events = [endpoint._notify_event] + ([heartbeat._next_heartbeat_event] if heartbeat is not None else [])
        return any(self.clock.is_waited_on(event) for event in events)

    def answer_callbacks(self, execution_arn: str, *, approve: Any = None, reject: tuple[str, str] | None = None,
                         wall_timeout: float | None = 30, stall_timeout: float | None = None,
                         on_progress: Callable[[Snapshot], None] | None = None) -> Run:
        """Drive an execution to its end, answering each callback task as told.

        `approve` is the output sent with SendTaskSuccess; `reject` the (error, cause) of
        SendTaskFailure. With neither, unanswered callbacks run into their timeouts. A task is
        answered (or timed out) only once it waits for its token, as a person answers a notice.
        Gives up as `settle` does.
        """
        patience = Patience(self, wall_timeout=wall_timeout, stall_timeout=stall_timeout, on_progress=on_progress)
        # Tokens are looked for often only where some can appear; otherwise the end itself wakes this loop.
        shortest = 0.002 if self._hands_out_tokens(execution_arn) else Patience.LONGEST_PAUSE_SECONDS
        while (why := patience.check()) is None:
            seen = execution_record.ends()
            if self._status(execution_arn) in TERMINAL:
                return self._run_of(self.sfn.describe_execution(executionArn=execution_arn))
            tokens = self._waiting_task_tokens(execution_arn)
            for token in tokens:
                if reject is not None:
                    self.sfn.send_task_failure(taskToken=token, error=reject[0], cause=reject[1])
                elif approve is not None:
                    self.sfn.send_task_success(taskToken=token, output=json.dumps(approve))
            if tokens and approve is None and reject is None and not self.clock.is_busy:
                # Nobody will answer, and nothing else is at work: let the timeout happen.
                self.clock.advance_to_next()
            patience.pause(shortest, functools.partial(execution_record.wait_for_an_end, seen))
        raise SandboxError(f"execution {execution_arn} did not end: {patience.reason(why)}")

    def _hands_out_tokens(self, execution_arn: str) -> bool:
        """Whether the execution's definition has a task that waits for a token (a callback or an activity)."""
        state_machine = getattr(self._backend().describe_execution(execution_arn), "state_machine", None)
        definition = str(getattr(state_machine, "definition", None) or "")
        return not definition or ".waitForTaskToken" in definition or ":activity:" in definition

    # -- events and data ---------------------------------------------------------------
    def put_object(self, bucket: str, key: str, body: bytes | str = b"", *, content_type: str | None = None,
                   metadata: dict[str, str] | None = None, storage_class: str | None = None) -> None:
        """Upload like `aws s3 cp`: S3 emits its events and the template's rules fire."""
        args: dict[str, Any] = {"Bucket": self.bucket_name(bucket), "Key": key,
                                "Body": body.encode() if isinstance(body, str) else body,
                                "Metadata": metadata or {}}
        if content_type:
            args["ContentType"] = content_type
        if storage_class:
            args["StorageClass"] = storage_class
        session.shared_client(self.region, "s3").put_object(**args)

    def seed(self, objects_file: str | Path) -> None:
        """Put fixture objects into the template's buckets without triggering any rule.

        An object is `{"body", "contentType", "metadata", "storageClass"}`, all optional, plus
        `"restoredDays": N` for an archived object whose restore has just completed (readable for
        N days, as a restore-completed event finds it). A table's logical ID maps to a list of items
        instead (DynamoDB JSON), put as they are.
        `"count": N` makes N objects of one entry, its key a pattern with `{n}` (1 to N, with a format
        spec if wanted): `"archive/{n:05}.bin": {"storageClass": "DEEP_ARCHIVE", "count": 10000}`.
        A key `fake:<name>` hands its value to that fake's `seed` (e.g. `fake:custom_labels`:
        `{"projects": [...]}`, existing Custom Labels projects; see the fake's docstring).
        """
        text = Path(objects_file).read_text()
        spec = json.loads(text)
        assert self.router is not None and self.fakes is not None
        self._check_seeded_names(objects_file, spec)
        # Right after the start, the objects and items are restored from the copy of what the same file seeded into
        # the same resources before (see `snapshots.seed`); the fakes' part is made every time, on top of them.
        services = tuple(sorted({"dynamodb" if isinstance(objects, list) else "s3"
                                 for name, objects in spec.items() if not name.startswith("fake:")}))
        small = _seeded_count(spec) <= snapshots.SEED_OBJECTS_KEPT
        provisioned = self._provisioned if self._pristine and services and small else None
        self._pristine = False
        with self.router.muted():
            snapshots.seed(provisioned, text, services, functools.partial(self._seed_objects, objects_file, spec))
            self._seed_fakes(objects_file, spec)

    def _seed_objects(self, objects_file: str | Path, spec: dict[str, Any]) -> None:
        """The seed's objects and items."""
        for bucket, objects in spec.items():
            if bucket.startswith("fake:"):
                continue
            if isinstance(objects, list):
                table = self.bucket_name(bucket)
                for item in objects:
                    session.shared_client(self.region, "dynamodb").put_item(TableName=table, Item=item)
                continue
            for pattern, obj in objects.items():
                first, *others = _seeded_keys(objects_file, pattern, obj)
                self.put_object(bucket, first, obj.get("body", ""), content_type=obj.get("contentType"),
                                metadata=obj.get("metadata"), storage_class=obj.get("storageClass"))
                seeding.put_like_first(self.account_id, self.region, self.bucket_name(bucket), first, others)

    def _seed_fakes(self, objects_file: str | Path, spec: dict[str, Any]) -> None:
        """The seed's state of fakes: each `fake:<name>` entry, and the archived objects seeded as restored."""
        assert self.fakes is not None
        for bucket, objects in spec.items():
            if bucket.startswith("fake:"):
                getattr(self.fakes, bucket.removeprefix("fake:")).seed(objects)
            elif isinstance(objects, dict):
                for pattern, obj in objects.items():
                    for key in _seeded_keys(objects_file, pattern, obj) if "restoredDays" in obj else ():
                        self.fakes.s3_restore.seed_restored(self.bucket_name(bucket), key, obj["restoredDays"])

    def _check_seeded_names(self, objects_file: str | Path, spec: dict[str, Any]) -> None:
        """Every bucket (objects) or table (a list of items) the file names is one of the template's."""
        kinds = {"S3 bucket": ("AWS::S3::Bucket",),
                 "DynamoDB table": ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable")}
        for name, objects in spec.items():
            if name.startswith("fake:"):
                continue
            kind = "DynamoDB table" if isinstance(objects, list) else "S3 bucket"
            known = self.stack.of_type(*kinds[kind])
            if not any(name in (r.logical_id, r.name) for r in known):
                listed = ", ".join(r.logical_id for r in known) or "none"
                raise SandboxError(f"{objects_file} names {name!r}, which is no {kind} of the template "
                                   f"(it has: {listed})")

    def notifications(self, topic: str) -> list[dict[str, Any]]:
        """Messages published to an SNS topic (logical ID or ARN): {"message", "subject", "attributes"}."""
        from moto.sns.models import sns_backends

        resource = self.stack.resources.get(topic)
        arn = resource.ref if resource else topic
        found = sns_backends[self.account_id][self.region].topics.get(arn)
        if found is None:
            raise SandboxError(f"unknown topic {topic}")
        return [{"message": message, "subject": subject, "attributes": attributes}
                for _id, message, subject, attributes, *_ in found.sent_notifications]

    def all_notifications(self) -> dict[str, list[dict[str, Any]]]:
        """Messages of every topic of the template that received any, by logical ID."""
        topics = self.stack.of_type("AWS::SNS::Topic")
        found = {topic.logical_id: self.notifications(topic.logical_id) for topic in topics}
        return {logical_id: messages for logical_id, messages in found.items() if messages}

    def bucket_name(self, bucket: str) -> str:
        """Physical name for a logical ID (a physical name passes through)."""
        resource = self.stack.resources.get(bucket)
        return resource.name if resource else bucket

    @property
    def failed_invocations(self) -> list[FailedInvocation]:
        """Asynchronous invocations Lambda gave up on (after its retries), oldest first, and where they went."""
        return list(self.lambdas.asynchronous.failures) if self.lambdas else []

    def published(self, bus: str | None = None, detail_type: str | None = None) -> list[dict[str, Any]]:
        """Events put on a bus (logical ID or name), optionally of one detail-type."""
        assert self.router is not None
        name = self.stack.resources[bus].name if bus in self.stack.resources else bus
        return [d.event for d in self.router.delivered
                if (name is None or d.bus == name) and (detail_type is None or d.event["detail-type"] == detail_type)]

    # -- internals -------------------------------------------------------------------
    def _start_from_event(self, state_machine_arn: str, payload: str) -> None:
        """StartExecution for an EventBridge rule's target: on the backend with the direct calls, else (and for
        whatever the API must answer) through the API."""
        if self.direct_calls and api_fixes.start_in_process(self._backend(), state_machine_arn, payload):
            self._touch()
            return
        self.sfn.start_execution(stateMachineArn=state_machine_arn, input=payload)

    def _invoke_from_event(self, function_arn: str, event: Any) -> None:
        assert self.lambdas is not None
        try:
            self.lambdas.invoke_async(function_arn, event)
        except ClientError as error:  # a rule targeting a function the template lacks: the event is lost
            self.lambdas.asynchronous.failures.append(FailedInvocation(
                function_arn, event, "ResourceNotFound", 0, "ResourceNotFoundException",
                error.response["Error"]["Message"]))

    def _run_of(self, described: dict[str, Any], *, history: bool = True) -> Run:
        """A DescribeExecution answer as a Run; its history (once the execution ended) unless told not to."""
        arn = described["executionArn"]
        slug = next((s for s, m in self.state_machines.items() if m.arn == described["stateMachineArn"]), "?")
        return Run(
            workflow=slug, execution_arn=arn, status=described["status"],
            input=_json_or_none(described.get("input")), output=_json_or_none(described.get("output")),
            error=described.get("error"), cause=described.get("cause"),
            history=self._history(arn) if history and described["status"] != "RUNNING" else [],
            start_date=described.get("startDate"), stop_date=described.get("stopDate"),
        )

    def _backend(self) -> Any:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        return stepfunctions_parser_backends[self.account_id][self.region]

    def _any_running(self) -> bool:
        """Polled often: reads the status field, not moto's status property, from the first execution not seen ended.

        An ended execution never runs again and moto only appends to a machine's list of executions,
        so each poll starts where the previous one found the first execution still running: a story
        of ten thousand executions is not read through at every poll.
        """
        running = (None, ExecutionStatus.RUNNING)
        for machine in self._backend().state_machines:
            executions = machine.executions
            seen, first = self._seen_ended.get(machine.arn, (None, 0))
            if seen is not executions:
                first = 0
            for index in range(first, len(executions)):
                if executions[index].exec_status in running:
                    self._seen_ended[machine.arn] = (executions, index)
                    return True
            self._seen_ended[machine.arn] = (executions, len(executions))
        return False

    def _status(self, execution_arn: str) -> str:
        """Polled often: read from moto's backend (an API call costs ~1 ms and the GIL)."""
        status = self._backend().describe_execution(execution_arn).exec_status
        return status.value if status is not None else "RUNNING"

    def _history(self, execution_arn: str) -> list[HistoryEvent]:
        """GetExecutionHistory's events, read from the backend.

        The same events the API returns; skipping moto's response serializer saves
        about 2.5 ms per event, which dominates long histories.
        """
        events = self._backend().get_execution_history(execution_arn)["events"]
        return [as_api_event(event) for event in events]


def _record(sb: Sandbox) -> None:
    """Hand every execution of `sb` to the recorders; a recorder's failure never breaks a test's teardown."""
    try:
        runs = sb.executions()
    except Exception:  # the sandbox may be half started
        return
    for recorder in list(RECORDERS):
        try:
            recorder(sb, runs)
        except Exception:
            logging.getLogger(__name__).exception("execution recorder failed")


def _as_api_description(described: dict[str, Any]) -> dict[str, Any]:
    """Backend DescribeExecution output -> boto3's: status as text, dates to the millisecond (the API's precision)."""
    converted = dict(described)
    converted["status"] = getattr(described["status"], "value", described["status"])
    for key in ("startDate", "stopDate"):
        if converted.get(key) is not None:
            converted[key] = converted[key].replace(microsecond=converted[key].microsecond // 1000 * 1000)
    return converted


def _seeded_count(spec: dict[str, Any]) -> int:
    """How many objects and items a seed writes (a count that `_seeded_keys` refuses counts as one)."""
    total = 0
    for name, objects in spec.items():
        if isinstance(objects, list):
            total += len(objects)
        elif isinstance(objects, dict) and not name.startswith("fake:"):
            counts = [obj.get("count", 1) if isinstance(obj, dict) else 1 for obj in objects.values()]
            total += sum(n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 1 for n in counts)
    return total


def _seeded_keys(objects_file: str | Path, pattern: str, obj: dict[str, Any]) -> list[str]:
    """The key of a seeded object, or the N keys of one with `"count": N` (its `{n}` from 1 to N)."""
    if "count" not in obj:
        return [pattern]
    count = obj["count"]
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise SandboxError(f"{objects_file}: {pattern!r} has count {count!r}; give a whole number, 1 or more")
    try:
        keys = [pattern.format(n=n) for n in range(1, count + 1)]
    except (KeyError, IndexError, ValueError) as error:
        raise SandboxError(f"{objects_file}: {pattern!r} with a count must name its number as {{n}} (or {{n:05}}), "
                           f"and nothing else in braces ({type(error).__name__}: {error})") from None
    if len(set(keys)) != count:
        raise SandboxError(f"{objects_file}: {pattern!r} with a count must name its number as {{n}} (or {{n:05}})")
    return keys


def _json_or_none(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:  # moto can end an execution with text that is not JSON: show it as it is
        return text
