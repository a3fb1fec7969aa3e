"""The sandbox in pytest: the `sandbox` fixture, and the ASL coverage of the session.

Installing the package registers this plugin (the `pytest11` entry point `sandbox.pytest_plugin`):
no conftest is needed. The `sandbox` fixture is the project's template running offline, fresh for
each test (`with Sandbox.from_template(...)` around the test); the template is `template.yaml` in
pytest's rootdir, `--sandbox-template` to change it, or override the `sandbox_template` fixture.

Every `Sandbox` hands its executions to this plugin as it stops (`sandbox.core.RECORDERS`), so every
test that runs a workflow counts, whatever fixture or helper it used. Executions of other templates
are not counted.

At the end of the session, for every state machine of the template (default: the
`--sandbox-template`; `--asl-coverage-template` to measure another one):

* a table is printed: executions, states entered / total, transitions taken / total (as
  `sandbox.coverage` counts them: Next, each Choice rule and Default, each Catch, each end of a
  scope, inside Map and Parallel bodies too), then the uncovered states and transitions by name;
* the same report is written as JSON to `.sandbox/coverage.json` (`--asl-coverage-json` to change it);
* with `--asl-coverage-gate` (what `make test` passes: the whole suite runs there), the session
  fails when any state machine is below 100 % of its states or of its transitions. Without it a
  partial run (`pytest tests/x.py`) only reports.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sandbox.asl_graph import Edge, Graph, parse
from sandbox.coverage import Uncovered, coverage

if TYPE_CHECKING:
    from sandbox.core import Run, Sandbox
    from sandbox.history import HistoryEvent

GATE_EXIT = pytest.ExitCode.TESTS_FAILED
MAX_LISTED = 40
"""Uncovered states and transitions listed per state machine at the end of the run (all are in the JSON)."""


@dataclass
class MachineCoverage(Uncovered):
    """Everything the session's executions of one state machine went through."""

    slug: str
    graph: Graph
    definition: dict[str, Any] = field(default_factory=dict)
    executions: int = 0
    visited: set[str] = field(default_factory=set)
    taken: set[Edge] = field(default_factory=set)
    unresolved: set[tuple[str, str]] = field(default_factory=set)
    undeclared: set[tuple[str, str]] = field(default_factory=set)

    def add(self, histories: list[list[HistoryEvent]]) -> None:
        report = coverage(self.graph, histories)
        self.executions += len(histories)
        self.visited |= report.visited & set(self.graph.states)
        self.taken |= report.taken
        self.unresolved |= {(t.source, t.target) for t in report.unresolved}
        self.undeclared |= {(t.source, t.target) for t in report.undeclared}

    def add_children(self, runs: list[Run]) -> None:
        """Distributed Map children run as executions of their own: count them in the Map's scope."""
        from sandbox.map_children import map_children

        by_key = {(e.source, e.target, e.kind, e.index, e.label): e for e in self.graph.edges}
        for body, children in map_children(self.definition, (run.execution_arn for run in runs)):
            prefix = body.prefix
            report = coverage(parse(body.processor), children)
            self.visited |= {prefix + state for state in report.visited} & set(self.graph.states)
            for edge in report.taken:
                key = (prefix + edge.source, prefix + edge.target, edge.kind, edge.index, edge.label)
                if key in by_key:
                    self.taken.add(by_key[key])
            # Entering the processor scope happened in the parent when any child ran.
            start = body.start_at
            self.taken |= {e for e in self.graph.edges if e.target == start and not e.source.startswith(prefix)}

    def as_shareable(self) -> dict[str, Any]:
        """What a pytest-xdist worker sends back: plain lists, edges by their text."""
        return {"executions": self.executions, "visited": sorted(self.visited),
                "taken": sorted(_edge_key(edge) for edge in self.taken),
                "unresolved": sorted(self.unresolved), "undeclared": sorted(self.undeclared)}

    def merge(self, shared: dict[str, Any]) -> None:
        """Add a worker's share (see `as_shareable`)."""
        edges = {_edge_key(edge): edge for edge in self.graph.edges}
        self.executions += shared["executions"]
        self.visited |= set(shared["visited"])
        self.taken |= {edges[text] for text in shared["taken"] if text in edges}
        self.unresolved |= {tuple(pair) for pair in shared["unresolved"]}
        self.undeclared |= {tuple(pair) for pair in shared["undeclared"]}

    @property
    def complete(self) -> bool:
        return not self.uncovered_states and not self.uncovered_edges

    def as_json(self) -> dict[str, Any]:
        states, edges = len(self.graph.states), len(self.graph.edges)
        return {
            "executions": self.executions,
            "states": {"entered": len(self.visited), "total": states,
                       "ratio": round(len(self.visited) / states, 4) if states else 1.0},
            "transitions": {"taken": len(self.taken), "total": edges,
                            "ratio": round(len(self.taken) / edges, 4) if edges else 1.0},
            "uncovered_states": self.uncovered_states,
            "uncovered_transitions": [str(edge) for edge in self.uncovered_edges],
            "choice_rules_inferred_from_target": [f"{s} -> {t}" for s, t in sorted(self.unresolved)],
            "undeclared_moves": [f"{s} -> {t}" for s, t in sorted(self.undeclared)],
        }


class AslCoverage:
    """Collects executions of one template's workflows; reports and gates at the end."""

    def __init__(self, template: Path, *, gate: bool = False, json_path: Path | None = None) -> None:
        self.template = template.resolve()
        self.gate = gate
        self.json_path = json_path
        self.machines = {slug: MachineCoverage(slug, parse(definition), definition)
                         for slug, definition in _definitions(self.template).items()}

    # -- recording -------------------------------------------------------------------------
    def record(self, sb: Sandbox, runs: list[Run]) -> None:
        """A `sandbox.core.RECORDERS` callback: count the ended executions of this template."""
        if Path(sb.template_path).resolve() != self.template:
            return
        by_slug: dict[str, list[Run]] = {}
        for run in runs:
            if run.history and run.workflow in self.machines:
                by_slug.setdefault(run.workflow, []).append(run)
        for slug, slug_runs in by_slug.items():
            self.machines[slug].add([run.history for run in slug_runs])
            self.machines[slug].add_children(slug_runs)

    # -- reporting -------------------------------------------------------------------------
    @property
    def failing(self) -> list[str]:
        return [slug for slug, machine in self.machines.items() if not machine.complete]

    def as_json(self) -> dict[str, Any]:
        return {"template": str(self.template), "gate": self.gate, "passed": not self.failing,
                "state_machines": {slug: m.as_json() for slug, m in sorted(self.machines.items())}}

    def lines(self) -> list[str]:
        rows = [("state machine", "executions", "states", "transitions")]
        for slug, machine in sorted(self.machines.items()):
            data = machine.as_json()
            rows.append((slug, str(machine.executions),
                         _ratio(data["states"]["entered"], data["states"]["total"]),
                         _ratio(data["transitions"]["taken"], data["transitions"]["total"])))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = ["  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
                 for row in rows]
        for slug, machine in sorted(self.machines.items()):
            if not machine.executions:
                lines.append(f"  {slug}: no execution in this run")
                continue
            missing = [f"  {slug}: uncovered state {state}" for state in machine.uncovered_states]
            missing += [f"  {slug}: uncovered transition {edge}" for edge in machine.uncovered_edges]
            if len(missing) > MAX_LISTED:
                more = len(missing) - MAX_LISTED
                missing = [*missing[:MAX_LISTED], f"  {slug}: ... and {more} more (see the JSON report)"]
            lines += missing
        return lines

    def write_json(self) -> None:
        if self.json_path is None:
            return
        self.json_path.parent.mkdir(parents=True, exist_ok=True)
        self.json_path.write_text(json.dumps(self.as_json(), indent=2) + "\n")


def _edge_key(edge: Edge) -> str:
    """Unique within a graph, unlike `str(edge)` (two rules may share a label)."""
    return f"{edge.source}|{edge.target}|{edge.kind}|{edge.index}|{edge.label}"


def _ratio(done: int, total: int) -> str:
    """`2/3 (66%)`: rounded down, so that only a complete count reads 100 %."""
    percent = 100 * done // total if total else 100
    return f"{done}/{total} ({percent}%)"


def _definitions(template: Path) -> dict[str, dict[str, Any]]:
    """Each workflow's definition as written, by slug (a definition that is not a local file is not measured)."""
    from sandbox import workflows
    from sandbox.intrinsics import TemplateError

    _, found = workflows.load(template)
    definitions = {}
    for workflow in found:
        with contextlib.suppress(TemplateError):
            definitions[workflow.slug] = workflow.definition()
    return definitions


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sandbox_template(pytestconfig: pytest.Config) -> Path:
    """The SAM template the `sandbox` fixture runs (override this fixture to run another one)."""
    return _template_option(pytestconfig, "--sandbox-template")


@pytest.fixture
def sandbox(sandbox_template: Path) -> Iterator[Sandbox]:
    """The template running offline: fresh buckets, tables, buses, fault plan and clock for each test."""
    from sandbox.core import Sandbox

    with Sandbox.from_template(sandbox_template) as running:
        yield running


def _template_option(config: pytest.Config, option: str) -> Path:
    return Path(config.getoption(option) or Path(config.rootpath) / "template.yaml")


# -- pytest hooks ----------------------------------------------------------------------------

_KEY = pytest.StashKey[AslCoverage]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sandbox", "the offline sandbox: its fixture and the ASL coverage of the template")
    group.addoption("--asl-coverage-gate", action="store_true", default=False,
                    help="fail the session below 100%% of states or transitions of any state machine "
                         "(for a run of the whole suite: `make test`)")
    group.addoption("--sandbox-template", default=None,
                    help="SAM template of the `sandbox` fixture (default: <rootdir>/template.yaml)")
    group.addoption("--asl-coverage-template", default=None,
                    help="SAM template whose state machines are measured (default: --sandbox-template)")
    group.addoption("--asl-coverage-json", default=None,
                    help="where to write the JSON report (default: <rootdir>/.sandbox/coverage.json)")
    group.addoption("--no-asl-coverage", action="store_true", default=False, help="do not measure ASL coverage")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--no-asl-coverage"):
        return
    root = Path(config.rootpath)
    template = Path(config.getoption("--asl-coverage-template") or _template_option(config, "--sandbox-template"))
    if not template.is_file():
        return
    json_path = Path(config.getoption("--asl-coverage-json") or root / ".sandbox" / "coverage.json")
    try:
        plugin = AslCoverage(template, gate=config.getoption("--asl-coverage-gate"), json_path=json_path)
    except (ValueError, OSError) as error:  # a template the sandbox cannot read: its tests say why, not pytest
        config.issue_config_time_warning(pytest.PytestConfigWarning(f"ASL coverage off: {template}: {error}"), 2)
        return
    config.stash[_KEY] = plugin
    from sandbox import core

    core.RECORDERS.append(plugin.record)


def pytest_unconfigure(config: pytest.Config) -> None:
    plugin = config.stash.get(_KEY, None)
    if plugin is None:
        return
    from sandbox import core

    if plugin.record in core.RECORDERS:
        core.RECORDERS.remove(plugin.record)


_WORKER_OUTPUT = "asl_coverage"


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist controller: add what each worker's executions covered."""
    plugin = node.config.stash.get(_KEY, None)
    shared = getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT)
    if plugin is None or not shared:
        return
    for slug, share in shared.items():
        if slug in plugin.machines:
            plugin.machines[slug].merge(share)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    plugin = session.config.stash.get(_KEY, None)
    if plugin is None:
        return
    if _is_xdist_worker(session.config):
        # Workers report to the controller, which gates on the union of every worker's runs.
        session.config.workeroutput[_WORKER_OUTPUT] = {  # type: ignore[attr-defined]
            slug: machine.as_shareable() for slug, machine in plugin.machines.items()}
        return
    plugin.write_json()
    if plugin.gate and plugin.failing and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = GATE_EXIT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    plugin = config.stash.get(_KEY, None)
    if plugin is None or _is_xdist_worker(config):
        return
    terminalreporter.section("ASL coverage")
    for line in plugin.lines():
        terminalreporter.write_line(line)
    if plugin.json_path is not None:
        terminalreporter.write_line(f"JSON report: {plugin.json_path}")
    if plugin.gate and plugin.failing:
        terminalreporter.write_line(
            f"ASL coverage gate FAILED: below 100% for {', '.join(plugin.failing)}", red=True, bold=True)
    elif plugin.gate:
        terminalreporter.write_line("ASL coverage gate passed: 100% of states and transitions", green=True)
