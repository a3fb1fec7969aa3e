"""Fault injection and Step Functions Local MockConfigFile answers for Task states.

Retry and Catch are the part of a workflow that is hardest to exercise: the
failures they exist for (throttling, a flaky dependency, a service that never
answers) do not happen on demand. A `FaultPlan` makes them happen on demand, per
Task state, per attempt, without touching the state machine definition:

    plan = FaultPlan()
    plan.fail("Notify", "SNS.ThrottledException", "Rate exceeded", times=2)
    plan.load_mock_config("MockConfigFile.json", "OrderFlow", "RetryPath")

A planned outcome replaces the service call itself, inside moto's own Task
evaluation, so everything around the call stays real: TaskScheduled and
TaskStarted are recorded, a failure is a TaskFailed event (LambdaFunctionFailed
for a plain Lambda ARN, as on AWS) that Retry counts and Catch routes, and a
mocked result still goes through ResultSelector, ResultPath and OutputPath.

Attempts are counted once per Task evaluation, per execution and per state
(retries, loop passes, Map iterations all count), which is the Step Functions
Local rule for MockConfigFile response numbers.

The seams in moto that ask a plan for each Task attempt are a moto fix,
`sandbox.moto_fixes.task_outcome`; `task_outcome.use_plans(plan_for)` tells them
which plan, if any, applies to an execution.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NamedTuple

__all__ = [
    "HANG",
    "MOCK_CONFIG_ENV",
    "FaultPlan",
    "Injection",
    "MockConfigError",
    "load_mock_config",
]

MOCK_CONFIG_ENV: Final[str] = "SFN_MOCK_CONFIG"
"""Where Step Functions Local (and a new FaultPlan) find the MockConfigFile for `#<test case>` starts."""

HANG: Final[str] = "(hang)"
"""The `error` recorded in `FaultPlan.injected` for an attempt that was made to hang."""


class MockConfigError(ValueError):
    """A MockConfigFile that Step Functions Local would reject, or a test case it does not define."""


class Injection(NamedTuple):
    """One planned outcome that replaced a service call.

    `attempt` is 0-based (the MockConfigFile numbering); `error` is the injected error
    name, `None` for a mocked Return, `HANG` for a hang.
    """

    execution_arn: str
    state: str
    attempt: int
    error: str | None


@dataclass(frozen=True)
class _Fail:
    error: str
    cause: str


@dataclass(frozen=True)
class _Return:
    payload: Any


@dataclass(frozen=True)
class _Hang:
    pass


_Outcome = _Fail | _Return | _Hang


@dataclass(frozen=True)
class _Rule:
    """Outcomes for one state: `outcomes[n]` answers attempt n; `repeat_last` extends the list."""

    state: str
    state_machine: str | None
    outcomes: tuple[_Outcome, ...]
    repeat_last: bool
    execution_arn: str | None = None
    """Only this execution (a `<state machine ARN>#<test case>` start); None: every execution."""

    def outcome_for(self, state_machine: str, attempt: int, execution_arn: str) -> _Outcome | None:
        if self.state_machine is not None and self.state_machine != state_machine:
            return None
        if self.execution_arn is not None and self.execution_arn != execution_arn:
            return None
        if attempt < len(self.outcomes):
            return self.outcomes[attempt]
        return self.outcomes[-1] if self.repeat_last else None


def _repeated(outcome: _Outcome, times: int | None) -> tuple[tuple[_Outcome, ...], bool]:
    """`times=None` means every attempt: one outcome repeated forever."""
    if times is None:
        return (outcome,), True
    if times < 1:
        raise ValueError(f"times must be at least 1 (or None for always), got {times}")
    return (outcome,) * times, False


class FaultPlan:
    """Planned answers for the Task states of the executions one sandbox owns.

    Rules are consulted newest first, so a later `fail` can override a mock loaded
    earlier. Attempt counters live per (execution ARN, state), so a new execution
    always starts at attempt 0.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._attempts: dict[tuple[str, str], int] = {}
        self.injected: list[Injection] = []
        self.mock_config: str | os.PathLike[str] | Mapping[str, Any] | None = os.environ.get(MOCK_CONFIG_ENV)
        """The MockConfigFile a `<state machine ARN>#<test case>` start reads (Step Functions Local
        reads the file named by SFN_MOCK_CONFIG; so does a new plan)."""
        self.aliases: dict[str, tuple[str, ...]] = {}
        """Other names a MockConfigFile may give a state machine under StateMachines (the sandbox
        adds each workflow's slug and logical ID: the deployed name depends on the stack)."""
        self.on_hang: Callable[[], object] | None = None
        """Called on the task's thread instead of the default hang (block until the attempt is
        abandoned). A virtual clock sets it to wait on `task_outcome.attempt_ended()` without holding the
        clock; it may also raise TimeoutError to report States.Timeout at once."""

    # -- planning ------------------------------------------------------------
    def fail(
        self,
        state: str,
        error: str,
        cause: str = "",
        times: int | None = None,
        state_machine: str | None = None,
    ) -> FaultPlan:
        """Make `state` fail with `error`/`cause` on its first `times` attempts (None: every attempt)."""
        outcomes, repeat = _repeated(_Fail(error=error, cause=cause), times)
        return self._add(_Rule(state, state_machine, outcomes, repeat))

    def hang(self, state: str, times: int | None = None, state_machine: str | None = None) -> FaultPlan:
        """Make `state` never answer on its first `times` attempts, so its TimeoutSeconds fires.

        A hang without TimeoutSeconds lasts until the execution is stopped (it then ends ABORTED).
        """
        outcomes, repeat = _repeated(_Hang(), times)
        return self._add(_Rule(state, state_machine, outcomes, repeat))

    def mock(
        self, state: str, mocked_response: Mapping[str, Any], state_machine: str | None = None,
        execution_arn: str | None = None,
    ) -> FaultPlan:
        """Answer `state` with one MockedResponses entry: `{"0": {"Return": ...}, "1-2": {"Throw": ...}}`.

        Past the last numbered response the last one repeats, so a mock of "0" alone answers
        every Map iteration or loop pass.
        """
        outcomes = _outcomes_from_mocked_response(state, mocked_response)
        return self._add(_Rule(state, state_machine, outcomes, repeat_last=True, execution_arn=execution_arn))

    def load_mock_config(
        self, source: str | os.PathLike[str] | Mapping[str, Any], state_machine: str, test_case: str,
        execution_arn: str | None = None,
    ) -> FaultPlan:
        """Mock the states that `test_case` of `state_machine` lists; other states run for real.

        The rules apply only to executions of a state machine with that name, or, given
        `execution_arn`, to that one execution whatever name the file gives its state machine
        (how a `<state machine ARN>#<test case>` start uses them).
        """
        config = _read_mock_config(source)
        only = None if execution_arn else state_machine
        for state, response_name in _test_case_states(config, state_machine, test_case).items():
            mocked_response = _mocked_response_named(config, response_name)
            self.mock(state, mocked_response, state_machine=only, execution_arn=execution_arn)
        return self

    def start_test_case(self, state_machine: str, test_case: str, execution_arn: str) -> None:
        """Apply `test_case` of `mock_config` to the execution about to start as `execution_arn`."""
        if self.mock_config is None:
            raise MockConfigError(
                f"test case {test_case!r} asked for, but no MockConfigFile is set "
                f"({MOCK_CONFIG_ENV} or the sandbox's mock_config)")
        config = _read_mock_config(self.mock_config)
        listed = config.get("StateMachines", {})
        accepted = (state_machine, *self.aliases.get(state_machine, ()))
        key = next((name for name in accepted if name in listed), None)
        if key is None:
            raise MockConfigError(
                f"no state machine under StateMachines is named {' or '.join(dict.fromkeys(accepted))} "
                f"(the file has: {', '.join(listed) or 'none'})")
        self.load_mock_config(config, key, test_case, execution_arn=execution_arn)

    def clear(self) -> None:
        """Forget every rule, attempt counter and injection record."""
        with self._lock:
            self._rules.clear()
            self._attempts.clear()
            self.injected.clear()

    def forget(self, execution_arn: str) -> None:
        """Drop the rules bound to one execution and its attempt counters (it has ended for good)."""
        with self._lock:
            self._rules = [rule for rule in self._rules if rule.execution_arn != execution_arn]
            self._attempts = {key: count for key, count in self._attempts.items() if key[0] != execution_arn}

    def may_hang(self, state: str) -> bool:
        """Whether some attempt of a state of that name may be made to hang (counts no attempt)."""
        if not self._rules:  # a plan with no rules (every run without faults): asked at every Task, no lock
            return False
        with self._lock:
            return any(rule.state == state and any(isinstance(outcome, _Hang) for outcome in rule.outcomes)
                       for rule in self._rules)

    def attempts(self, execution_arn: str, state: str) -> int:
        """How many times `state` has been evaluated in that execution so far."""
        with self._lock:
            return self._attempts.get((execution_arn, state), 0)

    def _add(self, rule: _Rule) -> FaultPlan:
        with self._lock:
            self._rules.append(rule)
        return self

    # -- answering ------------------------------------------------------------
    def next_outcome(self, execution_arn: str, state_machine: str, state: str) -> _Outcome | None:
        """Count one attempt of `state` and return what should replace its service call, if anything."""
        with self._lock:
            key = (execution_arn, state)
            attempt = self._attempts.get(key, 0)
            self._attempts[key] = attempt + 1
            outcome = self._outcome_for(execution_arn, state_machine, state, attempt)
            if outcome is not None:
                self.injected.append(Injection(execution_arn, state, attempt, _recorded_error(outcome)))
            return outcome

    def _outcome_for(self, execution_arn: str, state_machine: str, state: str, attempt: int) -> _Outcome | None:
        for rule in reversed(self._rules):
            if rule.state == state:
                outcome = rule.outcome_for(state_machine, attempt, execution_arn)
                if outcome is not None:
                    return outcome
        return None


def _recorded_error(outcome: _Outcome) -> str | None:
    if isinstance(outcome, _Fail):
        return outcome.error
    return HANG if isinstance(outcome, _Hang) else None


def load_mock_config(
    source: str | os.PathLike[str] | Mapping[str, Any],
    state_machine: str,
    test_case: str,
    plan: FaultPlan | None = None,
) -> FaultPlan:
    """Load one MockConfigFile test case into `plan` (a new plan if None) and return it."""
    return (plan or FaultPlan()).load_mock_config(source, state_machine, test_case)


# -- MockConfigFile parsing ------------------------------------------------------


def _read_mock_config(source: str | os.PathLike[str] | Mapping[str, Any]) -> Mapping[str, Any]:
    """A dict is used as is; anything else is a path to the JSON file."""
    if isinstance(source, Mapping):
        return source
    with Path(source).open(encoding="utf-8") as handle:
        loaded = json.load(handle)
    if not isinstance(loaded, dict):
        raise MockConfigError(f"{source}: a MockConfigFile is a JSON object")
    return loaded


def _test_case_states(config: Mapping[str, Any], state_machine: str, test_case: str) -> Mapping[str, str]:
    machine = config.get("StateMachines", {}).get(state_machine)
    if machine is None:
        raise MockConfigError(f"no state machine {state_machine!r} under StateMachines")
    states = machine.get("TestCases", {}).get(test_case)
    if states is None:
        raise MockConfigError(f"no test case {test_case!r} for state machine {state_machine!r}")
    return states


def _mocked_response_named(config: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    mocked_response = config.get("MockedResponses", {}).get(name)
    if mocked_response is None:
        raise MockConfigError(f"no MockedResponses entry {name!r}")
    return mocked_response


def _parse_range(key: str) -> tuple[int, int]:
    """Key "3" is invocation 3; key "1-2" is invocations 1 to 2 inclusive."""
    first, _, last = key.strip().partition("-")
    try:
        start, end = int(first), int(last or first)
    except ValueError:
        raise MockConfigError(f"invocation key {key!r} is neither 'n' nor 'n-m'") from None
    if start < 0 or end < start:
        raise MockConfigError(f"invocation range {key!r} is empty or negative")
    return start, end


def _outcome_from(where: str, response: Mapping[str, Any]) -> _Outcome:
    """Each numbered response holds exactly one of Return (the service result) or Throw."""
    if ("Return" in response) == ("Throw" in response):
        raise MockConfigError(f"{where}: needs exactly one of Return or Throw")
    if "Return" in response:
        return _Return(payload=response["Return"])
    throw = response["Throw"]
    if not isinstance(throw, Mapping) or not throw.get("Error"):
        raise MockConfigError(f"{where}: Throw needs an Error")
    return _Fail(error=str(throw["Error"]), cause=str(throw.get("Cause", "")))


def _outcomes_from_mocked_response(state: str, mocked_response: Mapping[str, Any]) -> tuple[_Outcome, ...]:
    """Expand numbered ranges into one outcome per invocation; they must run 0, 1, 2... without gaps."""
    ranges = sorted((_parse_range(key), key) for key in mocked_response)
    outcomes: list[_Outcome] = []
    for (start, end), key in ranges:
        if start != len(outcomes):
            raise MockConfigError(
                f"mock for {state!r}: invocation {len(outcomes)} missing or overlapping ({key!r})"
            )
        outcome = _outcome_from(f"mocked response for {state!r}, key {key!r}", mocked_response[key])
        outcomes.extend([outcome] * (end - start + 1))
    if not outcomes:
        raise MockConfigError(f"mocked response for {state!r} defines no invocation")
    return tuple(outcomes)

