"""The ASL coverage plugin: what it counts, its report, and the gate (only with --asl-coverage-gate)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from sandbox import pytest_plugin
from sandbox.pytest_plugin import AslCoverage

ROOT = Path(__file__).resolve().parent.parent

# Route: Choice with one rule and a Default; Yes/No are Pass states that end.
DEFINITION = {
    "StartAt": "Route",
    "States": {
        "Route": {"Type": "Choice", "Choices": [{"Variable": "$.go", "BooleanEquals": True, "Next": "Yes"}],
                  "Default": "No"},
        "Yes": {"Type": "Pass", "End": True},
        "No": {"Type": "Pass", "End": True},
    },
}
TEMPLATE = textwrap.dedent("""\
    AWSTemplateFormatVersion: "2010-09-09"
    Transform: AWS::Serverless-2016-10-31
    Resources:
      RouteStateMachine:
        Type: AWS::Serverless::StateMachine
        Properties:
          Type: STANDARD
          DefinitionUri: statemachines/route.asl.json
    """)


def history(go: bool) -> list[dict]:
    branch = "Yes" if go else "No"
    events = [
        {"id": 1, "previousEventId": 0, "type": "ExecutionStarted"},
        {"id": 2, "previousEventId": 1, "type": "ChoiceStateEntered",
         "stateEnteredEventDetails": {"name": "Route", "input": json.dumps({"go": go})}},
        {"id": 3, "previousEventId": 2, "type": "ChoiceStateExited", "stateExitedEventDetails": {"name": "Route"}},
        {"id": 4, "previousEventId": 3, "type": "PassStateEntered",
         "stateEnteredEventDetails": {"name": branch, "input": "{}"}},
        {"id": 5, "previousEventId": 4, "type": "PassStateExited",
         "stateExitedEventDetails": {"name": branch, "output": "{}"}},
        {"id": 6, "previousEventId": 5, "type": "ExecutionSucceeded"},
    ]
    return events


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "statemachines").mkdir()
    (tmp_path / "statemachines" / "route.asl.json").write_text(json.dumps(DEFINITION))
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    return tmp_path


def run(workflow: str, events: list[dict]) -> SimpleNamespace:
    return SimpleNamespace(workflow=workflow, history=events)


def test_counts_only_executions_of_its_template_and_lists_what_is_missing(project):
    plugin = AslCoverage(project / "template.yaml", gate=True, json_path=project / "out" / "coverage.json")
    assert list(plugin.machines) == ["route"]
    other = SimpleNamespace(template_path=ROOT / "tests" / "sandbox" / "fixture" / "template.yaml")
    plugin.record(other, [run("route", history(True)), run("route", history(False))])
    assert plugin.machines["route"].executions == 0  # another template's executions are not counted

    mine = SimpleNamespace(template_path=project / "template.yaml")
    plugin.record(mine, [run("route", history(True)), run("route", []), run("elsewhere", history(True))])
    machine = plugin.machines["route"]
    assert machine.executions == 1  # a running execution (no history yet) and unknown workflows are skipped
    assert machine.uncovered_states == ["No"]
    assert [str(e) for e in machine.uncovered_edges] == ["Route -default [default]-> No", "No -end-> (end)"]
    assert plugin.failing == ["route"]
    assert plugin.lines() == [
        "state machine  executions     states  transitions",
        "route                   1  2/3 (66%)    2/4 (50%)",
        "  route: uncovered state No",
        "  route: uncovered transition Route -default [default]-> No",
        "  route: uncovered transition No -end-> (end)",
    ]

    plugin.record(mine, [run("route", history(False))])
    assert plugin.failing == [] and machine.complete
    plugin.write_json()
    report = json.loads((project / "out" / "coverage.json").read_text())
    assert report["passed"] is True
    assert report["state_machines"]["route"]["states"] == {"entered": 3, "total": 3, "ratio": 1.0}
    assert report["state_machines"]["route"]["transitions"] == {"taken": 4, "total": 4, "ratio": 1.0}
    assert report["state_machines"]["route"]["executions"] == 2


@pytest.mark.parametrize(("gate", "complete", "expected"), [
    (True, False, pytest.ExitCode.TESTS_FAILED),
    (False, False, pytest.ExitCode.OK),  # a partial run only reports
    (True, True, pytest.ExitCode.OK),
])
def test_the_gate_fails_a_passing_session_only_when_asked_and_incomplete(project, gate, complete, expected):
    plugin = AslCoverage(project / "template.yaml", gate=gate, json_path=None)
    runs = [run("route", history(True))] + ([run("route", history(False))] if complete else [])
    plugin.record(SimpleNamespace(template_path=project / "template.yaml"), runs)
    session = SimpleNamespace(config=SimpleNamespace(stash={pytest_plugin._KEY: plugin}),
                              exitstatus=pytest.ExitCode.OK)
    pytest_plugin.pytest_sessionfinish(session, 0)
    assert session.exitstatus == expected


def test_a_failing_session_keeps_its_own_exit_status(project):
    plugin = AslCoverage(project / "template.yaml", gate=True, json_path=None)
    session = SimpleNamespace(config=SimpleNamespace(stash={pytest_plugin._KEY: plugin}),
                              exitstatus=pytest.ExitCode.INTERRUPTED)
    pytest_plugin.pytest_sessionfinish(session, 2)
    assert session.exitstatus == pytest.ExitCode.INTERRUPTED


@pytest.mark.slow
def test_a_real_session_records_through_the_sandbox_and_the_gate_fails_it(project):
    """Two pytest runs in a subprocess on a small project: real Sandbox executions reach the plugin."""
    (project / "conftest.py").write_text('pytest_plugins = ["sandbox.pytest_plugin"]\n')
    (project / "test_route.py").write_text(textwrap.dedent("""\
        from pathlib import Path
        from sandbox.core import Sandbox

        def test_go():
            with Sandbox.from_template(Path(__file__).parent / "template.yaml") as sb:
                assert sb.run("route", {"go": True}).path == ["Route", "Yes"]
        """))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(project), str(project),
               "--asl-coverage-gate"]
    gated = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert gated.returncode == 1, gated.stdout + gated.stderr
    assert "1 passed" in gated.stdout
    assert "route                   1  2/3 (66%)    2/4 (50%)" in gated.stdout
    assert "route: uncovered transition Route -default [default]-> No" in gated.stdout
    assert "ASL coverage gate FAILED: below 100% for route" in gated.stdout
    report = json.loads((project / ".sandbox" / "coverage.json").read_text())
    assert report["passed"] is False
    assert report["state_machines"]["route"]["uncovered_states"] == ["No"]


def _shares(project: Path, *gos: bool) -> dict:
    """What one pytest-xdist worker that ran these executions sends to the controller."""
    worker = AslCoverage(project / "template.yaml")
    worker.record(SimpleNamespace(template_path=project / "template.yaml"), [run("route", history(go)) for go in gos])
    return {slug: machine.as_shareable() for slug, machine in worker.machines.items()}


@pytest.mark.parametrize(("workers", "expected"), [
    ([(True,), (False,)], pytest.ExitCode.OK),  # neither worker alone covers the machine; together they do
    ([(True,), (True,)], pytest.ExitCode.TESTS_FAILED),
    ([(True, False), ()], pytest.ExitCode.OK),
])
def test_the_controller_gates_on_the_union_of_its_workers(project, workers, expected):
    controller = AslCoverage(project / "template.yaml", gate=True, json_path=None)
    config = SimpleNamespace(stash={pytest_plugin._KEY: controller})
    for gos in workers:
        pytest_plugin.pytest_testnodedown(SimpleNamespace(config=config, workeroutput={
            pytest_plugin._WORKER_OUTPUT: _shares(project, *gos)}), None)
    pytest_plugin.pytest_testnodedown(SimpleNamespace(config=config, workeroutput={}), "crashed")  # nothing sent
    assert controller.machines["route"].executions == sum(len(gos) for gos in workers)
    session = SimpleNamespace(config=config, exitstatus=pytest.ExitCode.OK)
    pytest_plugin.pytest_sessionfinish(session, 0)
    assert session.exitstatus == expected


@pytest.mark.slow
def test_under_xdist_workers_send_coverage_and_log_hits_to_the_controller(project):
    """A real `pytest -n 2` run on a small project with two state machines: `route` is covered only by
    the union of the two workers' executions (xdist sends two tests to two workers one each), `other`
    not at all, so the gate must fail on `other` alone. A worker's logging of a fixture's personal
    datum must reach the controller's log-privacy summary too."""
    from tests.hardening.suite import personal_data

    (project / "statemachines" / "other.asl.json").write_text(json.dumps(DEFINITION))
    (project / "template.yaml").write_text(TEMPLATE + (
        "  OtherStateMachine:\n"
        "    Type: AWS::Serverless::StateMachine\n"
        "    Properties: {Type: STANDARD, DefinitionUri: statemachines/other.asl.json}\n"))
    (project / "conftest.py").write_text(
        'pytest_plugins = ["sandbox.pytest_plugin", "tests.hardening.log_privacy"]\n')
    datum = sorted(personal_data())[0]
    (project / "test_route.py").write_text(textwrap.dedent(f"""\
        import logging
        import os
        from pathlib import Path

        from sandbox.core import Sandbox

        HERE = Path(__file__).parent


        def route(go):
            (HERE / f"worker-{{go}}").write_text(os.environ["PYTEST_XDIST_WORKER"])
            with Sandbox.from_template(HERE / "template.yaml") as sb:
                return sb.run("route", {{"go": go}}).path


        def test_yes():
            assert route(True) == ["Route", "Yes"]


        def test_no():
            assert route(False) == ["Route", "No"]
            logging.getLogger("child").warning("applicant %s", {datum!r})
        """))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_XDIST_WORKER", None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(project), str(project),
               "-n", "2", "--dist", "load", "--asl-coverage-gate"]
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=180)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "2 passed" in result.stdout, out
    workers = {(project / f"worker-{go}").read_text() for go in (True, False)}
    assert workers == {"gw0", "gw1"}, f"both tests ran on {workers}: the union is not tested"
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()
            if line.startswith(("route ", "other "))}
    assert rows["route"] == ["2", "3/3", "(100%)", "4/4", "(100%)"], out
    assert rows["other"][0] == "0", out
    assert "ASL coverage gate FAILED: below 100% for other" in result.stdout, out
    assert "personal data in logs" in result.stdout, out
    assert f"logger child: {datum.casefold()!r}" in result.stdout, out
    report = json.loads((project / ".sandbox" / "coverage.json").read_text())
    assert (report["passed"], report["state_machines"]["route"]["executions"]) == (False, 2)


def test_the_plugin_is_registered_once_by_its_entry_point_and_the_conftest(pytestconfig):
    """Installed, the package registers the plugin (`pytest11`); tests/conftest.py names it too: one registration."""
    names = [name for name, plugin in pytestconfig.pluginmanager.list_name_plugin() if plugin is pytest_plugin]
    assert names == ["sandbox.pytest_plugin"]


def test_a_definition_that_is_not_a_local_file_is_not_measured(project):
    (project / "template.yaml").write_text(TEMPLATE + (
        "  RemoteStateMachine:\n"
        "    Type: AWS::Serverless::StateMachine\n"
        "    Properties: {DefinitionUri: {Bucket: somewhere, Key: remote.asl.json}}\n"))
    assert list(AslCoverage(project / "template.yaml").machines) == ["route"]


def test_a_template_the_sandbox_cannot_read_turns_coverage_off_with_a_warning(project):
    (project / "template.yaml").write_text(TEMPLATE.replace("Resources:", "Parameters:\n  Stage: {Type: String}\n"
                                                                          "Resources:"))
    warnings: list[Warning] = []
    options = {"--no-asl-coverage": False, "--asl-coverage-template": None, "--sandbox-template": None,
               "--asl-coverage-json": None, "--asl-coverage-gate": False}
    config = SimpleNamespace(getoption=options.get, rootpath=project, stash={},
                             issue_config_time_warning=lambda warning, stacklevel: warnings.append(warning))
    pytest_plugin.pytest_configure(config)
    assert config.stash == {}
    (warning,) = warnings
    assert isinstance(warning, pytest.PytestConfigWarning)
    assert str(warning) == f"ASL coverage off: {project / 'template.yaml'}: parameter Stage has no Default: " \
                           "pass --parameter-overrides Stage=<value> (or parameter_overrides in samconfig.toml)"
