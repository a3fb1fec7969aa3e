"""Bad input to the `sandbox` command: each is one line on stderr naming the problem, exit 2, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.cli import EXIT_BROKEN_PIPE, main

ROOT = Path(__file__).resolve().parent.parent
DEEP = "[" * 100_000 + "]" * 100_000
FILES = {
    "template.yaml": "Resources:\n  Flow:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n"
                     "      DefinitionUri: flow.asl.json\n",
    "flow.asl.json": json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
    "not-asl.yaml": "Resources:\n  Flow:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n"
                    "      DefinitionUri: broken.asl.json\n",
    "broken.asl.json": '{"StartAt": ',
    "event.json": "{}",
    "deep.json": DEEP,
    "binary.json": "\udcff\udcfe",  # written as the bytes ff fe: not UTF-8
    "bad-seed.json": "{bad",
    "list-seed.json": "[1]",
}

CASES: dict[str, tuple[list[str], str]] = {
    "seed not JSON": (["run", "flow", "--event", "{tmp}/event.json", "--seed", "{tmp}/bad-seed.json"],
                      "seed file {tmp}/bad-seed.json is not valid JSON: Expecting property name"),
    "seed not an object": (["run", "flow", "--event", "{tmp}/event.json", "--seed", "{tmp}/list-seed.json"],
                           "seed file {tmp}/list-seed.json must hold a JSON object"),
    "seed missing": (["run", "flow", "--event", "{tmp}/event.json", "--seed", "{tmp}/nope.json"],
                     "seed file not found: {tmp}/nope.json"),
    "--html is a folder": (["run", "flow", "--event", "{tmp}/event.json", "--html", "{tmp}"],
                           "--html {tmp} is a folder: give the page's file name"),
    "event nested too deeply": (["run", "flow", "--event", "{tmp}/deep.json"],
                                "event {tmp}/deep.json is not valid JSON: nested too deeply"),
    "event not text": (["run", "flow", "--event", "{tmp}/binary.json"], "event {tmp}/binary.json is not UTF-8 text"),
    "event is a folder": (["run", "flow", "--event", "{tmp}"], "cannot read event {tmp}: Is a directory"),
    "ASL file not JSON": (["--template", "{tmp}/not-asl.yaml", "run", "flow", "--event", "{tmp}/event.json"],
                          "Flow: the ASL {tmp}/broken.asl.json is neither JSON nor YAML at line 2"),
    "demo events folder missing": (["demo", "--events-dir", "{tmp}/nope"], "events folder not found: {tmp}/nope"),
    "serve port too high": (["serve", "--port", "99999"], "serve: argument --port: invalid port '99999': use 0-65535"),
    "serve port negative": (["serve", "--port", "-1"], "serve: argument --port: invalid port '-1'"),
    "serve port not a number": (["serve", "--port", "http"], "serve: argument --port: invalid port 'http'"),
    "serve --start nested too deeply": (["serve", "--start", "flow={tmp}/deep.json"],
                                        "--start flow={tmp}/deep.json: nested too deeply"),
    "cost negative executions": (["cost", "flow", "--event", "{tmp}/event.json", "--executions", "-1"],
                                 "--executions must be 0 or more"),
    "mock config missing": (["run", "flow", "--event", "{tmp}/event.json", "--mock-config", "{tmp}/nope.json"],
                            "MockConfigFile not found: {tmp}/nope.json"),
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    return tmp_path


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_and_exit_2(folder, capsys, case):
    argv, expected = CASES[case]
    argv = [arg.replace("{tmp}", str(folder)) for arg in argv]
    if "--template" not in argv:
        argv = ["--template", str(folder / "template.yaml"), *argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("sandbox: "), err
    assert expected.replace("{tmp}", str(folder)) in err


def test_a_reader_that_goes_away_ends_the_command_quietly():
    """`sandbox list | head -1`: no BrokenPipeError traceback, the exit status of a command killed by SIGPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line: every write fails, whatever the timing
    try:
        done = subprocess.run([sys.executable, "-m", "sandbox", "--template", str(ROOT / "template.yaml"), "list"],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (EXIT_BROKEN_PIPE, "")


def test_python_m_sandbox_is_the_command():
    done = subprocess.run([sys.executable, "-m", "sandbox", "--help"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0 and done.stdout.startswith("usage: sandbox")
