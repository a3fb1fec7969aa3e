"""Generated blocks inside hand-written docs pages, and the `--check`/`--write` CLI that keeps them.

The diagram and the cost table of `docs/<slug>.md` are generated from the template; the rest of
the page is prose. Each block sits between a start and an end marker line, and only what lies
between them is ever rewritten, so `make docs` can run at any time without touching the prose.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

EXIT_OK, EXIT_OUT_OF_DATE, EXIT_USAGE = 0, 1, 2

Check = Callable[[Path, Path | None], list[str]]
Write = Callable[[Path, Path | None], list[Path]]


def has_block(text: str, start_marker: str, end_marker: str) -> bool:
    return start_marker in text or end_marker in text


def replace_block(text: str, block: str, start_marker: str, end_marker: str, path: Path) -> str:
    """`text` with the block between the markers (markers included) replaced by `block`."""
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < start or text.count(start_marker) != 1 or text.count(end_marker) != 1:
        raise ValueError(f"{path}: needs exactly one {start_marker} line followed by one {end_marker} line")
    return text[:start] + block + text[end + len(end_marker):]


def main(prog: str, what: str, check: Check, write: Write, argv: list[str] | None = None) -> int:
    """`--check` lists the stale pages (exit 1), `--write` regenerates them; 2 on bad usage."""
    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=f"{what} blocks of the docs pages")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help=f"exit 1 listing the pages whose {what} is out of date")
    mode.add_argument("--write", action="store_true", help=f"regenerate the {what} block of every page")
    parser.add_argument("--template", default="template.yaml", help="SAM template (default: template.yaml)")
    parser.add_argument("--docs", help="docs directory (default: docs/ beside the template)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code else EXIT_OK
    template = Path(args.template)
    if not template.is_file():
        print(f"{prog}: template not found: {template}", file=sys.stderr)
        return EXIT_USAGE
    docs_dir = Path(args.docs) if args.docs else None
    try:
        if args.check:
            problems = check(template, docs_dir)
            for problem in problems:
                print(problem, file=sys.stderr)
            return EXIT_OUT_OF_DATE if problems else EXIT_OK
        for path in write(template, docs_dir):
            print(f"updated {path}")
    except (ValueError, OSError) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return EXIT_OUT_OF_DATE
    return EXIT_OK
