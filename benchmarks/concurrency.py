"""Many executions at once in one sandbox: every one ends, with the history it has when run alone.

    python -m benchmarks.concurrency --executions 400 --rounds 2

Each round starts `executions` executions of the template's workflows at once, round robin:
account-application through StartSyncExecution (JSONata, Express: one caller thread each),
it-provisioning, document-processing, custom-labels-training and glacier-restore through
StartExecution (JSONPath), each with an input of its own (a new bucket, upload, project,
applicant or archived objects); every glacier-restore request sets off one
glacier-restore-complete execution per object once its restore completes. The sandbox then
settles. Every execution must end, with a well-formed history (ids in order, one terminal
event, the last) whose status and visited states equal those of the same kind of input run
alone before the load; then one more execution runs alone (the sandbox still works). Rounds
run in one process and one sandbox. Reports the executions and the wall time of each round.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sandbox.core import TERMINAL, Run, Sandbox

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
STARTED = ("account-application", "it-provisioning", "document-processing", "custom-labels-training", "glacier-restore")
"""The workflows a round starts, in round-robin order (glacier-restore-complete follows glacier-restore)."""
TRIGGERED_BY = {"glacier-restore-complete": "glacier-restore"}
"""Workflows started by another's events, and that other."""
TERMINAL_EVENTS = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}

_unique = itertools.count(1)
Signature = tuple[str, tuple[tuple[str, int], ...]]
"""A run's status and how often it entered each state."""


def _event(slug: str, name: str) -> Any:
    return json.loads((EVENTS / slug / name).read_text())


def _application(_sb: Sandbox, n: int) -> Any:
    body = _event("account-application", "approved.json")
    body["idempotencyKey"] = f"load-{n:06}"
    body["application"]["email"] = f"load-{n:06}@example.com"
    return body


def _provisioning(_sb: Sandbox, n: int) -> Any:
    body = _event("it-provisioning", "auto-approve.json")
    body["parameters"]["bucketName"] = f"load-reports-{n:06}"
    return body


def _upload(_sb: Sandbox, n: int) -> Any:
    body = _event("document-processing", "licence.json")
    body["id"] = f"0f3c1d2e-7a4b-4c5d-9e8f-{n:012}"
    body["detail"]["object"]["sequencer"] = f"{n:018X}"
    return body


def _training(_sb: Sandbox, n: int) -> Any:
    body = _event("custom-labels-training", "happy.json")
    body["projectName"] = f"load-pets-{n:06}"
    return body


def _restore(sb: Sandbox, n: int) -> Any:
    """A key-list request over two archived objects of its own (seeded without events)."""
    body = _event("glacier-restore", "keys.json")
    body["keys"] = [f"load/{n:06}/report.pdf", f"load/{n:06}/ledger.xlsx"]
    assert sb.router is not None
    with sb.router.muted():
        for key in body["keys"]:
            sb.put_object("ArchiveBucket", key, "archived", storage_class="DEEP_ARCHIVE")
    return body


INPUTS: dict[str, Callable[[Sandbox, int], Any]] = {
    "account-application": _application,
    "it-provisioning": _provisioning,
    "document-processing": _upload,
    "custom-labels-training": _training,
    "glacier-restore": _restore,
}


def prepare(sb: Sandbox) -> None:
    """Seed what the sample inputs read (licence image, training manifest, existing accounts...)."""
    for slug in STARTED:
        seed = EVENTS / slug / "objects.json"
        if seed.is_file():
            sb.seed(seed)


def start(sb: Sandbox, slug: str, pool: ThreadPoolExecutor) -> Any:
    """Start one execution of `slug` with a fresh input: an ARN, or a future of it for a synchronous one."""
    body = json.dumps(INPUTS[slug](sb, next(_unique)))
    arn = sb.workflow(slug).arn
    if sb.workflow(slug).type == "EXPRESS":
        return pool.submit(lambda: sb.sfn.start_sync_execution(stateMachineArn=arn, input=body)["executionArn"])
    return sb.sfn.start_execution(stateMachineArn=arn, input=body)["executionArn"]


def history_problems(run: Run) -> list[str]:
    """What is wrong with a run's history: ids out of order, no start, a terminal event missing or not last."""
    events = run.history
    problems = []
    if [e["id"] for e in events] != list(range(1, len(events) + 1)):
        problems.append("event ids are not 1..n in order")
    if any(e.get("previousEventId", 0) >= e["id"] for e in events):
        problems.append("an event points at a later event")
    if not events or events[0]["type"] != "ExecutionStarted":
        problems.append("does not begin with ExecutionStarted")
    ends = [e["type"] for e in events if e["type"] in TERMINAL_EVENTS]
    if len(ends) != 1 or events[-1]["type"] != ends[0]:
        problems.append(f"terminal events {ends}, last event {events[-1]['type'] if events else None}")
    elif TERMINAL_EVENTS[ends[0]] != run.status:
        problems.append(f"history ends {ends[0]} but the status is {run.status}")
    return problems


def signature(run: Run) -> Signature:
    """Status and how often each state was entered: what concurrency must not change (only interleavings)."""
    return run.status, tuple(sorted(collections.Counter(run.path).items()))


def signatures(runs: list[Run]) -> dict[str, collections.Counter[Signature]]:
    """How many runs of each workflow ended each way."""
    found: dict[str, collections.Counter[Signature]] = collections.defaultdict(collections.Counter)
    for run in runs:
        found[run.workflow][signature(run)] += 1
    return found


def references(sb: Sandbox) -> dict[str, collections.Counter[Signature]]:
    """Each workflow's signatures when its input runs alone.

    A glacier-restore request sets off one glacier-restore-complete per object: the last one
    to complete also closes the request, so that workflow has two signatures, one of each per request.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        for slug in STARTED:
            started = start(sb, slug, pool)
            sb.wait(started.result() if hasattr(started, "result") else started, wall_timeout=120)
    found = signatures(sb.settle(wall_timeout=120))
    missing = {*STARTED, *TRIGGERED_BY} - set(found)
    if missing:
        raise SystemExit(f"no reference run of {sorted(missing)}")
    return found


def mismatches(
    found: dict[str, collections.Counter[Signature]],
    expected: dict[str, collections.Counter[Signature]],
    started: collections.Counter[str],
) -> list[str]:
    """Workflows whose runs did not end as the reference's, times the executions started of that kind."""
    problems = []
    for slug in {*found, *started, *TRIGGERED_BY}:
        counts, reference = found.get(slug, collections.Counter()), expected.get(slug, collections.Counter())
        times = started[TRIGGERED_BY.get(slug, slug)]
        if counts != collections.Counter({s: n * times for s, n in reference.items()}):
            odd = [(s, n) for s, n in counts.items() if s not in reference][:3]
            problems.append(f"{slug}: {odd or dict(counts)} instead of {times} x {dict(reference)}")
    return problems


def load_round(
    sb: Sandbox, executions: int, expected: dict[str, collections.Counter[Signature]], wall_timeout: float = 1200
) -> dict[str, Any]:
    """Start `executions` executions at once, settle, and check every one; returns the round's figures."""
    before = {run.execution_arn for run in sb.executions(histories=False)}
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, executions // len(STARTED) + 1)) as pool:
        kinds = [STARTED[i % len(STARTED)] for i in range(executions)]
        started = [start(sb, slug, pool) for slug in kinds]
        [s.result() for s in started if hasattr(s, "result")]
    sb.settle(wall_timeout=wall_timeout, histories=False)
    wall = time.perf_counter() - began
    runs = [run for run in sb.executions() if run.execution_arn not in before]
    problems = [
        f"{run.workflow} {run.execution_arn.rsplit(':', 1)[1]}: {problem}"
        for run in runs
        for problem in history_problems(run)
    ]
    problems += mismatches(signatures(runs), expected, collections.Counter(kinds))
    probe = sb.run("it-provisioning", _provisioning(sb, next(_unique)), wall_timeout=120)
    if signature(probe) not in expected["it-provisioning"]:
        problems.append(f"probe after the load: {signature(probe)}")
    return {
        "executions": len(runs),
        "started": executions,
        "by_workflow": dict(sorted(collections.Counter(run.workflow for run in runs).items())),
        "not_terminal": sum(run.status not in TERMINAL for run in runs),
        "problems": problems,
        "wall_s": round(wall, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executions", type=int, default=400, help="executions started at once per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds in one process and one sandbox")
    args = parser.parse_args(argv)
    failed = False
    with Sandbox.from_template(ROOT / "template.yaml") as sb:
        prepare(sb)
        expected = references(sb)
        for number in range(1, args.rounds + 1):
            figures = load_round(sb, args.executions, expected)
            failed |= bool(figures["problems"]) or figures["not_terminal"] > 0
            shown = {**figures, "problems": figures["problems"][:10]}
            print(json.dumps({"round": number, **shown}))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
