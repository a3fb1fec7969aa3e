"""Sandbox benchmarks, each beside its baseline measured in the same run: `python -m benchmarks` (`make bench`).

Every figure is measured several times, alternating with its baseline (sandbox, baseline, sandbox,
baseline...), so that both see the same machine load; the table gives the min and the median of each.

- CLI start (`sandbox run document-processing --event car.json`, a new process), beside a new
  process that only imports boto3 and moto;
- one execution (the document-processing licence path), beside the same with every service call
  through botocore's HTTP path (`SANDBOX_DIRECT_CALLS=0`);
- overhead per transition (a Pass/Choice loop), beside the same ASL on moto alone
  (`benchmarks/plain_moto.py`, its own process);
- a glacier restore of N objects (the request, then every post-processing execution), the same
  story through the CLI (`sandbox run glacier-restore`, a new process), and an account application
  with N interests, each beside the botocore path;
- `make test`, as the last `make test` recorded it (not re-run).

`--write-readme` rewrites the README's performance block with the table (`make bench` does).
`--glacier 1000 10000` (and `--glacier-story 1000 10000`) for one figure per size, 10,000 run once;
`--make-test` also times a whole `make test` now.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import os
import platform
import statistics
import subprocess  # nosec B404
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.core import Sandbox

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixture" / "template.yaml"
README = ROOT / "README.md"
MAKE_TEST_RECORD = ROOT / ".sandbox" / "make-test.json"
"""Written by `make test` (its pytest wall time) and by `--make-test` (the whole command)."""
README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


@dataclass
class Figure:
    """One measured figure and its baseline: samples in the same unit, taken alternately."""

    name: str
    unit: str
    samples: list[float]
    baseline: str
    baseline_samples: list[float]
    detail: str = ""

    def row(self) -> str:
        def cell(samples: list[float]) -> str:
            if not samples:
                return "-"
            return f"{_fmt(min(samples))} / {_fmt(statistics.median(samples))} {self.unit}"

        ratio = ("-" if not (self.samples and self.baseline_samples)
                 else f"{statistics.median(self.baseline_samples) / statistics.median(self.samples):.1f}x")
        runs = f"{len(self.samples)} run{'s' if len(self.samples) > 1 else ''}"
        name = f"{self.name} ({self.detail}; {runs})" if self.detail else f"{self.name} ({runs})"
        return f"| {name} | {cell(self.samples)} | {cell(self.baseline_samples)} | {self.baseline} | {ratio} |"


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def paired(repeat: int, measure: Callable[[bool], float]) -> tuple[list[float], list[float]]:
    """`measure(True)` (the sandbox as it is) and `measure(False)` (its baseline), alternately, `repeat` times each."""
    new: list[float] = []
    base: list[float] = []
    for _ in range(repeat):
        new.append(measure(True))
        base.append(measure(False))
    return new, base


# -- the figures ----------------------------------------------------------------------------------

def cli_start(repeat: int) -> Figure:
    sandbox_cli = Path(sys.executable).with_name("sandbox")
    command = [str(sandbox_cli), "run", "document-processing", "--event", "events/document-processing/car.json"]
    imports_only = [sys.executable, "-c", "import boto3, moto"]

    def measure(sandbox: bool) -> float:
        started = time.perf_counter()
        # bandit B603: fixed commands of this repository, no outside input
        subprocess.run(command if sandbox else imports_only, cwd=ROOT, check=True, capture_output=True)  # nosec B603
        return time.perf_counter() - started

    measure(True)  # warm the disk cache
    new, base = paired(repeat, measure)
    return Figure("CLI start: `sandbox run document-processing` (car.json), new process", "s", new,
                  "`python -c 'import boto3, moto'`", base)


def document_processing(repeat: int, *, direct_calls: bool | None = None) -> dict[str, float]:
    """The licence path; each repetition is a new upload (the workflow processes an upload once)."""
    template = json.loads((ROOT / "events/document-processing/licence.json").read_text())
    uploads = itertools.count(1)

    def upload() -> Any:
        event = copy.deepcopy(template)
        event["id"] = str(uuid.uuid4())
        event["detail"]["object"]["sequencer"] = f"{next(uploads):018X}"
        return sb.run("document-processing", event)

    with Sandbox.from_template(ROOT / "template.yaml", direct_calls=direct_calls) as sb:
        sb.seed(ROOT / "events/document-processing/objects.json")
        upload()  # the first run imports the handlers and warms the parser: not what one execution costs
        seconds, run = _timed(upload, repeat)
    if run.status != "SUCCEEDED":
        raise SystemExit(f"document-processing benchmark: the licence run ended {run.status} {run.error}")
    return {"states": len(run.path), "wall_ms": round(statistics.median(seconds) * 1000, 1),
            "samples_ms": [round(s * 1000, 2) for s in seconds]}


def one_execution(repeat: int) -> Figure:
    """A new sandbox for each sample (the switch is per sandbox), so that the two modes can take turns."""
    new, base = paired(repeat, lambda direct: document_processing(1, direct_calls=direct)["samples_ms"][0])
    states = document_processing(1)["states"]
    return Figure("one execution: document-processing licence path", "ms", new,
                  "botocore path (`SANDBOX_DIRECT_CALLS=0`)", base, f"{states} states")


def transition_overhead(turns: int, repeat: int) -> Figure:
    payload = json.dumps({"limit": turns, "count": 0})
    with Sandbox.from_template(FIXTURE) as sb:
        sb.run("loop", json.loads(payload))  # the first run pays the parser's warm-up in both
        sandbox_ms: list[float] = []
        for _ in range(repeat):
            started = time.perf_counter()
            run = sb.run("loop", json.loads(payload))
            sandbox_ms.append((time.perf_counter() - started) * 1000 / len(run.path))
    definition = FIXTURE.parent / "statemachines" / "loop.asl.json"
    command = [sys.executable, "-m", "benchmarks.plain_moto", str(definition), payload, str(repeat + 1)]
    # bandit B603: this repository's own module with fixed arguments
    out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout  # nosec B603
    plain = json.loads(out)
    plain_ms = [s * 1000 / plain["transitions"] for s in plain["seconds"][1:]]
    return Figure("overhead per state transition (Pass/Choice loop)", "ms", sandbox_ms,
                  "moto 5.2.5 alone, same ASL", plain_ms, f"{len(run.path)} transitions")


def glacier(n: int, repeat: int) -> list[Figure]:
    """Two figures from the same runs: the restore request alone, and the request with every post-processing."""
    from benchmarks import glacier_restore

    requests: dict[bool, list[float]] = {True: [], False: []}

    def measure(direct: bool) -> float:
        result = glacier_restore.bench(n, post_processing=True, direct_calls=direct)
        if result["status"] != "SUCCEEDED" or result["post_processed"] != n:
            raise SystemExit(f"glacier benchmark: {result}")
        requests[direct].append(result["request_wall_s"])
        return result["request_wall_s"] + result["post_processing_wall_s"]

    for direct in (True, False):  # imports and parser warm-up, paid once by whichever mode runs first
        glacier_restore.bench(5, post_processing=True, direct_calls=direct)
    new, base = paired(repeat, measure)
    return [Figure(f"glacier restore request over {n:,} objects (Distributed Map)", "s", requests[True],
                   "botocore path", requests[False], f"{n:,} child executions"),
            Figure(f"glacier restore of {n:,} objects + their post-processing", "s", new,
                   "botocore path", base, f"{n + 1:,} executions")]


def glacier_story(n: int, repeat: int) -> Figure:
    from benchmarks import glacier_story as bench

    def measure(direct: bool) -> float:
        result = bench.story(n, direct_calls=direct)
        if not bench.succeeded(result):
            raise SystemExit(f"glacier story benchmark: {result}")
        return float(result["wall_s"])

    new, base = paired(repeat, measure)
    return Figure(f"`sandbox run glacier-restore` over {n:,} archived objects, every post-processing included, "
                  "new process", "s", new, "botocore path", base, f"{n + 1:,} executions")


def account_application(n: int, repeat: int) -> Figure:
    from benchmarks import account_application as bench

    for direct in (True, False):  # imports and parser warm-up, paid once by whichever mode runs first
        bench.bench(10, direct_calls=direct)
    new, base = paired(repeat, lambda direct: bench.bench(n, direct_calls=direct)["wall_s"])
    return Figure(f"account application with {n:,} interests", "s", new, "botocore path", base,
                  f"{n:,} events published")


def recorded_make_test() -> Figure | None:
    if not MAKE_TEST_RECORD.is_file():
        return None
    record = json.loads(MAKE_TEST_RECORD.read_text())
    name = "whole `make test`" if "make_test_wall_s" in record else "`make test`'s pytest (recorded)"
    seconds = record.get("make_test_wall_s", record.get("pytest_wall_s"))
    detail = f"{record.get('workers', '?')} workers, {record.get('at', '?')}"
    return Figure(name, "s", [seconds], "-", [], detail)


def make_test() -> dict[str, float]:
    start = time.perf_counter()
    # bandit B404 B603 B607: a fixed command (`make test`, make from PATH), no input reaches it
    subprocess.run(["make", "test"], cwd=ROOT, check=True, capture_output=True)  # nosec B603, B607
    wall = round(time.perf_counter() - start, 1)
    record = json.loads(MAKE_TEST_RECORD.read_text()) if MAKE_TEST_RECORD.is_file() else {}
    record.update(make_test_wall_s=wall, at=datetime.now(UTC).strftime("%Y-%m-%d"))
    MAKE_TEST_RECORD.write_text(json.dumps(record))
    return {"wall_s": wall}


def long_wait(repeat: int) -> dict[str, float]:
    with Sandbox.from_template(FIXTURE) as sb:
        seconds, run = _timed(lambda: sb.run("long-wait", {}), repeat)
    waited = run.history[-1]["timestamp"] - run.history[0]["timestamp"]
    return {"virtual_hours": waited.total_seconds() / 3600, "wall_ms": round(statistics.median(seconds) * 1000, 1)}


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return samples, result


# -- the README block ---------------------------------------------------------------------------

def table(figures: list[Figure]) -> str:
    cores = os.cpu_count() or 1
    lines = [
        README_START,
        "<!-- Generated by `make bench` (python -m benchmarks --write-readme): do not edit. -->",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {cores} cores (Python {platform.python_version()}); "
        "min / median of each figure and of its baseline, measured in the same run (taking turns where both "
        "can run in one process). Machine load from other work shifts both alike: read the ratio.",
        "",
        "| figure | sandbox | baseline | baseline is | baseline ÷ sandbox |",
        "|---|---|---|---|---|",
        *(figure.row() for figure in figures),
        README_END,
    ]
    return "\n".join(lines)


def write_readme(block: str, readme: Path = README) -> None:
    from suite_docs.blocks import replace_block

    readme.write_text(replace_block(readme.read_text(), block, README_START, README_END, readme))


def _long_runs(objects: int, repeat: int) -> int:
    """Runs of a glacier figure: `repeat`, but one at 10,000 objects and more (minutes per run)."""
    return 1 if objects >= 10_000 else repeat


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each figure and of its baseline")
    parser.add_argument("--long-repeat", type=int, default=3, help="runs of the glacier and account figures")
    parser.add_argument("--turns", type=int, default=250)
    parser.add_argument("--glacier", type=int, nargs="+", metavar="N", default=[1000],
                        help="objects to restore, one figure per N (default 1000; 0 skips it)")
    parser.add_argument("--glacier-story", type=int, nargs="+", metavar="N", dest="glacier_story", default=[1000],
                        help="objects of the CLI glacier story, one figure per N (default 1000; 0 skips it)")
    parser.add_argument("--account-application", type=int, metavar="N", dest="account_application", default=1000,
                        help="interests of the account application (default 1000)")
    parser.add_argument("--make-test", action="store_true", help="also time a whole `make test` now (minutes)")
    parser.add_argument("--write-readme", action="store_true", help="rewrite the README's performance block")
    args = parser.parse_args(argv)
    if args.make_test:
        make_test()
    figures = [cli_start(args.repeat), one_execution(args.repeat), transition_overhead(args.turns, args.repeat)]
    figures += [figure for n in args.glacier if n for figure in glacier(n, _long_runs(n, args.long_repeat))]
    figures += [glacier_story(n, _long_runs(n, args.long_repeat)) for n in args.glacier_story if n]
    if args.account_application:
        figures.append(account_application(args.account_application, args.long_repeat))
    recorded = recorded_make_test()
    if recorded is not None:
        figures.append(recorded)
    block = table(figures)
    print(block)
    print(json.dumps({"wait_48h": long_wait(args.repeat)}))
    if args.write_readme:
        write_readme(block)
        print(f"updated {README}")


if __name__ == "__main__":
    main()
