"""Functions the sandbox cannot run say so in one line, and how to answer their Task instead."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from sandbox import cli
from sandbox.core import Sandbox, SandboxError
from tests.sandbox.node_project import MACHINE, task_failure, write_project

JAVA = {"runtime": "java21", "handler": "com.example.App::handleRequest"}


@pytest.mark.parametrize("runtime", ["java21", "dotnet8", "go1.x", "provided.al2023", "ruby3.3"])
def test_an_unsupported_runtime_fails_its_task_naming_the_function_runtime_and_the_way_out(tmp_path, runtime):
    with Sandbox.from_template(write_project(tmp_path, {}, runtime=runtime, handler="bootstrap")) as sb:
        run = sb.run(MACHINE, {})
        error, cause = task_failure(run)
        assert (run.status, error) == ("FAILED", "Sandbox.UnsupportedRuntime")
        message = cause["errorMessage"]
        assert message.startswith(f"Fn ({runtime}): the sandbox runs Python and Node.js functions only; ")
        assert "MockConfigFile test case" in message
        assert "sb.register_function('Fn', handler)" in message
        assert "--stand-in Fn=stand_in.py:handler" in message


def test_a_container_image_function_says_so(tmp_path):
    path = write_project(tmp_path, {}, function={"PackageType": "Image", "CodeUri": None, "Runtime": None})
    with Sandbox.from_template(path) as sb:
        error, cause = task_failure(sb.run(MACHINE, {}))
        assert error == "Sandbox.UnsupportedRuntime"
        assert cause["errorMessage"].startswith("Fn (container image): ")


def test_a_registered_python_stand_in_answers_inside_the_sandbox(tmp_path):
    with Sandbox.from_template(write_project(tmp_path, {}, **JAVA)) as sb:
        sb.register_function("Fn", lambda event, context: {"answered": event["n"], "by": context.function_name})
        run = sb.run(MACHINE, {"n": 7})
        assert (run.status, run.output) == ("SUCCEEDED", {"answered": 7, "by": "sfn-suite-Fn"})
        assert sb.lambdas.functions["Fn"].invocations == 1


def test_a_stand_in_registered_before_the_sandbox_starts(tmp_path):
    sb = Sandbox.from_template(write_project(tmp_path, {}, **JAVA))
    sb.register_function("Fn", lambda event, context: {"early": True})
    with sb:
        assert sb.run(MACHINE, {}).output == {"early": True}


def test_a_stand_in_sees_the_functions_environment(tmp_path):
    import os

    with Sandbox.from_template(write_project(tmp_path, {}, **JAVA)) as sb:
        sb.register_function("Fn", lambda event, context: {"greeting": os.environ["GREETING"]})
        assert sb.run(MACHINE, {}).output == {"greeting": "Hello"}


def test_registering_an_unknown_function_names_the_known_ones(tmp_path):
    sb = Sandbox.from_template(write_project(tmp_path, {}, **JAVA))
    with pytest.raises(SandboxError, match=r"unknown function 'Nope'; the template has: Fn"):
        sb.register_function("Nope", lambda event, context: None)
    with sb, pytest.raises(SandboxError, match=r"unknown function 'Nope'; the template has: Fn"):
        sb.register_function("Nope", lambda event, context: None)


def test_cli_stand_in(tmp_path, capsys):
    template = write_project(tmp_path, {}, **JAVA)
    (tmp_path / "stand_ins.py").write_text("def answer(event, context):\n    return {'stood_in': True}\n")
    (tmp_path / "event.json").write_text("{}")
    code = cli.main(["--template", str(template), "--stand-in", f"Fn={tmp_path / 'stand_ins.py'}:answer",
                     "run", MACHINE, "--event", str(tmp_path / "event.json"), "--output", "json"])
    assert code == cli.EXIT_OK
    assert '"stood_in": true' in capsys.readouterr().out


@pytest.mark.parametrize(("spec", "message"), [
    ("Fn", "expected FUNCTION=FILE.py:NAME"),
    ("Fn=missing.py:answer", "no Python file missing.py"),
    ("Fn={dir}/stand_ins.py:other", "has no function other"),
    ("Nope={dir}/stand_ins.py:answer", "unknown function 'Nope'; the template has: Fn"),
    ("Fn={dir}/broken.py:answer", "does not import: ZeroDivisionError"),
])
def test_cli_stand_in_bad_usage_is_one_line_and_exit_2(tmp_path, capsys, spec, message):
    template = write_project(tmp_path, {}, **JAVA)
    (tmp_path / "stand_ins.py").write_text("def answer(event, context):\n    return {}\n")
    (tmp_path / "broken.py").write_text("1 / 0\n")
    (tmp_path / "event.json").write_text("{}")
    code = cli.main(["--template", str(template), "--stand-in", spec.format(dir=tmp_path),
                     "run", MACHINE, "--event", str(tmp_path / "event.json")])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_python_function_missing_a_package_names_it_and_the_install_command(tmp_path):
    files = {"app.py": "import not_installed_pkg.sub\n\ndef handler(event, context):\n    return 1\n",
             "requirements.txt": "not-installed-pkg==1.0\n"}
    with Sandbox.from_template(write_project(tmp_path, files, runtime="python3.12")) as sb:
        run = sb.run(MACHINE, {})
        error, cause = task_failure(run)
        assert error == "Runtime.ImportModuleError"
        requirements = Path(tmp_path / "fn" / "requirements.txt").resolve()
        assert cause["errorMessage"] == (
            "Unable to import module 'app': No module named 'not_installed_pkg' (Fn: install the function's "
            f"packages into the sandbox's Python: pip install -r {requirements})")


def test_python_function_without_requirements_names_the_package_to_install(tmp_path):
    files = {"app.py": "import not_installed_pkg\n\ndef handler(event, context):\n    return 1\n"}
    with Sandbox.from_template(write_project(tmp_path, files, runtime="python3.12")) as sb:
        _error, cause = task_failure(sb.run(MACHINE, {}))
        assert cause["errorMessage"].endswith("pip install not_installed_pkg)")


def test_serve_takes_stand_ins_too(tmp_path, capsys):
    template = write_project(tmp_path, {}, **JAVA)
    (tmp_path / "stand_ins.py").write_text("def answer(event, context):\n    return {}\n")
    spec = f"Nope={tmp_path / 'stand_ins.py'}:answer"
    code = cli.main(["--template", str(template), "--stand-in", spec, "serve", "--port", "0"])
    assert code == cli.EXIT_USAGE
    assert "unknown function 'Nope'; the template has: Fn" in capsys.readouterr().err


def _plain_function_template(root: Path, code: Any, runtime: str, handler: str = "index.handler") -> Path:
    template = {"Resources": {
        "Fn": {"Type": "AWS::Lambda::Function",
               "Properties": {"Runtime": runtime, "Handler": handler, "Code": code, "Role": "arn:aws:iam::1:role/r",
                              "Environment": {"Variables": {"GREETING": "Hi"}}}},
        "Flow": {"Type": "AWS::Serverless::StateMachine", "Properties": {"Definition": {
            "StartAt": "Call", "States": {"Call": {
                "Type": "Task", "Resource": {"Fn::GetAtt": ["Fn", "Arn"]}, "End": True}}}}},
    }}
    path = root / "template.yaml"
    path.write_text(json.dumps(template))
    return path


def test_a_plain_lambda_function_with_inline_python_code_runs(tmp_path):
    code = {"ZipFile": "import os\ndef handler(event, context):\n    return {'greeting': os.environ['GREETING']}\n"}
    with Sandbox.from_template(_plain_function_template(tmp_path, code, "python3.12")) as sb:
        assert sb.run(MACHINE, {}).output == {"greeting": "Hi"}


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (apt-get install nodejs)")
def test_a_plain_lambda_function_with_inline_node_code_runs(tmp_path):
    code = {"ZipFile": "exports.handler = async () => ({ greeting: process.env.GREETING });"}
    with Sandbox.from_template(_plain_function_template(tmp_path, code, "nodejs20.x")) as sb:
        assert sb.run(MACHINE, {}).output == {"greeting": "Hi"}


def test_a_plain_lambda_function_with_a_local_code_folder_runs(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return {'from': 'folder'}\n")
    with Sandbox.from_template(_plain_function_template(tmp_path, "src/", "python3.12", "app.handler")) as sb:
        assert sb.run(MACHINE, {}).output == {"from": "folder"}


def test_a_plain_lambda_function_with_code_in_s3_says_so(tmp_path):
    code = {"S3Bucket": "artifacts", "S3Key": "fn.zip"}
    with Sandbox.from_template(_plain_function_template(tmp_path, code, "python3.12")) as sb:
        run = sb.run(MACHINE, {})  # a function ARN as the Task's resource: LambdaFunctionFailed, the execution's cause
        assert run.error == "Sandbox.UnsupportedRuntime"
        assert json.loads(run.cause)["errorMessage"].startswith(
            "Fn (python3.12): its code is in S3; point Code at a local folder")


LAYER = {"Shared": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": "layer/"}}}


def test_a_python_layers_code_is_importable_at_import_and_inside_the_handler(tmp_path):
    (tmp_path / "layer" / "python").mkdir(parents=True)
    (tmp_path / "layer" / "python" / "shared_pricing.py").write_text("PRICE = 42\n")
    (tmp_path / "layer" / "python" / "shared_late.py").write_text("LATE = 'lazy'\n")
    files = {"app.py": "import shared_pricing\n\ndef handler(event, context):\n    import shared_late\n"
                       "    return {'price': shared_pricing.PRICE, 'late': shared_late.LATE}\n"}
    path = write_project(tmp_path, files, runtime="python3.12", function={"Layers": [{"Ref": "Shared"}]},
                         extra_resources=LAYER)
    with Sandbox.from_template(path) as sb:
        assert sb.run(MACHINE, {}).output == {"price": 42, "late": "lazy"}


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (apt-get install nodejs)")
def test_a_node_layers_modules_are_required_from_node_path(tmp_path):
    module = tmp_path / "layer" / "nodejs" / "node_modules" / "shared-pricing"
    module.mkdir(parents=True)
    (module / "index.js").write_text("exports.price = 42;")
    files = {"app.js": "const { price } = require('shared-pricing'); exports.handler = async () => ({ price });"}
    path = write_project(tmp_path, files, function={"Layers": [{"Ref": "Shared"}]}, extra_resources=LAYER)
    with Sandbox.from_template(path) as sb:
        assert sb.run(MACHINE, {}).output == {"price": 42}


def test_sam_inline_code_runs(tmp_path):
    inline = {"InlineCode": "def handler(event, context):\n    return {'inline': True}\n", "CodeUri": None}
    with Sandbox.from_template(write_project(tmp_path, {}, runtime="python3.12", handler="index.handler",
                                             function=inline)) as sb:
        assert sb.run(MACHINE, {}).output == {"inline": True}
