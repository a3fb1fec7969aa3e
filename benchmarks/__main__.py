"""Sandbox benchmarks: `python -m benchmarks` (or `make bench`).

Measures what the sandbox costs in wall time, so the suite's speed claims have
numbers behind them (tests never assert on time):

- overhead per state transition (a Pass/Choice loop of N turns),
- the wall time of a 48-hour Wait on the virtual clock,
- the document-processing licence path end to end,
- optionally (`--account-application N`) an account application with N interests,
- optionally (`--make-test`) the wall time of `make test`.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import statistics
import subprocess  # nosec B404
import time
import uuid
from pathlib import Path
from typing import Any

from sandbox.core import Sandbox

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixture" / "template.yaml"


def _timed(fn, repeat: int) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def transition_overhead(sb: Sandbox, turns: int, repeat: int) -> dict[str, float]:
    seconds, run = _timed(lambda: sb.run("loop", {"limit": turns, "count": 0}), repeat)
    transitions = len(run.path)
    return {"transitions": transitions, "wall_s": round(seconds, 3),
            "ms_per_transition": round(seconds * 1000 / transitions, 3)}


def long_wait(sb: Sandbox, repeat: int) -> dict[str, float]:
    seconds, run = _timed(lambda: sb.run("long-wait", {}), repeat)
    waited = run.history[-1]["timestamp"] - run.history[0]["timestamp"]
    return {"virtual_hours": waited.total_seconds() / 3600, "wall_ms": round(seconds * 1000, 1)}


def document_processing(repeat: int) -> dict[str, float]:
    """The licence path; each repetition is a new upload (the workflow processes an upload once)."""
    template = json.loads((ROOT / "events/document-processing/licence.json").read_text())
    uploads = itertools.count(1)

    def upload() -> Any:
        event = copy.deepcopy(template)
        event["id"] = str(uuid.uuid4())
        event["detail"]["object"]["sequencer"] = f"{next(uploads):018X}"
        return sb.run("document-processing", event)

    with Sandbox.from_template(ROOT / "template.yaml") as sb:
        sb.seed(ROOT / "events/document-processing/objects.json")
        seconds, run = _timed(upload, repeat)
    if run.status != "SUCCEEDED":
        raise SystemExit(f"document-processing benchmark: the licence run ended {run.status} {run.error}")
    return {"states": len(run.path), "wall_ms": round(seconds * 1000, 1)}


def sandbox_startup(repeat: int) -> dict[str, float]:
    def start() -> None:
        with Sandbox.from_template(ROOT / "template.yaml"):
            pass

    start()  # the first start pays imports and the ASL parser's warm-up
    seconds, _ = _timed(start, repeat)
    return {"wall_ms": round(seconds * 1000, 1)}


def make_test() -> dict[str, float]:
    start = time.perf_counter()
    # bandit B404 B603 B607: a fixed command (`make test`, make from PATH), no input reaches it
    subprocess.run(["make", "test"], cwd=ROOT, check=True, capture_output=True)  # nosec B603, B607
    return {"wall_s": round(time.perf_counter() - start, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--turns", type=int, default=250)
    parser.add_argument("--make-test", action="store_true", help="also time `make test` (minutes)")
    parser.add_argument("--account-application", type=int, metavar="N", dest="account_application",
                        help="also time an account application with N interests (N events published)")
    parser.add_argument("--glacier", type=int, metavar="N",
                        help="also time a glacier restore request of N objects and the 48-hour story")
    args = parser.parse_args()
    results: dict[str, object] = {"sandbox_startup": sandbox_startup(args.repeat)}
    with Sandbox.from_template(FIXTURE) as sb:
        results["transition_overhead"] = transition_overhead(sb, args.turns, args.repeat)
        results["wait_48h"] = long_wait(sb, args.repeat)
    results["document_processing_licence"] = document_processing(args.repeat)
    if args.glacier:
        from benchmarks import glacier_restore

        results["glacier_restore_story"] = glacier_restore.story()
        results["glacier_restore_request"] = glacier_restore.bench(args.glacier)
    if args.account_application:
        from benchmarks import account_application

        results["account_application"] = account_application.bench(args.account_application)
    if args.make_test:
        results["make_test"] = make_test()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
