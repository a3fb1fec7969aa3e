"""The sandbox as another project gets it: the wheel, installed in a fresh venv, on a SAM project of its own.

The wheel is built from a copy of the checkout as a clone has it (the build writes nothing into the
checkout), installed with pip into a venv made for the test (no system site-packages). Its
dependencies (boto3, moto, pytest...) are not downloaded again: the venv sees them through a .pth
naming a folder of links to this venv's installed packages, the suite's own (its editable install,
`sandbox`, `suite_docs`, `tests`) left out. Then, in a project laid out in tmp_path, with that
project as the working directory: `sandbox list`, `sandbox run`, and `python -m pytest` on a test
using the `sandbox` fixture with no conftest. Nothing can import the checkout: the tests assert
where `sandbox` was imported from and that `suite_docs` is not importable.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OWN = ("__editable__", "stepfunctions_reference_suite", "_stepfunctions_reference_suite", "sandbox", "suite_docs",
       "tests", "functions")
"""site-packages entries of this checkout (its editable install) that the fresh venv must not see."""

pytestmark = pytest.mark.xdist_group("wheel")

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  GreetFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
  GreetStateMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Type: EXPRESS
      DefinitionUri: statemachine/greet.asl.json
      DefinitionSubstitutions:
        GreetFunctionArn: !GetAtt GreetFunction.Arn
      Events:
        Hello: {Type: Api, Properties: {Path: /greetings, Method: post}}
"""
ASL = {
    "StartAt": "Greet",
    "States": {
        "Greet": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Parameters": {"FunctionName": "${GreetFunctionArn}", "Payload.$": "$"},
                  "ResultSelector": {"greeting.$": "$.Payload.greeting"}, "Next": "Known"},
        "Known": {"Type": "Choice", "Choices": [{"Variable": "$.greeting", "StringEquals": "hello, nobody",
                                                 "Next": "Anonymous"}], "Default": "Done"},
        "Anonymous": {"Type": "Fail", "Error": "Greet.Anonymous", "Cause": "no name given"},
        "Done": {"Type": "Succeed"},
    },
}
HANDLER = """\
def handler(event, context):
    return {"greeting": "hello, " + event.get("name", "nobody")}
"""
TEST = """\
def test_greets_by_name(sandbox):
    run = sandbox.run("greet", {"name": "Ada"})
    assert run.status == "SUCCEEDED"
    assert run.output == {"greeting": "hello, Ada"}
    assert run.path == ["Greet", "Known", "Done"]


def test_no_name_fails_with_the_named_error(sandbox):
    run = sandbox.run("greet", {})
    assert (run.status, run.error) == ("FAILED", "Greet.Anonymous")


def test_the_runtime_is_the_installed_one():
    import importlib.util
    import sys

    import sandbox

    assert sandbox.__file__.startswith(sys.prefix), sandbox.__file__
    assert importlib.util.find_spec("suite_docs") is None
"""


def _project(root: Path) -> Path:
    (root / "statemachine").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "tests").mkdir()
    (root / "events" / "greet").mkdir(parents=True)
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "statemachine" / "greet.asl.json").write_text(json.dumps(ASL, indent=2))
    (root / "src" / "app.py").write_text(HANDLER)
    (root / "tests" / "test_greet.py").write_text(TEST)
    (root / "events" / "greet" / "ada.json").write_text('{"name": "Ada"}')
    return root


def _clone(work: Path) -> Path:
    """The checkout's files as a clone has them (tracked and new, not ignored: no .venv, no build/)."""
    source = work / "source"
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():  # a tracked file deleted in the working tree is not in a clone either
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    return source


def _uv() -> str | None:
    """The installer `make install` uses (its own venv in .tools), else one on PATH: it builds in an isolated build
    environment through the same PEP 517 backend as pip, and installs the same files, in about a third of pip's time
    (pip re-creates its build environment and imports itself for every command)."""
    installed = ROOT / ".tools" / "uv" / "bin" / "uv"
    return str(installed) if installed.is_file() else shutil.which("uv")


def _wheel(work: Path) -> Path:
    """The clone built in its own build environment (as `pip install .` or `pip install git+...` would build it)."""
    out = work / "dist"
    source = str(_clone(work))
    uv = _uv()
    build = ([uv, "build", "--wheel", "--quiet", "-o", str(out), source] if uv else
             [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), source])
    subprocess.run(build, check=True, cwd=work, capture_output=True)
    (wheel,) = out.glob("*.whl")
    return wheel


def _venv(work: Path, wheel: Path) -> Path:
    """A fresh venv with the wheel installed; the dependencies linked from this venv (see the module docstring)."""
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    deps = work / "deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(OWN) and entry.suffix != ".pth":
            (deps / entry.name).symlink_to(entry)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "dependencies.pth").write_text(f"{deps}\n")
    uv = _uv()
    install = ([uv, "pip", "install", "--python", str(python)] if uv else
               [sys.executable, "-m", "pip", "--python", str(python), "install"])
    subprocess.run([*install, "--no-deps", "--no-index", "--quiet", str(wheel)], check=True, cwd=work,
                   capture_output=True)
    return venv


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the wheel, the venv it is installed in)."""
    work = tmp_path_factory.mktemp("wheel")
    wheel = _wheel(work)
    return wheel, _venv(work, wheel)


def _run(venv: Path, project: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, timeout=300)


def test_the_wheel_holds_the_runtime_its_data_and_its_entry_points(installed):
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {"sandbox", wheel.name.split("-")[0] + "-0.1.0.dist-info"}
    assert {"sandbox/data/prices.json", "sandbox/data/vendor/dagre.min.js", "sandbox/pytest_plugin.py",
            "sandbox/py.typed"} <= set(names)
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "[console_scripts]\nsandbox = sandbox.cli:entry" in entry_points
    assert "[pytest11]\nsandbox.pytest_plugin = sandbox.pytest_plugin" in entry_points


def test_a_foreign_project_lists_runs_and_tests_its_workflow(installed, tmp_path):
    _, venv = installed
    project = _project(tmp_path / "greeter")
    listed = _run(venv, project, "sandbox", "--template", "template.yaml", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[1].split() == ["greet", "EXPRESS", "GreetStateMachine",
                                                     "sfn-suite-GreetStateMachine", "API", "POST", "/greetings"]
    ran = _run(venv, project, "sandbox", "--template", "template.yaml", "run", "greet",
               "--event", "events/greet/ada.json", "--output", "json")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["output"] == {"greeting": "hello, Ada"}
    tested = _run(venv, project, str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "3 passed" in tested.stdout
    assert "greet" in tested.stdout.split("ASL coverage", 1)[1]  # the plugin measured the project's workflow
