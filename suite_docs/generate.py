"""`python -m suite_docs`: regenerate (`--write`) or verify (`--check`) everything derived from template.yaml.

    python -m suite_docs --write   # what `make docs` runs
    python -m suite_docs --check   # exit 1 with a diff summary when a generated file is stale or missing

In this order, on one in-memory tree (`suite_docs.tree`), so that `--check` fails exactly when
`--write` would change a file:

1. `diagrams`: the Mermaid diagram block of every `docs/<slug>.md` (a stub page for a new workflow);
2. `cost`: the cost block of every page, each sample event of `events/<slug>/` run in the sandbox;
3. `catalogue`: `patterns/<slug>/` (standalone template, samconfig.toml, example-workflow.json), the
   deploy block of each pattern's page and the README's workflow table.

Exit codes: 0 in sync (or written), 1 out of date or not generable (a page without its markers, a
template the catalogue cannot split), 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from suite_docs import catalogue, cost_pages, diagrams, patterns
from suite_docs.tree import DIFF_LINES, Tree

EXIT_OK, EXIT_OUT_OF_DATE, EXIT_USAGE = 0, 1, 2
PROG = "python -m suite_docs"


@dataclass(frozen=True)
class Project:
    template: Path
    docs: Path | None = None
    """docs/ beside the template unless given (the diagram and cost blocks; the catalogue reads <root>/docs)."""
    events: Path | None = None


def _diagrams(project: Project, tree: Tree, found: list[str]) -> None:
    diagrams.generate(tree, project.template, project.docs)


def _cost(project: Project, tree: Tree, found: list[str]) -> None:
    cost_pages.generate(tree, project.template, project.docs, project.events)


def _catalogue(project: Project, tree: Tree, found: list[str]) -> None:
    loaded = catalogue.load(project.template)
    patterns.generate(tree, loaded)
    found.extend(patterns.problems(loaded, tree))


JOBS: dict[str, Callable[[Project, Tree, list[str]], None]] = {
    "diagrams": _diagrams, "cost": _cost, "catalogue": _catalogue}


def build(project: Project, jobs: tuple[str, ...] = tuple(JOBS)) -> tuple[Tree, list[str]]:
    """The generated tree and what cannot be generated (one line each). Raises ValueError / OSError."""
    tree, found = Tree(), []
    for name in JOBS:
        if name in jobs:
            JOBS[name](project, tree, found)
    return tree, found


def check(project: Project, jobs: tuple[str, ...] = tuple(JOBS)) -> list[str]:
    """One line per problem and per stale or missing file (empty when everything is in sync)."""
    tree, found = build(project, jobs)
    root = project.template.parent.resolve()
    return [*found, *(stale.summary(root) for stale in tree.drift())]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=(__doc__ or "").splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="exit 1 with a diff summary of what is out of date")
    mode.add_argument("--write", action="store_true", help="regenerate every generated file and block")
    parser.add_argument("--template", default="template.yaml", help="SAM template (default: template.yaml)")
    parser.add_argument("--docs", help="docs directory of the diagram and cost blocks (default: docs/ beside "
                                       "the template)")
    parser.add_argument("--only", action="append", choices=tuple(JOBS),
                        help="run only this generator (repeatable; default: all, in order)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code else EXIT_OK
    template = Path(args.template)
    if not template.is_file():
        print(f"{PROG}: template not found: {template}", file=sys.stderr)
        return EXIT_USAGE
    project = Project(template.resolve(), Path(args.docs).resolve() if args.docs else None)
    try:
        tree, found = build(project, tuple(args.only or JOBS))
    except (ValueError, OSError) as error:  # BlockError, CatalogueError, TemplateError: nothing written
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_OUT_OF_DATE
    root = project.template.parent
    if args.check:
        return _report(tree, found, root)
    for path in tree.write():
        print(f"updated {_shown(path, root)}")
    for line in found:
        print(f"{PROG}: {line}", file=sys.stderr)
    return EXIT_OK


def _report(tree: Tree, found: list[str], root: Path) -> int:
    drift = tree.drift()
    for line in found:
        print(line, file=sys.stderr)
    for stale in drift:
        print(stale.summary(root), file=sys.stderr)
        diff = stale.diff(root)
        shown = diff[:DIFF_LINES]
        for line in shown:
            print(f"    {line}", file=sys.stderr)
        if len(diff) > len(shown):
            print(f"    ... {len(diff) - len(shown)} more diff lines", file=sys.stderr)
    if drift:
        print(f"{len(drift)} generated file(s) out of date: run `make docs` ({PROG} --write)", file=sys.stderr)
    return EXIT_OUT_OF_DATE if drift or found else EXIT_OK


def _shown(path: Path, root: Path) -> Path:
    return path.relative_to(root) if path.is_relative_to(root) else path

