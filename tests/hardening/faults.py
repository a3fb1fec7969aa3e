"""Drive every Task state of every state machine into its failure modes, through the sandbox's faults.

The Tasks come from the ASL (every scope: Parallel branches, inline and Distributed Map item
processors). A Task is reached by running a sample event of events/<slug>/ whose run passes
through it, found by running the samples once (executions the samples trigger in other workflows
count: that is how the workflows without samples of their own are reached). A Task no sample
reaches is looked for in a duplicate delivery: a sample run twice in one fresh sandbox, the second
run meeting what the first left behind (a project or dataset that exists already, a stack to roll
back). Such a Task's scenario is `repeat`: its fault runs replay the first run without faults and
apply the fault to the second run only, so they reach the Task from a fresh sandbox every time.
Then through a staged answer (STAGED): a Task behind an answer no sample can produce in the
sandbox is reached by the scenario of the Task that gives it, with that answer planned. Then in
the runs of the faults themselves: when a fault on Task A leads an execution through Task B, B is
reached by the sample plus that fault (an approval that times out reaches the escalation, whose
time-out reaches the clean-up).

For each Task the explorer runs:

* `transient`: the first error of its first Retrier, on the Task's first attempt (all Tasks a
  sample reaches are faulted together in one run; the run must end exactly as the sample's
  fault-free run: same executions, statuses, errors and states entered);
* `error`: an error no Retrier matches, on every attempt;
* `timeout`: the Task never answers, so its TimeoutSeconds fires (where it is set).

Sandboxes: one per sample and plan prefix, shared by its fault runs while their outcome shows the
Task was reached (a run's leftovers, such as a project created before the fault, can steer the
next run elsewhere: such a run is repeated in a fresh sandbox). The fault-free reference runs and
the transient runs, which are compared as a whole, always use a fresh sandbox, and so do the
`repeat` scenarios (their second run must meet the leftovers of their own first run, no others).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from sandbox.asl_graph import Graph, State, parse
from sandbox.core import TERMINAL, Run, Sandbox, SandboxError
from sandbox.coverage import error_matches, transitions, visits
from sandbox.map_children import map_children
from sandbox.samples import SEED_FILE
from tests.hardening.suite import TEMPLATE, Workflow, callback_answer_of, workflows

TaskKey = tuple[str, str]
"""(workflow slug, state id in its graph)."""


@dataclass(frozen=True)
class Fault:
    slug: str
    state: str
    """State name (what the fault plan matches)."""
    kind: str
    """transient | error | timeout | answer (a staged answer: see STAGED)"""
    error: str = ""
    answer: str = ""
    """kind answer: the MockedResponses entry the Task answers with, as JSON text (a Fault is hashable)."""


@dataclass(frozen=True)
class Scenario:
    slug: str
    """Workflow the sample starts."""
    sample: Path
    plan: tuple[Fault, ...] = ()
    repeat: bool = False
    """Run the sample once without faults first (a duplicate delivery), then again with the plan:
    the outcome is the second run. The plan never applies to the first run, which only rebuilds
    the leftovers that lead the second run to the Tasks behind them."""


@dataclass
class Execution:
    """One execution of a scenario, with what the hardening checks read from it."""

    slug: str
    status: str
    error: str | None
    entered: Counter[str]
    """State ids entered (Distributed Map children included, under their processor's prefix)."""
    caught: set[str]
    """State ids whose Catch was taken."""
    failed_states: set[str] = field(default_factory=set)

    def signature(self) -> tuple[Any, ...]:
        return (self.slug, self.status, self.error, tuple(sorted(self.entered.items())))


@dataclass
class Outcome:
    scenario: Scenario
    executions: list[Execution]
    injected: set[tuple[str, str]]
    """(state machine slug, state name) pairs where a planned fault replaced the call."""
    seconds: float
    fresh: bool

    def reached(self) -> set[TaskKey]:
        return {(e.slug, state) for e in self.executions for state in e.entered}

    def signature(self) -> list[tuple[Any, ...]]:
        """Executions, statuses, errors and the states they entered (how often may differ: a retry's
        back-off shifts virtual time, so a polling loop may poll once more or less)."""
        return sorted((e.slug, e.status, e.error, tuple(sorted(e.entered))) for e in self.executions)


# -- the ASL side -------------------------------------------------------------------------------


@cache
def graphs() -> dict[str, Graph]:
    return {w.slug: w.graph for w in workflows()}


def tasks() -> list[TaskKey]:
    """Every Task state of every state machine of the template, in definition order."""
    return [(slug, state.id) for slug, graph in graphs().items() for state in graph.states.values()
            if state.type == "Task"]


def state_of(key: TaskKey) -> State:
    return graphs()[key[0]].states[key[1]]


def transient_error(state: State) -> str | None:
    """The first error of the first Retrier that retries at least once (None: no such Retrier)."""
    for retrier in state.retry:
        if retrier.max_attempts > 0 and retrier.errors:
            return retrier.errors[0]
    return None


def permanent_error(state: State) -> str:
    """An error no Retrier of the state matches: `<service>.AccessDeniedException`."""
    names = [e for retrier in state.retry for e in retrier.errors if "." in e and not e.startswith("States.")]
    service = names[0].split(".")[0] if names else "Sandbox"
    for candidate in (f"{service}.AccessDeniedException", "Sandbox.PermanentFailure"):
        if not any(error_matches(r.errors, candidate) for r in state.retry):
            return candidate
    raise AssertionError(f"{state.id}: every error is retried (Retry on States.ALL?)")


def catcher_for(state: State, error: str) -> int | None:
    """Index of the Catcher that takes `error` (the first that matches), or None."""
    for index, catcher in enumerate(state.definition.get("Catch", ())):
        if error_matches(catcher.get("ErrorEquals", ()), error):
            return index
    return None


def timeout_runs(state: State) -> bool:
    """Whether States.Timeout needs a run of its own.

    Not when the Task has no TimeoutSeconds, nor when no Retrier matches States.Timeout and the
    Catcher that takes it is the one that takes the permanent error (run for real): Step
    Functions then does exactly what it did for that error. The test still checks that much.
    """
    if "TimeoutSeconds" not in state.definition:
        return False
    retried = any(error_matches(r.errors, "States.Timeout") for r in state.retry if r.max_attempts > 0)
    return retried or catcher_for(state, "States.Timeout") != catcher_for(state, permanent_error(state))


# -- running a scenario ---------------------------------------------------------------------------


def _state_machine_names(sb: Sandbox) -> dict[str, str]:
    return {slug: machine.arn.split(":")[-1] for slug, machine in sb.state_machines.items()}


def _apply(sb: Sandbox, plan: tuple[Fault, ...]) -> None:
    names = _state_machine_names(sb)
    sb.faults.clear()
    for fault in plan:
        if fault.kind == "answer":
            sb.faults.mock(fault.state, json.loads(fault.answer), state_machine=names[fault.slug])
        elif fault.kind == "timeout":
            sb.faults.hang(fault.state, times=None, state_machine=names[fault.slug])
        else:
            times = 1 if fault.kind == "transient" else None
            sb.faults.fail(fault.state, fault.error, f"injected by tests/hardening ({fault.kind})", times=times,
                           state_machine=names[fault.slug])


def _units(run: Run) -> list[tuple[str, Graph, list[dict[str, Any]]]]:
    """(state id prefix, graph, history) of the execution and of its Distributed Map children."""
    units: list[tuple[str, Graph, list[dict[str, Any]]]] = [("", graphs()[run.workflow], run.history)]
    definition = next(w for w in workflows() if w.slug == run.workflow).definition
    for body, children in map_children(definition, [run.execution_arn]):
        processor = parse(body.processor)
        units.extend((body.prefix, processor, child.history) for child in children)
    return units


def _execution(run: Run) -> Execution:
    entered: Counter[str] = Counter()
    caught: set[str] = set()
    for prefix, graph, history in _units(run):
        entered.update(prefix + state for state in visits(graph, history))
        caught |= {prefix + t.source for t in transitions(graph, history) if t.kind == "catch"}
    return Execution(run.workflow, run.status, run.error, entered, caught)


def _drive(sb: Sandbox, arn: str, answer: Any, wall_timeout: float = 30) -> None:
    """Run the execution to its end: answer callback tasks, and let time pass when nothing else can happen.

    A hung callback task has no token to answer and its TimeoutSeconds is an external deadline
    (the clock never jumps to those by itself): once the sandbox is idle, move the clock to it.
    That is why this is not `Sandbox.answer_callbacks`: it moves the clock only for a token it
    leaves unanswered, so a callback task hung by a fault would run out of wall time there (it
    also reads the whole history at the end, which `_Runner.run` does once, for the new executions).
    """
    limit = time.monotonic() + wall_timeout
    idle_since: float | None = None
    while time.monotonic() < limit:
        if sb._status(arn) in TERMINAL:
            return
        tokens = sb.pending_task_tokens(arn)
        if tokens and answer is not None:
            for token in tokens:
                sb.sfn.send_task_success(taskToken=token, output=json.dumps(answer))
            idle_since = None
        elif sb.clock.is_busy:
            idle_since = None
        else:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > IDLE_SECONDS and sb.clock.next_deadline(include_external=True):
                sb.clock.advance_to_next(include_external=True)
                idle_since = None
        time.sleep(0.002)
    raise AssertionError(f"{arn} did not end within {wall_timeout}s of wall time")


def _arns(sb: Sandbox) -> set[str]:
    """Every execution ARN so far (cheap: no history is read)."""
    return {e.execution_arn for e in sb._backend()._get_executions()}


IDLE_SECONDS = 0.01
"""Wall time with nothing running before a hung callback task's timeout is brought forward."""


class _Runner:
    """Runs scenarios; keeps one sandbox open for consecutive runs of the same sample."""

    def __init__(self) -> None:
        self._sandbox: Sandbox | None = None
        self._key: Any = None
        self.runs = 0
        self.seconds = 0.0

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.__exit__(None, None, None)
            self._sandbox = None
            self._key = None

    def _open(self, scenario: Scenario) -> Sandbox:
        self.close()
        sb = Sandbox.from_template(TEMPLATE)
        sb.__enter__()
        seed = scenario.sample.parent / SEED_FILE
        if seed.is_file():
            sb.seed(seed)
        self._sandbox, self._key = sb, scenario.sample
        return sb

    def run(self, scenario: Scenario, *, fresh: bool) -> Outcome:
        started = time.perf_counter()
        sb = self._sandbox if (not fresh and self._key == scenario.sample) else self._open(scenario)
        assert sb is not None
        event = json.loads(scenario.sample.read_text())
        answer = callback_answer_of(scenario.slug)
        try:
            if scenario.repeat:
                sb.faults.clear()
                _drive(sb, sb.start(scenario.slug, event), answer)
                sb.settle(histories=False)  # only the new executions' histories are read, below
            _apply(sb, scenario.plan)
            before = _arns(sb)
            _drive(sb, sb.start(scenario.slug, event), answer)
            sb.settle(histories=False)
        except (AssertionError, SandboxError) as error:
            raise AssertionError(f"{scenario}: {error}") from None
        runs = [sb._run_of(sb.sfn.describe_execution(executionArn=arn)) for arn in sorted(_arns(sb) - before)]
        names = {v: k for k, v in _state_machine_names(sb).items()}
        injected = set()
        for injection in sb.faults.injected:
            machine = injection.execution_arn.split(":")[6]
            injected.add((names.get(machine, machine), injection.state))
        outcome = Outcome(scenario, [_execution(r) for r in runs], injected, time.perf_counter() - started, fresh)
        if os.environ.get("HARDENING_DEBUG"):
            print(f"{outcome.seconds:6.2f}s fresh={fresh} {scenario.slug} {scenario.sample.name} "
                  f"{[(f.state, f.kind) for f in scenario.plan]}", file=sys.stderr)
        sb.faults.clear()
        if fresh:
            self.close()  # the next scenario must not inherit this run's leftovers by accident
        self.runs += 1
        self.seconds += outcome.seconds
        return outcome


# -- the exploration ------------------------------------------------------------------------------


UNREACHABLE: dict[TaskKey, str] = {
    # Tasks that no sample event reaches, even run twice, with faults on the Tasks before them or
    # with a staged answer (STAGED): skipped, with the reason. None at present.
}


def _counts(**counts: int) -> str:
    """A DynamoDB UpdateItem answer (ReturnValues ALL_NEW) with these numeric attributes, as a MockedResponses entry."""
    return json.dumps({"0": {"Return": {"Attributes": {name: {"N": str(n)} for name, n in counts.items()}}}})


STAGED: dict[TaskKey, tuple[TaskKey, str, str]] = {
    # Tasks that only an answer no sample can produce in the sandbox leads to: target -> (the Task
    # that gives that answer, the answer, why). The scenario that reaches the answering Task runs
    # with its answer staged (a Fault of kind "answer", planned before any fault), everything else
    # real; the target's faults are then run and asserted on that scenario like any other Task's.
    ("glacier-restore", "NotifyResults"): (
        ("glacier-restore", "Summarize"),
        _counts(started=1, skipped=0, failed=0, pending=0, restored=1, copyFailed=0, days=7),
        "CheckAllRestored goes to NotifyResults only when every restore completed and was counted "
        "before Summarize ran (a long Map on AWS). In the sandbox the Map takes no virtual time and a "
        "restore hours, so Summarize's counts (pending 0) are staged, as tests/workflows/test_glacier_restore.py "
        "does (all-restored-before-summary)",
    ),
}


@dataclass
class Report:
    """Everything the fault tests assert on, computed once per session."""

    reach: dict[TaskKey, Scenario] = field(default_factory=dict)
    reference: dict[Scenario, Outcome] = field(default_factory=dict)
    transient: dict[TaskKey, Outcome] = field(default_factory=dict)
    error: dict[TaskKey, Outcome] = field(default_factory=dict)
    timeout: dict[TaskKey, Outcome] = field(default_factory=dict)
    uncompared: set[TaskKey] = field(default_factory=set)
    """Transient runs with no fault-free run of the same scenario to compare with."""
    runs: int = 0
    seconds: float = 0.0


def _samples_first_succeeding(flow: Workflow, baseline: dict[Path, Outcome]) -> list[Path]:
    def rank(path: Path) -> tuple[int, str]:
        outcome = baseline[path]
        primary = next((e for e in outcome.executions if e.slug == flow.slug), None)
        return (0 if primary and primary.status == "SUCCEEDED" else 1, path.name)

    return sorted(baseline, key=rank)


def _fault(key: TaskKey, kind: str) -> Fault:
    state = state_of(key)
    if kind == "transient":
        return Fault(key[0], state.name, kind, transient_error(state) or "")
    if kind == "error":
        return Fault(key[0], state.name, kind, permanent_error(state))
    return Fault(key[0], state.name, "timeout")


def _staged(runner: _Runner, report: Report, target: TaskKey) -> None:
    """Reach `target` through its staged answer, on the scenario that reaches the answering Task."""
    answering, answer, _why = STAGED[target]
    base = report.reach.get(answering)
    if base is None:  # the answering Task is not reached either: the test says so for both
        return
    staged = Fault(answering[0], state_of(answering).name, "answer", answer=answer)
    outcome = runner.run(Scenario(base.slug, base.sample, (*base.plan, staged), base.repeat), fresh=True)
    for key in sorted(outcome.reached() & set(tasks())):
        report.reach.setdefault(key, outcome.scenario)


def _faulted(runner: _Runner, key: TaskKey, kind: str, base: Scenario) -> Outcome:
    scenario = Scenario(base.slug, base.sample, (*base.plan, _fault(key, kind)), base.repeat)
    outcome = runner.run(scenario, fresh=base.repeat)
    if key not in outcome.reached() or (key[0], state_of(key).name) not in outcome.injected:
        outcome = runner.run(scenario, fresh=True)  # leftovers of an earlier run steered it elsewhere
    return outcome


@cache
def explore() -> Report:
    report = Report()
    runner = _Runner()
    succeeding: dict[str, list[Path]] = {}
    try:
        # 1. Samples, fault-free, one shared sandbox per workflow: which Tasks each one reaches.
        for flow in workflows():
            baseline: dict[Path, Outcome] = {}
            own = {key for key in tasks() if key[0] == flow.slug}
            for sample in flow.samples:
                baseline[sample] = runner.run(Scenario(flow.slug, sample), fresh=False)
                if own <= set().union(*(o.reached() for o in baseline.values())):
                    break
            succeeding[flow.slug] = [s for s in baseline if any(
                e.slug == flow.slug and e.status == "SUCCEEDED" for e in baseline[s].executions)]
            for sample in _samples_first_succeeding(flow, baseline):
                for key in sorted(baseline[sample].reached() & set(tasks())):
                    report.reach.setdefault(key, Scenario(flow.slug, sample))
            runner.close()
        # 1b. Tasks only a duplicate delivery reaches: the succeeding samples of a workflow that has
        # unreached Tasks, each run twice in a fresh sandbox.
        for flow in workflows():
            for sample in succeeding.get(flow.slug, []):
                if {key for key in tasks() if key[0] == flow.slug} - UNREACHABLE.keys() - STAGED.keys() <= set(
                        report.reach):
                    break
                twice = runner.run(Scenario(flow.slug, sample, repeat=True), fresh=True)
                for key in sorted(twice.reached() & set(tasks())):
                    report.reach.setdefault(key, twice.scenario)
        # 1c. Tasks behind an answer no sample produces in the sandbox: the answer staged.
        for target in STAGED:
            if target not in report.reach:
                _staged(runner, report, target)
        # 2. Reference runs in a fresh sandbox, then every reached Task: timeouts and permanent errors.
        queue = [key for key in tasks() if key in report.reach]
        while queue:
            key = queue.pop(0)
            base = report.reach[key]
            if base not in report.reference:
                report.reference[base] = runner.run(base, fresh=True)
            for kind, results in (("error", report.error), ("timeout", report.timeout)):
                if kind == "timeout" and not timeout_runs(state_of(key)):
                    continue
                outcome = _faulted(runner, key, kind, base)
                results[key] = outcome
                for found in sorted(outcome.reached() & set(tasks())):
                    if found not in report.reach:
                        report.reach[found] = outcome.scenario
                        queue.append(found)
        runner.close()
        # 3. Transient errors: every Task a reference run reached, faulted together in one fresh run.
        by_base: dict[Scenario, list[TaskKey]] = {}
        for key, base in report.reach.items():
            if not transient_error(state_of(key)):
                continue
            if key in report.reference.get(base, _EMPTY).reached():
                by_base.setdefault(base, []).append(key)
            else:  # reached in a shared sandbox only: on its own, without a reference to compare with
                alone = runner.run(Scenario(base.slug, base.sample, (*base.plan, _fault(key, "transient")),
                                            base.repeat), fresh=base.repeat)
                report.transient[key] = alone
                report.uncompared.add(key)
        for base, keys in by_base.items():
            faults = tuple(_fault(key, "transient") for key in keys)
            together = runner.run(Scenario(base.slug, base.sample, (*base.plan, *faults), base.repeat), fresh=True)
            for key in keys:
                report.transient[key] = together
            if together.signature() != report.reference[base].signature():
                for key in keys:  # find which one(s) the Retry did not absorb
                    report.transient[key] = runner.run(
                        Scenario(base.slug, base.sample, (*base.plan, _fault(key, "transient")), base.repeat),
                        fresh=True)
    finally:
        runner.close()
    report.runs, report.seconds = runner.runs, runner.seconds
    return report


_EMPTY = Outcome(Scenario("", Path()), [], set(), 0.0, True)
