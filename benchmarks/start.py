"""The CLI's start as a user sees it: a new process running one short execution.

    python -m benchmarks.start [--repeat 5]

`cli_run(repeat)` times `sandbox run document-processing --event events/document-processing/car.json`
as a new process (min / median wall seconds, disk cache warm after the first run); `phases()`
splits one such run, in a new process, into imports, `Sandbox.__enter__` (provisioning the
template), the execution and its output, and the exit (what follows `main`: the process ending).
"""

from __future__ import annotations

import argparse
import json
import statistics

# bandit B404: runs this checkout's own `sandbox` command
import subprocess  # nosec B404
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COMMAND = ["run", "document-processing", "--event", "events/document-processing/car.json"]

_PHASES = """
import gc, sys, time
started = time.perf_counter()
import sandbox.cli as cli
gc.disable()  # as `cli.entry` does before `main` imports the rest
import sandbox.core as core
imported = time.perf_counter()
marks = {}
enter, exit_ = core.Sandbox.__enter__, core.Sandbox.__exit__
def timed_enter(self):
    at = time.perf_counter()
    result = enter(self)
    marks["entered"] = time.perf_counter()
    marks["enter"] = marks["entered"] - at
    return result
def timed_exit(self, *exc):
    marks["execution"] = time.perf_counter() - marks["entered"]; return exit_(self, *exc)
core.Sandbox.__enter__, core.Sandbox.__exit__ = timed_enter, timed_exit
sys.argv = ["sandbox", *sys.argv[1:]]
import atexit, json, os
real_exit = os._exit
def report(code):
    sys.stderr.write("PHASES " + json.dumps({"imports": imported - started, **marks, "main_end": time.time()}) + "\\n")
    sys.stderr.flush()
    real_exit(code)
os._exit = report
cli.entry()
"""


def _sandbox_command() -> list[str]:
    return [str(Path(sys.executable).parent / "sandbox"), *COMMAND]


def cli_run(repeat: int = 5) -> dict[str, Any]:
    """Wall seconds of the whole command, new process each time (one warm-up run first)."""
    samples = []
    for index in range(repeat + 1):
        started = time.perf_counter()
        subprocess.run(_sandbox_command(), cwd=ROOT, check=True, capture_output=True)  # nosec B603
        if index:
            samples.append(time.perf_counter() - started)
    return {"runs": repeat, "min_s": round(min(samples), 3), "median_s": round(statistics.median(samples), 3)}


def phases() -> dict[str, float]:
    """Seconds of each phase of one run in a new process (exit: from `main`'s end to the process's)."""
    started = time.time()
    done = subprocess.run([sys.executable, "-c", _PHASES, *COMMAND], cwd=ROOT, check=True,  # nosec B603
                          capture_output=True, text=True)
    ended = time.time()
    line = next(line for line in done.stderr.splitlines() if line.startswith("PHASES "))
    marks = json.loads(line.removeprefix("PHASES "))
    return {"total": round(ended - started, 3), "imports": round(marks["imports"], 3),
            "enter": round(marks["enter"], 3), "execution": round(marks["execution"], 3),
            "exit": round(ended - marks["main_end"], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    print(json.dumps({"cli_run": cli_run(args.repeat), "phases": phases()}, indent=2))


if __name__ == "__main__":
    main()
