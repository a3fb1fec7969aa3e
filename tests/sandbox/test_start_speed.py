"""What makes the CLI start and each state transition cheaper changes no result.

Each change is checked for the behaviour it keeps (same values, same errors, same moto semantics)
and for the work it saves, counted rather than timed: tests never assert on wall time.
"""

from __future__ import annotations

import copy
import gc
import json
import subprocess  # nosec B404: runs this test's own Python with a fixed snippet
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from sandbox import cli
from sandbox.core import Sandbox
from sandbox.moto_fixes import json_copy

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "fixture" / "template.yaml"


# -- what a run imports ----------------------------------------------------------------------------

_COMMAND_IMPORTS = textwrap.dedent("""
    import sys
    import sandbox.cli
    import sandbox.core
    print("server:", "sandbox.serve" in sys.modules, "test state runner:", "sandbox.teststate.runner" in sys.modules)
    sandbox.cli._parser().parse_args(["serve", "--port", "0"])
    print("server after parsing serve:", "sandbox.serve" in sys.modules)
    from sandbox import engine
    engine.install()
    print("jsonata after the fixes:", "jsonata" in sys.modules)
    from sandbox.moto_fixes import jsonata
    print("a JSONata expression:", jsonata.evaluate("$a + 1", {"a": 1}), "jsonata" in sys.modules)
""")


@pytest.mark.slow
def test_a_run_loads_neither_the_server_nor_the_test_state_runner_nor_jsonata_before_it_is_used() -> None:
    done = subprocess.run([sys.executable, "-c", _COMMAND_IMPORTS], cwd=ROOT, capture_output=True,  # nosec B603
                          text=True, timeout=120, check=True)
    assert done.stdout.splitlines() == ["server: False test state runner: False", "server after parsing serve: False",
                                        "jsonata after the fixes: False", "a JSONata expression: 2 True"]


# -- each state: copies, JSON texts, evaluation steps ----------------------------------------------


def test_the_program_state_a_state_reads_is_a_copy_of_its_own() -> None:
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramError, ProgramRunning, ProgramStopped

    json_copy.install()
    running = ProgramRunning()
    running.next_state_name = "Next"
    running.next_field_name = "Parameters"
    copied = copy.deepcopy(running)
    assert type(copied) is ProgramRunning and copied is not running
    assert (copied.next_state_name, copied.next_field_name) == ("Next", "Parameters")
    copied.next_state_name = "Other"
    assert running.next_state_name == "Next"
    failed = ProgramError(error={"error": "E", "cause": "C"})
    copied_error = copy.deepcopy(failed)
    assert copied_error.error == failed.error and copied_error.error is not failed.error
    assert copy.deepcopy(ProgramStopped(stop_date=None, error="e", cause=None)).__dict__ == {
        "stop_date": None, "error": "e", "cause": None}


def test_history_json_texts_are_the_ones_moto_writes() -> None:
    import datetime

    from sandbox.moto_fixes import json_text

    json_text.install()
    values = [{"a": "\u00e9", "b": [1, 2.5, None, True]}, "text", [datetime.datetime(2020, 1, 1)], {"s": object()}]
    for value in values:
        for separators in (None, (",", ":")):
            assert json_text.to_json_str(value, separators) == json_text._original(value, separators)
    from moto.stepfunctions.parser.asl.component.state import state

    assert state.to_json_str is json_text.to_json_str


def test_an_evaluation_step_runs_skips_and_fails_as_moto_s() -> None:
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded, ProgramRunning

    from sandbox.moto_fixes import eval_step

    eval_step.install()
    evaluated: list[str] = []

    class Field(EvalComponent):
        def _eval_body(self, env: Any) -> None:
            evaluated.append(env._program_state.next_field_name)

    class Env:
        def __init__(self, state: Any) -> None:
            self._program_state = state

    running = ProgramRunning()
    running.next_state_name = "Next"
    Field().eval(Env(running))
    Field().eval(Env(ProgramEnded()))  # an ended program skips the component
    assert evaluated == ["Field"]
    with pytest.raises(RuntimeError, match="uninitialised ProgramState"):
        Field().eval(Env(ProgramRunning()))  # no next state yet: moto's error

    class Failing(EvalComponent):
        def _eval_body(self, env: Any) -> None:
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        Failing().eval(Env(running))


# -- JSONPath --------------------------------------------------------------------------------------

_DATA = {"a": {"b": 1, "c": [1, {"d": 2}], "n": None}, "x": [1, 2], "s": "text", "a b": 3}


@pytest.mark.parametrize("path", ["$", "$.a", "$.a.b", "$.a.c", "$.a.n", "$.a.n.z", "$.x", "$.x.y", "$.s.y",
                                  "$.nope", "$.a.nope", "$['a b']", "$.a['b']", "$.a.c[1].d", "$.a.*", "$..b"])
@pytest.mark.parametrize("data", [_DATA, [1, 2], "text", None, 5])
def test_plain_names_are_read_as_jsonpath_ng_finds_them(path: str, data: Any) -> None:
    from jsonpath_ng.ext import parse
    from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

    from sandbox.moto_fixes import jsonpath

    compiled = jsonpath._compiled(path)
    matches = [match.value for match in parse(path).find(data)]
    expected: Any = matches if not compiled.definite else (matches[0] if matches else NoSuchJsonPathError)
    if expected is NoSuchJsonPathError:
        with pytest.raises(NoSuchJsonPathError):
            jsonpath.extract_json(path, data)
    else:
        assert jsonpath.extract_json(path, data) == expected
    assert (compiled.names is not None) == (path in ("$", "$.a", "$.a.b", "$.a.c", "$.a.n", "$.a.n.z", "$.x",
                                                     "$.x.y", "$.s.y", "$.nope", "$.a.nope", "$['a b']", "$.a['b']"))


def test_one_parser_reads_every_path_as_a_new_parser_would() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from jsonpath_ng import parse as plain_parse
    from jsonpath_ng.exceptions import JsonPathParserError
    from jsonpath_ng.ext import parse as ext_parse

    from sandbox.moto_fixes.jsonpath import parse_path

    paths = ["$", "$.a.b[0]", "$..x", "$.a[*].b", "$.a[?(@.x > 1)]", "$.a[1:3]", "$['a b']", "$.items[0,1]"]
    with pytest.raises(JsonPathParserError):
        parse_path("$[")  # a failed parse leaves nothing behind for the next one
    with ThreadPoolExecutor(4) as pool:
        extended = list(pool.map(parse_path, paths * 4))
    assert [repr(e) for e in extended] == [repr(ext_parse(p)) for p in paths * 4]
    assert [repr(parse_path(p, extended=False)) for p in paths[:3]] == [repr(plain_parse(p)) for p in paths[:3]]


# -- waiting for an execution ----------------------------------------------------------------------


def test_a_wait_is_woken_by_the_end_of_the_execution() -> None:
    from sandbox.moto_fixes import execution_record

    woken: list[int] = []
    with Sandbox.from_template(FIXTURE) as sb:
        seen = execution_record.ends()
        waiter = threading.Thread(target=lambda: (execution_record.wait_for_an_end(seen, 600),
                                                  woken.append(execution_record.ends())), daemon=True)
        waiter.start()
        ended = sb.run("edge", {"case": "plain-arn", "name": "Ada"})
        waiter.join(60)  # liveness only: without the end's wake-up it would sleep its 600 s
        assert not waiter.is_alive() and woken and woken[0] > seen
    assert ended.status == "SUCCEEDED"


def test_only_executions_that_can_wait_for_a_token_are_polled_for_one() -> None:
    events = ROOT / "events"
    with Sandbox.from_template(ROOT / "template.yaml") as sb:
        sb.seed(events / "document-processing" / "objects.json")
        callbacks = sb.start("it-provisioning", (events / "it-provisioning" / "needs-approval.json").read_text())
        plain = sb.start("document-processing", (events / "document-processing" / "car.json").read_text())
        assert (sb._hands_out_tokens(callbacks), sb._hands_out_tokens(plain)) == (True, False)
        answer = json.loads((events / "it-provisioning" / "callback-answer.json").read_text())
        assert sb.answer_callbacks(callbacks, approve=answer).status == "SUCCEEDED"
        assert sb.answer_callbacks(plain).status == "SUCCEEDED"


# -- garbage collection ----------------------------------------------------------------------------


def test_the_command_runs_its_sandbox_with_the_collector_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from sandbox import engine

    seen: list[bool] = []
    freeze = engine.freeze_provisioned

    def watch() -> None:
        freeze()
        seen.append(gc.isenabled())

    monkeypatch.setattr(engine, "freeze_provisioned", watch)
    monkeypatch.setattr(cli.os, "_exit", lambda code: None)
    event = tmp_path / "event.json"
    event.write_text("{}")
    monkeypatch.setattr(sys, "argv", ["sandbox", "--template", str(FIXTURE), "run", "nope", "--event", str(event)])
    try:
        cli.entry()
        after = gc.isenabled()
    finally:
        gc.enable()
    assert seen == [True]  # on while the sandbox ran (even a run refused for an unknown workflow starts one)
    assert not after  # and off again once it stopped, as the command left it


def test_a_sandbox_started_with_the_collector_off_collects_while_it_runs_and_leaves_it_off() -> None:
    gc.disable()
    try:
        with Sandbox.from_template(FIXTURE):
            running = gc.isenabled()
        after = gc.isenabled()
    finally:
        gc.enable()
    assert (running, after) == (True, False)
