"""Node.js functions run in warm `node` children with Lambda's event/context contract; the SDK reaches moto."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from sandbox import node_runtime
from sandbox.core import Sandbox
from sandbox.lambdas import FunctionError
from sandbox.node_runtime import NodeFunction
from tests.sandbox.node_project import MACHINE, task_failure, write_project

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (apt-get install nodejs)")

SDK_DIR = Path(__file__).parent / "node_sdk"

ASYNC_CJS = """
exports.handler = async (event, context) => {
  console.log("greeting", event.name);
  return {
    greeting: `${process.env.GREETING}, ${event.name}`,
    functionName: context.functionName,
    requestId: context.awsRequestId,
    remaining: context.getRemainingTimeInMillis(),
    arn: context.invokedFunctionArn,
    region: process.env.AWS_REGION,
    pid: process.pid,
  };
};
"""


@pytest.fixture(autouse=True)
def _no_endpoint_left() -> Iterator[None]:
    """Stop the process-wide loopback endpoint a test's bare NodeFunction started (a sandbox's runtime stops it on
    close; a NodeFunction alone leaves it to its owner), so the next test of this worker starts without one."""
    yield
    node_runtime.ENDPOINT.stop()


@pytest.fixture
def project(tmp_path: Path):
    def make(files: dict[str, str], **kwargs) -> Sandbox:
        return Sandbox.from_template(write_project(tmp_path, files, **kwargs))

    return make


def test_async_commonjs_handler_gets_event_context_and_template_environment(project):
    with project({"app.js": ASYNC_CJS}) as sb:
        run = sb.run(MACHINE, {"name": "Ada"})
        function = sb.lambdas.functions["Fn"]
        assert run.status == "SUCCEEDED"
        assert run.output["greeting"] == "Hello, Ada"
        assert run.output["functionName"] == function.name == "sfn-suite-Fn"
        assert run.output["arn"] == function.arn
        assert run.output["region"] == sb.region
        assert 0 < run.output["remaining"] <= 10_000
        (line,) = function.log_lines
        assert line.split("\t")[1:] == [run.output["requestId"], "INFO", "greeting Ada"]


def test_environment_stays_warm_between_invocations(project):
    with project({"app.js": ASYNC_CJS}) as sb:
        first, second = sb.run(MACHINE, {"name": "a"}), sb.run(MACHINE, {"name": "b"})
        assert first.output["pid"] == second.output["pid"]
        assert first.output["requestId"] != second.output["requestId"]
        assert sb.lambdas.functions["Fn"].invocations == 2


def test_callback_style_handler(project):
    handler = """
exports.handler = function (event, context, callback) {
  setTimeout(() => callback(null, { doubled: event.n * 2 }), 1);
};
"""
    with project({"app.js": handler}) as sb:
        assert sb.run(MACHINE, {"n": 21}).output == {"doubled": 42}


def test_callback_style_error_fails_the_task(project):
    handler = """
exports.handler = (event, context, callback) => callback(new TypeError("bad input"));
"""
    with project({"app.js": handler}) as sb:
        run = sb.run(MACHINE, {})
        assert (run.status, run.error) == ("FAILED", "TypeError")
        assert task_failure(run)[1]["errorMessage"] == "bad input"


@pytest.mark.parametrize("files", [
    {"app.mjs": "export const handler = async (event) => ({ module: 'esm', got: event.x });"},
    {"package.json": '{"type": "module"}',
     "app.js": "export async function handler(event) { return { module: 'esm', got: event.x }; }"},
], ids=["mjs", "type-module"])
def test_es_module_handlers(project, files):
    with project(files) as sb:
        assert sb.run(MACHINE, {"x": 1}).output == {"module": "esm", "got": 1}


def test_handler_in_a_subfolder_with_a_nested_export(project):
    files = {"src/handlers/app.js": "exports.api = { handle: async () => ({ from: 'nested' }) };"}
    with project(files, handler="src/handlers/app.api.handle") as sb:
        assert sb.run(MACHINE, {}).output == {"from": "nested"}


def test_thrown_error_becomes_the_task_error_as_lambda_reports_it(project):
    handler = """
class OrderRejected extends Error {
  constructor(message) { super(message); this.name = "OrderRejected"; }
}
exports.handler = async () => { throw new OrderRejected("out of stock"); };
"""
    with project({"app.js": handler}) as sb:
        run = sb.run(MACHINE, {})
        error, cause = task_failure(run)
        assert (run.status, run.error, error) == ("FAILED", "OrderRejected", "OrderRejected")
        assert cause["errorType"] == "OrderRejected"
        assert cause["errorMessage"] == "out of stock"
        assert cause["trace"][0] == "OrderRejected: out of stock"


def test_a_thrown_string_is_reported_with_its_type_as_lambda_does(project):
    with project({"app.js": "exports.handler = async () => { throw 'plain'; };"}) as sb:
        error, cause = task_failure(sb.run(MACHINE, {}))
        assert (error, cause["errorMessage"]) == ("string", "plain")


@pytest.mark.parametrize(("files", "error_type", "message"), [
    ({"other.js": ""}, "Runtime.ImportModuleError", "Error: Cannot find module 'app'"),
    ({"app.js": "exports.other = async () => 1;"}, "Runtime.HandlerNotFound",
     "app.handler is undefined or not exported"),
    ({"app.js": "exports.handler = async () => {"}, "Runtime.UserCodeSyntaxError", "SyntaxError: "),
    ({"app.js": "require('left-pad-not-here'); exports.handler = async () => 1;"}, "Runtime.ImportModuleError",
     "Cannot find module 'left-pad-not-here'"),
], ids=["no-module", "no-export", "syntax", "missing-package"])
def test_init_errors_have_lambdas_shapes(project, files, error_type, message):
    with project(files) as sb:
        run = sb.run(MACHINE, {})
        error, cause = task_failure(run)
        assert (run.error, error, cause["errorType"]) == (error_type, error_type, error_type)
        assert message in cause["errorMessage"]


def test_a_missing_aws_sdk_client_says_how_to_install_it(project, tmp_path):
    handler = "import { S3Client } from '@aws-sdk/client-s3'; export const handler = async () => 1;"
    with project({"app.mjs": handler}) as sb:
        error, cause = task_failure(sb.run(MACHINE, {}))
        assert error == "Runtime.ImportModuleError"
        assert f"cd {tmp_path / 'fn'} && npm install @aws-sdk/client-s3" in cause["errorMessage"]


def test_handler_reaches_the_sandbox_state_over_the_loopback_endpoint(project):
    """Without the SDK: a signed-looking JSON request to AWS_ENDPOINT_URL lists the template's table."""
    handler = """
export const handler = async () => {
  const response = await fetch(process.env.AWS_ENDPOINT_URL, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.0",
      "X-Amz-Target": "DynamoDB_20120810.ListTables",
      Authorization: "AWS4-HMAC-SHA256 Credential=" +
        `${process.env.AWS_ACCESS_KEY_ID}/20250101/${process.env.AWS_REGION}/dynamodb/aws4_request, ` +
        "SignedHeaders=host, Signature=0",
    },
    body: "{}",
  });
  return (await response.json()).TableNames;
};
"""
    table = {"Table": {"Type": "AWS::Serverless::SimpleTable"}}
    with project({"app.mjs": handler}, extra_resources=table) as sb:
        assert sb.run(MACHINE, {}).output == ["sfn-suite-Table"]


@pytest.fixture(scope="session")
def sdk_modules() -> Path:
    """@aws-sdk/client-dynamodb from tests/sandbox/node_sdk (npm ci on first use, then cached)."""
    modules = SDK_DIR / "node_modules"
    installed = modules / "@aws-sdk" / "client-dynamodb"
    if installed.is_dir():
        return modules
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed (apt-get install npm): the AWS SDK for JavaScript cannot be installed")
    # pytest-xdist workers may get here together: one installs, the others find it installed.
    with open(SDK_DIR / "package.json") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not installed.is_dir():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=SDK_DIR, check=True)
    return modules


def test_aws_sdk_v3_calls_reach_the_same_moto_state(project, tmp_path, sdk_modules):
    handler = """
import { DynamoDBClient, PutItemCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
const client = new DynamoDBClient({});
export const handler = async (event) => {
  const item = { id: { S: event.id }, by: { S: "node" } };
  await client.send(new PutItemCommand({ TableName: process.env.TABLE, Item: item }));
  const got = await client.send(new GetItemCommand({ TableName: process.env.TABLE, Key: { id: { S: "seeded" } } }));
  return { by: got.Item.by.S };
};
"""
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "node_modules").symlink_to(sdk_modules, target_is_directory=True)
    table = {"Table": {"Type": "AWS::Serverless::SimpleTable"}}
    function = {"Environment": {"Variables": {"TABLE": {"Ref": "Table"}}}}
    with project({"app.mjs": handler}, extra_resources=table, function=function) as sb:
        dynamodb = boto3.client("dynamodb", region_name=sb.region)
        dynamodb.put_item(TableName="sfn-suite-Table", Item={"id": {"S": "seeded"}, "by": {"S": "python"}})
        run = sb.run(MACHINE, {"id": "from-node"})
        assert (run.status, run.output) == ("SUCCEEDED", {"by": "python"})
        item = dynamodb.get_item(TableName="sfn-suite-Table", Key={"id": {"S": "from-node"}})["Item"]
        assert item["by"] == {"S": "node"}


def test_concurrent_invocations_get_their_own_environments(project):
    handler = """
exports.handler = async (event) => { await new Promise((r) => setTimeout(r, 50)); return process.pid; };
"""
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"StartAt": "Call", "States": {"Call": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "OutputPath": "$.Payload", "End": True,
            "Parameters": {"FunctionName": {"Ref": "Fn"}, "Payload.$": "$"}}}}}}}
    with project({"app.js": handler}, definition=definition) as sb:
        run = sb.run(MACHINE, {"items": [1, 2, 3]})
        assert run.status == "SUCCEEDED"
        assert len(run.output) == 3
        assert sb.lambdas.functions["Fn"].invocations == 3


def test_children_end_with_their_sandbox(project):
    with project({"app.js": ASYNC_CJS}) as sb:
        pid = sb.run(MACHINE, {"name": "x"}).output["pid"]
        assert sb.lambdas.functions["Fn"].processes == [pid]
        os.kill(pid, 0)  # alive while the sandbox runs
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def _function(tmp_path: Path, source: str, timeout: float = 10) -> Iterator[NodeFunction]:
    (tmp_path / "app.js").write_text(source)
    return NodeFunction("Fn", "fn", "arn:aws:lambda:us-east-1:123456789012:function:fn", tmp_path, "app.handler",
                        {}, "nodejs20.x", "us-east-1", timeout_seconds=timeout)


def test_timeout_stops_the_environment_and_the_next_invocation_starts_a_new_one(tmp_path):
    source = "exports.handler = async (event) => event.hang ? new Promise(() => {}) : process.pid;"
    function = _function(tmp_path, source, timeout=0.5)
    try:
        first = function.invoke({})
        with pytest.raises(FunctionError) as raised:
            function.invoke({"hang": True})
        assert raised.value.payload["errorType"] == "Sandbox.Timedout"
        assert "Task timed out after 0.50 seconds" in raised.value.payload["errorMessage"]
        assert function.invoke({}) != first
    finally:
        function.close()
    assert function.processes == []


def test_a_handler_that_exits_the_process_is_a_runtime_exit_error(tmp_path):
    function = _function(tmp_path, "exports.handler = async () => process.exit(3);")
    try:
        with pytest.raises(FunctionError) as raised:
            function.invoke({})
        assert raised.value.payload["errorType"] == "Runtime.ExitError"
        assert "exit status 3" in raised.value.payload["errorMessage"]
    finally:
        function.close()


def test_stdout_written_directly_is_logged_and_the_protocol_is_untouched(tmp_path):
    source = ("exports.handler = async () => { process.stdout.write('{\"id\": \"fake\"}\\n'); "
              "process.stderr.write('no newline'); return 'real'; };")
    function = _function(tmp_path, source)
    try:
        assert function.invoke({}) == "real"
        assert sorted(function.log_lines) == ['no newline', '{"id": "fake"}']
    finally:
        function.close()


def test_without_node_the_task_fails_with_how_to_install_it(project, monkeypatch):
    monkeypatch.setattr(node_runtime, "node_executable", lambda: None)
    with project({"app.js": ASYNC_CJS}) as sb:
        run = sb.run(MACHINE, {})
        error, cause = task_failure(run)
        assert error == "Sandbox.RuntimeUnavailable"
        assert cause["errorMessage"].startswith("Fn (nodejs20.x): `node` is not on PATH")


ESBUILD = {"BuildMethod": "esbuild", "BuildProperties": {"EntryPoints": ["app.ts"]}}


def test_an_unbuilt_esbuild_function_says_to_run_sam_build(project, tmp_path):
    with project({"app.ts": "export const handler = async (): Promise<number> => 1;"}, metadata=ESBUILD) as sb:
        error, cause = task_failure(sb.run(MACHINE, {}))
        assert error == "Sandbox.UnsupportedRuntime"
        assert cause["errorMessage"] == (f"Fn (nodejs20.x, BuildMethod esbuild): its built code "
                                         f"{tmp_path / '.aws-sam' / 'build' / 'Fn'} does not exist; "
                                         f"run `sam build` in {tmp_path} first")


def test_an_esbuild_function_runs_its_sam_build_output(project, tmp_path):
    built = tmp_path / ".aws-sam" / "build" / "Fn"
    built.mkdir(parents=True)
    (built / "app.js").write_text("exports.handler = async () => ({ from: 'built' });")
    with project({"app.ts": "export const handler = async () => 'source';"}, metadata=ESBUILD) as sb:
        assert sb.run(MACHINE, {}).output == {"from": "built"}


def test_sandbox_without_node_functions_starts_no_endpoint(tmp_path):
    path = write_project(tmp_path, {"app.py": "def handler(event, context):\n    return 1\n"}, runtime="python3.12")
    with Sandbox.from_template(path) as sb:
        assert sb.run(MACHINE, {}).output == 1
        assert node_runtime.ENDPOINT._server is None


def test_result_is_json_as_lambda_returns_it(project):
    with project({"app.js": "exports.handler = async () => undefined;"}) as sb:
        run = sb.run(MACHINE, {})
        assert run.status == "SUCCEEDED"
        assert json.loads(run.events_of("TaskSucceeded")[0]["taskSucceededEventDetails"]["output"])["Payload"] is None


def test_a_node_handler_invoking_another_function_reaches_the_sandboxs_runtime(project):
    """Through moto's server (as the SDK's LambdaClient would): answered by the template's function, not Docker."""
    handler = """
const invoke = (name, payload, type = "RequestResponse") => fetch(
  `${process.env.AWS_ENDPOINT_URL}/2015-03-31/functions/${name}/invocations`, {
    method: "POST",
    headers: {
      "X-Amz-Invocation-Type": type,
      Authorization: "AWS4-HMAC-SHA256 Credential=" +
        `${process.env.AWS_ACCESS_KEY_ID}/20250101/${process.env.AWS_REGION}/lambda/aws4_request, ` +
        "SignedHeaders=host, Signature=0",
    },
    body: JSON.stringify(payload),
  });
export const handler = async () => {
  const answered = await invoke("sfn-suite-Helper", { n: 2 });
  const failed = await invoke("sfn-suite-Helper", { fail: true });
  const missing = await invoke("sfn-suite-Nope", {});
  return {
    answer: await answered.json(),
    failedHeader: failed.headers.get("x-amz-function-error"),
    failedType: (await failed.json()).errorType,
    missing: [missing.status, missing.headers.get("x-amzn-errortype")],
  };
};
"""
    helper = ("def handler(event, context):\n"
              "    if event.get('fail'):\n        raise ValueError('no')\n"
              "    return {'doubled': event['n'] * 2}\n")
    extra = {"Helper": {"Type": "AWS::Serverless::Function",
                        "Properties": {"CodeUri": "fn/", "Handler": "helper.handler", "Runtime": "python3.12"}}}
    with project({"app.mjs": handler, "helper.py": helper}, extra_resources=extra) as sb:
        run = sb.run(MACHINE, {})
        assert run.output == {"answer": {"doubled": 4}, "failedHeader": "Unhandled", "failedType": "ValueError",
                              "missing": [404, "ResourceNotFoundException"]}


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for whoever adopted it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_children_end_even_when_the_sandboxs_process_dies_without_cleaning_up(tmp_path):
    """An environment reads its requests from the sandbox: when that pipe closes, it exits."""
    template = write_project(tmp_path, {"app.js": ASYNC_CJS})
    script = ("import os, sys\nfrom sandbox.core import Sandbox\n"
              "sb = Sandbox.from_template(sys.argv[1]).__enter__()\n"
              f"print(sb.run({MACHINE!r}, {{'name': 'x'}}).output['pid'], flush=True)\n"
              "os._exit(0)\n")
    done = subprocess.run([sys.executable, "-c", script, str(template)], capture_output=True, text=True,
                          check=True, timeout=60)
    pid = int(done.stdout.strip().splitlines()[-1])
    deadline = time.monotonic() + 10
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _running(pid)


def test_a_module_whose_top_level_never_finishes_times_out_its_init(tmp_path, monkeypatch):
    monkeypatch.setattr(node_runtime, "INIT_SECONDS", 0)
    function = _function(tmp_path, "while (true) {}", timeout=0.3)
    try:
        with pytest.raises(FunctionError) as raised:
            function.invoke({})
        assert raised.value.payload["errorType"] == "Sandbox.Timedout"
        assert function.processes == []
    finally:
        function.close()


def test_concurrency_beyond_the_cap_waits_for_a_free_environment(tmp_path, monkeypatch):
    monkeypatch.setattr(node_runtime, "MAX_ENVIRONMENTS", 2)
    function = _function(tmp_path, "exports.handler = async () => { await new Promise((r) => setTimeout(r, 20)); "
                                   "return process.pid; };")
    pids: list[int] = []
    try:
        threads = [threading.Thread(target=lambda: pids.append(function.invoke({}))) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(pids) == 6
        assert len(set(pids)) <= 2
    finally:
        function.close()


def test_a_plain_function_without_callback_or_promise_answers_null_as_on_lambda(tmp_path):
    function = _function(tmp_path, "exports.handler = (event) => ({ ignored: true });")
    try:
        assert function.invoke({}) is None
    finally:
        function.close()


def test_an_invocation_arriving_after_close_starts_no_process(tmp_path):
    function = _function(tmp_path, ASYNC_CJS)
    function.close()
    with pytest.raises(FunctionError) as raised:
        function.invoke({})
    assert raised.value.payload["errorType"] == "Sandbox.Stopped"
    assert function.processes == []


def test_requiring_the_v2_sdk_says_the_runtime_lacks_it_on_lambda_too(project):
    with project({"app.js": "const AWS = require('aws-sdk'); exports.handler = async () => 1;"}) as sb:
        error, cause = task_failure(sb.run(MACHINE, {}))
        assert error == "Runtime.ImportModuleError"
        assert "the AWS SDK for JavaScript v2 is not in the nodejs18.x and later runtimes" in cause["errorMessage"]


def test_closing_during_an_invocation_ends_it_as_the_runtimes_exit(tmp_path, monkeypatch):
    """The sandbox stopping while a handler runs: the invocation ends at once, no descriptor is read after close.

    Nor does it wait for log lines a killed runtime can no longer write (the wait for them is made longer than
    the test's patience: it used to run to its end whenever the close came during INIT)."""
    monkeypatch.setattr(node_runtime, "LOG_FLUSH_SECONDS", 60.0)
    function = _function(tmp_path, "exports.handler = async () => new Promise(() => {});", timeout=30)
    errors: list[FunctionError] = []

    def call() -> None:
        try:
            function.invoke({})
        except FunctionError as error:
            errors.append(error)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 10
    while not function.processes and time.monotonic() < deadline:
        time.sleep(0.01)
    function.close()
    caller.join(10)
    assert not caller.is_alive()
    assert [e.payload["errorType"] for e in errors] == ["Runtime.ExitError"]
