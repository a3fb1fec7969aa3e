"""Run the conformance cases on one engine and compare each outcome with AWS's documented one.

A case is `{"name", "doc", "definition", "input", "expected"}`; `expected` holds `status` and
`output`, or `error` (and `cause` when the documentation gives it), and optionally `events`
(how many history events of a type), `elapsed_seconds` (whole seconds between the first and the
last history event) or `max_elapsed_seconds`.

Both engines are driven through the same boto3 Step Functions client calls, inside one
`mock_aws`: the sandbox (`engine="sandbox"`, with every fix) or moto alone (`engine="moto"`,
which must run in a process of its own: the sandbox's fixes patch moto for the whole process).
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CASES_DIR = Path(__file__).resolve().parent / "cases"
TEMPLATE = Path(__file__).resolve().parent / "template.yaml"
REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/conformance"
QUEUE_NAME = "conformance"
CHAPTERS = ("paths", "intrinsics", "jsonata", "variables", "map", "parallel", "errors", "timeouts", "context")
"""Report order: the ASL reference's chapters."""
WALL_SECONDS = 30.0
"""Longest a case may run in wall time (plain moto waits in real time)."""


@dataclass(frozen=True)
class Case:
    chapter: str
    name: str
    doc: str
    definition: dict[str, Any]
    input: Any
    expected: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.chapter}/{self.name}"


def load_cases() -> list[Case]:
    """Every case, chapter by chapter in report order."""
    cases = []
    for chapter in CHAPTERS:
        for raw in json.loads((CASES_DIR / f"{chapter}.json").read_text()):
            cases.append(Case(chapter, raw["name"], raw["doc"], raw["definition"], raw["input"], raw["expected"]))
    return cases


@dataclass(frozen=True)
class Engine:
    """A Step Functions client, and what to do while an execution waits (move time on, or nothing)."""

    sfn: Any
    idle: Callable[[], None] = lambda: None


@contextmanager
def open_engine(engine: str) -> Iterator[Engine]:
    """`engine` ("sandbox" or "moto") with the callback queue made."""
    import boto3

    if engine == "sandbox":
        from sandbox.core import Sandbox
        from sandbox.session import shared_client

        with Sandbox.from_template(TEMPLATE) as sb:
            shared_client(sb.region, "sqs").create_queue(QueueName=QUEUE_NAME)

            def idle() -> None:
                # Nobody answers a callback here: let its timeout come, as it would on AWS.
                if not sb.clock.is_busy:
                    sb.clock.advance_to_next(include_external=True)

            yield Engine(sb.sfn, idle)
        return
    from moto import mock_aws

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        boto3.client("sqs", region_name=REGION).create_queue(QueueName=QUEUE_NAME)
        yield Engine(boto3.client("stepfunctions", region_name=REGION))


def run_case(engine: Engine, case: Case) -> dict[str, Any]:
    """Execute the case; its description (status, output, error, cause) and event counts and span."""
    sfn = engine.sfn
    try:
        arn = sfn.create_state_machine(name=f"c-{uuid.uuid4().hex[:12]}", definition=json.dumps(case.definition),
                                       roleArn=ROLE_ARN)["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=arn, name=uuid.uuid4().hex,
                                        input=json.dumps(case.input))["executionArn"]
    except Exception as error:  # the engine refused the definition: that is the outcome
        return {"status": "REFUSED", "cause": f"{type(error).__name__}: {error}"[:300]}
    deadline = time.monotonic() + WALL_SECONDS
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            sfn.stop_execution(executionArn=execution)
            return {"status": "STILL_RUNNING"}
        time.sleep(0.002)
        engine.idle()
    events = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    outcome = {key: described.get(key) for key in ("status", "error", "cause")}
    try:
        outcome["output"] = json.loads(described["output"]) if "output" in described else None
    except ValueError:
        outcome["output"] = {"<not JSON>": described["output"]}
    outcome["events"] = dict(Counter(event["type"] for event in events))
    outcome["elapsed"] = (events[-1]["timestamp"] - events[0]["timestamp"]).total_seconds() if events else 0.0
    return outcome


def mismatch(case: Case, outcome: dict[str, Any]) -> str | None:
    """Why the outcome differs from the expected one, or None when it conforms."""
    expected = case.expected
    if outcome.get("status") != expected["status"]:
        got = f"{outcome.get('status')} ({outcome.get('error')}: {outcome.get('cause')})"
        return f"status {got}, not {expected['status']}"
    if "output" in expected and outcome.get("output") != expected["output"]:
        return f"output {json.dumps(outcome.get('output'))}, not {json.dumps(expected['output'])}"
    if expected["status"] == "FAILED" and outcome.get("error") != expected.get("error"):
        return f"error {outcome.get('error')!r}, not {expected.get('error')!r}"
    if "cause" in expected and outcome.get("cause") != expected["cause"]:
        return f"cause {outcome.get('cause')!r}, not {expected['cause']!r}"
    for event_type, count in (expected.get("events") or {}).items():
        if outcome["events"].get(event_type, 0) != count:
            return f"{outcome['events'].get(event_type, 0)} {event_type} events, not {count}"
    if "elapsed_seconds" in expected and math.floor(outcome["elapsed"] + 1e-6) != expected["elapsed_seconds"]:
        return f"took {outcome['elapsed']:.3f} s, not {expected['elapsed_seconds']} s"
    if "max_elapsed_seconds" in expected and outcome["elapsed"] > expected["max_elapsed_seconds"] + 1e-6:
        return f"took {outcome['elapsed']:.3f} s, more than {expected['max_elapsed_seconds']} s"
    return None


def run_all(engine: str, cases: list[Case] | None = None) -> dict[str, str | None]:
    """Case id -> mismatch (None: conforms) for every case on `engine`."""
    results: dict[str, str | None] = {}
    with open_engine(engine) as opened:
        for case in cases if cases is not None else load_cases():
            results[case.id] = mismatch(case, run_case(opened, case))
    return results
