"""The whole glacier story through the CLI, as users run it: a restore of N archived objects, every post-processing.

    python -m benchmarks.glacier_story 1000 10000

Runs `sandbox run glacier-restore --event benchmarks/glacier-story/request.json` as a new process,
its seed file (benchmarks/glacier-story/objects.json: one entry, `"count": N`) written for each N:
the request (Distributed Map over the prefix), 48 virtual hours of the Bulk tier, every object's
"Object Restore Completed" event and its glacier-restore-complete execution, to the last one.
Reports the command's wall and CPU time (the machine may be shared: CPU time says what the run
itself cost), per object too, and checks that the request and all N post-processing runs succeeded.
"""

from __future__ import annotations

import json
import os
import resource

# bandit B404: runs this repository's own command
import subprocess  # nosec B404
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STORY = Path(__file__).parent / "glacier-story"
COMPLETE = "glacier-restore-complete"


def _seed_file(folder: Path, n: int) -> Path:
    spec = json.loads((STORY / "objects.json").read_text())
    for entry in spec["ArchiveBucket"].values():
        entry["count"] = n
    path = folder / "objects.json"
    path.write_text(json.dumps(spec))
    return path


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def story(n: int, *, direct_calls: bool = True, timeout: float = 1800) -> dict[str, Any]:
    """One run of the story over `n` objects; `direct_calls=False` takes botocore's path for every call."""
    sandbox_cli = Path(sys.executable).with_name("sandbox")
    env = {**os.environ, "SANDBOX_DIRECT_CALLS": "1" if direct_calls else "0"}
    with tempfile.TemporaryDirectory() as folder:
        command = [str(sandbox_cli), "run", "glacier-restore", "--event", str(STORY / "request.json"),
                   "--seed", str(_seed_file(Path(folder), n)), "--output", "json"]
        cpu, started = _children_cpu(), time.perf_counter()
        # bandit B603: this repository's own command with fixed arguments
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env, timeout=timeout)  # nosec B603
        wall, cpu = time.perf_counter() - started, _children_cpu() - cpu
    result: dict[str, Any] = {"objects": n, "exit": done.returncode, "wall_s": round(wall, 1),
                              "cpu_s": round(cpu, 1), "wall_ms_per_object": round(wall * 1000 / n, 2),
                              "cpu_ms_per_object": round(cpu * 1000 / n, 2)}
    if done.returncode != 0:
        return {**result, "error": done.stderr.strip().splitlines()[-1:] or ["no output"]}
    out = json.loads(done.stdout)
    post = [run for run in out["triggered"] if run["workflow"] == COMPLETE]
    return {**result, "status": out["status"], "started": (out.get("output") or {}).get("started"),
            "post_processed": sum(1 for run in post if run["status"] == "SUCCEEDED"), "post_runs": len(post)}


def succeeded(result: dict[str, Any]) -> bool:
    """The request succeeded, started every restore, and every object's post-processing succeeded."""
    n = result["objects"]
    return result.get("status") == "SUCCEEDED" and result.get("started") == n and result.get("post_processed") == n


def main(argv: list[str]) -> None:
    for n in [int(arg) for arg in argv] or [1000]:
        print(json.dumps(story(n)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
