"""Every Task state of every state machine, in its failure modes (see tests/hardening/faults.py).

* Retry and Catch: a Task without both fails with its name.
* Transient error on the first attempt: the Retry absorbs it; the run ends exactly as without it.
* Permanent error: a Catch of the Task is taken, and the execution ends in a named Fail state,
  or succeeds through a compensation or notification; never an unhandled error.
* Timeout (where TimeoutSeconds is set): the same, for States.Timeout.
* A Task reached only through a staged answer (faults.STAGED) still needs it.

The Retry/Catch check always runs; the exploration (~200 sandbox runs, ~100 s on 2 cores) runs in
`make test` too, and is skipped with HARDENING_FAULTS=0 for a quick local loop.
"""

from __future__ import annotations

import os

import pytest

from tests.hardening import faults
from tests.hardening.faults import Outcome, TaskKey

TASKS = faults.tasks()
EXPLORE = os.environ.get("HARDENING_FAULTS", "1") != "0"

IDS = [f"{slug}:{state}" for slug, state in TASKS]


def _fail_names(slug: str) -> set[str]:
    """Errors of the workflow's Fail states (the named ends)."""
    return {s.error for s in faults.graphs()[slug].states.values() if s.type == "Fail" and s.error}


def _named(slug: str, error: str | None, injected: str) -> bool:
    """An error a Fail state of the workflow raised: one of its literal names, or (for a Fail state
    with ErrorPath) a name of the workflow's own, neither a States.* error nor the injected one."""
    names = _fail_names(slug)
    if error in names:
        return True
    dynamic = any(name.startswith(("$", "{%")) for name in names)
    return bool(dynamic and error and not error.startswith("States.") and error != injected)


@pytest.fixture(scope="module")
def report() -> faults.Report:
    if not EXPLORE:
        pytest.skip("fault exploration skipped: HARDENING_FAULTS=0")
    return faults.explore()


@pytest.mark.parametrize("key", TASKS, ids=IDS)
def test_task_has_retry_and_catch(key: TaskKey) -> None:
    state = faults.state_of(key)
    assert faults.transient_error(state), f"Task {key[1]} of {key[0]} has no Retry that retries"
    assert state.definition.get("Catch"), f"Task {key[1]} of {key[0]} has no Catch"


def _reached(report: faults.Report, key: TaskKey) -> None:
    if key in faults.UNREACHABLE:
        assert key not in report.reach, f"{key} is reached now: remove it from faults.UNREACHABLE"
        pytest.skip(f"{key[1]} of {key[0]}: {faults.UNREACHABLE[key]}")
    if key not in report.reach:
        pytest.fail(f"Task {key[1]} of {key[0]}: no sample event of events/{key[0]}/ (or of the workflow that "
                    "starts it) reaches it, even with faults on the Tasks before it: add a sample")


def _handled(key: TaskKey, outcome: Outcome, kind: str) -> None:
    slug, state_id = key
    name = faults.state_of(key).name
    assert (slug, name) in outcome.injected, f"{kind} fault on {state_id} was never injected: {outcome.scenario}"
    runs = [e for e in outcome.executions if e.slug == slug and state_id in e.entered]
    assert runs, f"{state_id} not reached in {outcome.scenario}"
    assert any(state_id in e.caught for e in runs), (
        f"{kind} on {state_id} ({slug}) was not caught by its Catch: "
        f"{[(e.status, e.error) for e in runs]}")
    named = _fail_names(slug)
    injected = next((f.error for f in outcome.scenario.plan if f.state == name and f.slug == slug), "")
    for execution in runs:
        assert execution.status in ("SUCCEEDED", "FAILED"), (state_id, execution.status)
        if execution.status == "FAILED":
            assert _named(slug, execution.error, injected), (
                f"{kind} on {state_id} ({slug}) ended in {execution.error}, not one of its Fail states "
                f"{sorted(named)}")


@pytest.mark.parametrize("key", TASKS, ids=IDS)
def test_transient_error_is_retried_and_the_run_ends_as_without_it(report: faults.Report, key: TaskKey) -> None:
    _reached(report, key)
    outcome = report.transient.get(key)
    assert outcome is not None, f"{key}: the sample's reference run does not reach it"
    state = faults.state_of(key)
    assert (key[0], state.name) in outcome.injected, f"{faults.transient_error(state)} on {key[1]} never injected"
    if key in report.uncompared:  # reached only after earlier runs left state behind: not caught, retried
        runs = [e for e in outcome.executions if e.slug == key[0] and key[1] in e.entered]
        assert runs and not any(key[1] in e.caught for e in runs), f"{key[1]}: the transient error was not retried"
        return
    reference = report.reference[report.reach[key]]
    assert outcome.signature() == reference.signature(), (
        f"{faults.transient_error(state)} once on {key[1]} ({key[0]}) changed the run: "
        f"{[(e.slug, e.status, e.error) for e in outcome.executions]} vs "
        f"{[(e.slug, e.status, e.error) for e in reference.executions]}")


@pytest.mark.parametrize("key", TASKS, ids=IDS)
def test_permanent_error_is_caught_and_ends_named(report: faults.Report, key: TaskKey) -> None:
    _reached(report, key)
    _handled(key, report.error[key], "error")


TIMED = [key for key in TASKS if "TimeoutSeconds" in faults.state_of(key).definition]


@pytest.mark.parametrize("key", TIMED, ids=[f"{slug}:{state}" for slug, state in TIMED])
def test_timeout_is_caught_and_ends_named(report: faults.Report, key: TaskKey) -> None:
    _reached(report, key)
    state = faults.state_of(key)
    if faults.timeout_runs(state):
        _handled(key, report.timeout[key], "timeout")
        return
    # No Retrier takes States.Timeout and the Catcher that takes it is the permanent error's: Step Functions
    # does for the timeout exactly what the permanent-error run showed (asserted there).
    catcher = faults.catcher_for(state, "States.Timeout")
    assert catcher is not None, f"States.Timeout on {key[1]} ({key[0]}) is caught by no Catcher"
    assert catcher == faults.catcher_for(state, faults.permanent_error(state))
    _handled(key, report.error[key], "error")


STAGED = sorted(faults.STAGED)


@pytest.mark.parametrize("key", STAGED, ids=[f"{slug}:{state}" for slug, state in STAGED])
def test_staged_answer_is_still_needed(report: faults.Report, key: TaskKey) -> None:
    _reached(report, key)
    answering = faults.STAGED[key][0]
    assert any(f.kind == "answer" for f in report.reach[key].plan), (
        f"{key[1]} of {key[0]} is reached without the staged answer of {answering[1]} now: "
        "remove it from faults.STAGED")


def test_fault_exploration_counts(report: faults.Report) -> None:
    """The counts the issue asks for, printed with -s (and kept honest: every Task was faulted)."""
    print(f"\nfaults: {len(TASKS)} Tasks, {len(report.error)} permanent errors, {len(report.timeout)} timeouts, "
          f"{len(report.transient)} transient errors; {report.runs} runs in {report.seconds:.1f}s")
    assert len(report.error) == len(TASKS) - len(faults.UNREACHABLE)
