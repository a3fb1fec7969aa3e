"""Side-by-side conformance table: the sandbox and plain moto, pass counts per chapter.

    python -m tests.conformance            # print the table (and each case plain moto gets wrong with -v)
    python -m tests.conformance --write    # also put it in README.md between the markers

Plain moto runs in a child process (`--engine moto` prints its results as JSON): the sandbox's
fixes patch moto for the whole process. Plain moto waits in real time (Wait, Retry, timeouts),
so its run takes about a minute; a case that does not end within the runner's wall limit counts
as failed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from tests.conformance.runner import CHAPTERS, load_cases, run_all

README = Path(__file__).resolve().parents[2] / "README.md"
BEGIN, END = "<!-- conformance:begin -->", "<!-- conformance:end -->"


def _plain_moto() -> dict[str, str | None]:
    done = subprocess.run([sys.executable, "-m", "tests.conformance", "--engine", "moto"],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def table(sandbox: dict[str, str | None], moto: dict[str, str | None]) -> str:
    rows = ["| chapter | cases | sandbox | plain moto |", "|---|---:|---:|---:|"]
    totals = [0, 0, 0]
    for chapter in CHAPTERS:
        ids = [case_id for case_id in sandbox if case_id.startswith(f"{chapter}/")]
        counts = [len(ids), sum(sandbox[i] is None for i in ids), sum(moto.get(i, "not run") is None for i in ids)]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        rows.append(f"| {chapter} | {counts[0]} | {counts[1]} | {counts[2]} |")
    rows.append(f"| **all** | **{totals[0]}** | **{totals[1]}** | **{totals[2]}** |")
    return "\n".join(rows)


def write_readme(text: str) -> None:
    readme = README.read_text()
    start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
    README.write_text(readme[:start] + "\n" + text + "\n" + readme[end:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance", description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sandbox", "moto"), help="run one engine and print its results as JSON")
    parser.add_argument("--write", action="store_true", help="put the table in README.md between the markers")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every case that does not conform")
    args = parser.parse_args(argv)
    if args.engine:
        print(json.dumps(run_all(args.engine, load_cases())))
        return 0
    moto = _plain_moto()
    sandbox = run_all("sandbox", load_cases())
    text = table(sandbox, moto)
    print(text)
    if args.verbose:
        for name, results in (("sandbox", sandbox), ("plain moto", moto)):
            for case_id, reason in results.items():
                if reason:
                    print(f"{name}: {case_id}: {reason}")
    if args.write:
        write_readme(text)
    return 1 if any(sandbox.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
