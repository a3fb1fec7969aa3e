"""What the sandbox does to make starts and executions cheaper changes no result.

Each fix is checked for the behaviour it keeps (same outputs, same errors) and for the work it
saves, counted rather than timed: tests never assert on wall time.
"""

from __future__ import annotations

import copy
import io
import json
import subprocess  # nosec B404: runs this test's own Python with a fixed snippet
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from sandbox import cli
from sandbox.core import Sandbox
from sandbox.moto_fixes import dynamodb_expressions, json_copy, map_pool, request_environ, result_path_cache
from tests.sandbox.engine_helpers import ENGINE_CONFIG, output_of, run

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "fixture" / "template.yaml"


@pytest.fixture
def engine() -> Iterator[None]:
    with mock_aws(config=ENGINE_CONFIG):
        result_path_cache.install()
        json_copy.install()
        map_pool.install()
        yield


# -- imports ---------------------------------------------------------------------------------------

_IMPORTS = textwrap.dedent("""
    import sys
    import sandbox.core
    print("ec2 after start imports:", "moto.ec2" in sys.modules)
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_batch
    print("job status:", state_task_service_batch.JobStatus.SUCCEEDED.value)
    from moto.backends import get_backend
    print("batch backends:", type(get_backend("batch")).__name__, "moto.ec2" in sys.modules)
""")


@pytest.mark.slow
def test_moto_batch_and_ec2_load_only_when_batch_is_used() -> None:
    done = subprocess.run([sys.executable, "-c", _IMPORTS], cwd=ROOT, capture_output=True, text=True,  # nosec B603
                          timeout=120, check=True)
    assert done.stdout.splitlines() == ["ec2 after start imports: False", "job status: SUCCEEDED",
                                        "batch backends: BackendDict True"]


# -- mock starts -----------------------------------------------------------------------------------


def _registered_routes() -> list[Any]:
    from moto.core.models import responses_mock

    return list(responses_mock._registry.registered)


def test_every_mock_start_registers_the_same_routes_built_once_and_they_still_answer() -> None:
    from moto.core import models

    from sandbox.moto_fixes import mock_routes

    mock_routes.install()
    with mock_aws():
        first = _registered_routes()
    with mock_aws():
        again = _registered_routes()
        # moto's own count: one route per method and backend URL pattern, plus one "not implemented" per method.
        assert len(again) == len(models.RESPONSES_METHODS) * (len(models.backend_index.backend_url_patterns) + 1)
        assert all(a is b for a, b in zip(first, again, strict=True))
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="routes")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["routes"]


# -- ResultPath ------------------------------------------------------------------------------------


def test_result_path_is_parsed_once_and_still_places_results(engine: None) -> None:
    from moto.stepfunctions.parser.asl.component.common.path import result_path

    definition = {"StartAt": "Put", "States": {
        "Put": {"Type": "Pass", "Result": {"v": 1}, "ResultPath": "$.deep.place", "Next": "Again"},
        "Again": {"Type": "Pass", "Result": 2, "ResultPath": "$.deep.place", "End": True}}}
    before = result_path.parse.cache_info()
    assert output_of(run(definition, {"keep": True})) == {"keep": True, "deep": {"place": 2}}
    assert output_of(run(definition, {"keep": False})) == {"keep": False, "deep": {"place": 2}}
    after = result_path.parse.cache_info()
    assert after.hits - before.hits >= 3  # four ResultPath evaluations, at most one parse


# -- copies of state data --------------------------------------------------------------------------


def test_json_copies_are_deep() -> None:
    value = {"a": [1, {"b": "x"}], "n": None, "f": 1.5, "t": True}
    copied = json_copy.json_deepcopy(value)
    assert copied == value
    copied["a"][1]["b"] = "changed"
    copied["a"].append(2)
    assert value == {"a": [1, {"b": "x"}], "n": None, "f": 1.5, "t": True}


def test_other_objects_still_go_through_deepcopy() -> None:
    class Thing:
        def __init__(self) -> None:
            self.items = [1]

    thing = Thing()
    copied = json_copy.json_deepcopy({"thing": thing})["thing"]
    assert copied is not thing and copied.items == [1] and copied.items is not thing.items


def test_a_value_shared_twice_becomes_two_copies_as_json_would() -> None:
    shared = {"x": 1}
    copied = json_copy.json_deepcopy([shared, shared])
    assert copied[0] is not copied[1] and copied == [{"x": 1}, {"x": 1}]
    kept = copy.deepcopy([shared, shared])
    assert kept[0] is kept[1]  # what the JSON copy deliberately does not keep


def test_the_interpreter_copies_state_data_with_the_json_copy(engine: None) -> None:
    from moto.stepfunctions.parser.asl.eval import states

    assert states.copy.deepcopy is json_copy.json_deepcopy
    assert states.copy.copy is copy.copy  # everything else of `copy` unchanged


# -- Map workers -----------------------------------------------------------------------------------


class _Job:
    def __init__(self, index: int) -> None:
        self.job_index, self.job_output = index, None


class _Pool:
    def __init__(self, size: int) -> None:
        self._open = [_Job(i) for i in reversed(range(size))]
        self.closed: list[int] = []

    def next_job(self) -> _Job | None:
        return self._open.pop() if self._open else None

    def close_job(self, job: _Job) -> None:
        self.closed.append(job.job_index)


class _Frame:
    def __init__(self) -> None:
        self.event_history_context = type("Context", (), {"source_event_id": 0, "last_published_event_id": 7})()
        self.ended = 0

    def open_frame(self) -> _Frame:
        return _Frame()

    def open_inner_frame(self) -> _Frame:
        return _Frame()

    def close_frame(self, _frame: _Frame) -> None:
        self.ended += 1


def _worker(size: int, fail_at: int | None = None) -> Any:
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iteration_worker import (
        IterationWorker,
    )

    class Worker(IterationWorker):
        def _eval_input(self, env_frame: Any) -> None:  # pragma: no cover - not reached: _eval_job is replaced
            pass

        def _eval_job(self, env: Any, job: Any) -> None:
            job.job_output = RuntimeError("item failed") if job.job_index == fail_at else job.job_index * 2

    map_pool.install()
    return Worker(work_name="Items", job_pool=_Pool(size), env=_Frame())


@pytest.mark.slow
def test_one_map_worker_takes_a_hundred_thousand_items_without_recursion() -> None:
    worker = _worker(100_000)
    worker.eval()
    assert worker._job_pool.closed == list(range(100_000))
    assert worker._env.ended == 1  # the worker's frame, once, before its last job closed


def test_a_map_worker_stops_at_the_first_failed_item() -> None:
    worker = _worker(10, fail_at=3)
    worker.eval()
    assert worker._job_pool.closed == [0, 1, 2, 3]


@pytest.mark.slow
def test_an_inline_map_over_more_items_than_the_recursion_limit_completes(engine: None) -> None:
    # Python's own limit for the run, whatever ran before in this process: once JSONata is loaded it is 10,000, and
    # the run would take ten times the items (and ten times as long) for the same check.
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        items = sys.getrecursionlimit() + 200
        definition = {"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "MaxConcurrency": 1, "ItemsPath": "$.items", "End": True,
            "ItemProcessor": {"StartAt": "Double", "States": {"Double": {
                "Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, $.n)"}, "End": True}}}}}}
        output = output_of(run(definition, {"items": [{"n": i} for i in range(items)]}, timeout=600))
    finally:
        sys.setrecursionlimit(previous)
    assert output == [{"n": 2 * i} for i in range(items)]


# -- Task states without TimeoutSeconds ------------------------------------------------------------


def _threads_started_by(action: Any) -> int:
    """Threads `action` starts for its states; the clock's driver is left out (it comes and goes with any wait)."""
    started = [0]
    original = threading.Thread.start

    def counting(self: threading.Thread) -> None:
        started[0] += self.name != "sandbox-clock"
        original(self)

    threading.Thread.start = counting  # type: ignore[method-assign]
    try:
        action()
    finally:
        threading.Thread.start = original  # type: ignore[method-assign]
    return started[0]


def test_a_task_without_timeout_runs_on_its_execution_thread_and_one_with_a_timeout_keeps_its_thread() -> None:
    with Sandbox.from_template(FIXTURE) as sb:
        plain = _threads_started_by(lambda: sb.run("edge", {"case": "plain-arn", "name": "Ada"}))
        timed = _threads_started_by(lambda: sb.run("edge", {"case": "slow-task"}))
        assert sb.executions("edge")[0].succeeded
    assert timed == plain + 1  # the execution's thread, plus the thread TimeoutSeconds is timed on


def _s3_tasks(timeout: int | None) -> dict[str, Any]:
    """PutObject then HeadObject (aws-sdk), each with `timeout` as TimeoutSeconds; a timeout is caught."""
    timed = {"TimeoutSeconds": timeout} if timeout else {}
    return {"StartAt": "Put", "States": {
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                "Parameters": {"Bucket.$": "$.bucket", "Key": "k", "Body": "xy"}, "ResultPath": None, **timed,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "TimedOut"}],
                "Next": "Head"},
        "Head": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject",
                 "Parameters": {"Bucket.$": "$.bucket", "Key": "k"}, "ResultSelector": {"size.$": "$.ContentLength"},
                 **timed, "End": True},
        "TimedOut": {"Type": "Pass", "End": True}}}


@pytest.fixture
def s3_tasks_sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """Two machines making the same S3 calls: `Timed` (TimeoutSeconds 10) and `Untimed`."""
    template = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Timed": {"Type": "AWS::Serverless::StateMachine", "Properties": {"Definition": _s3_tasks(10)}},
        "Untimed": {"Type": "AWS::Serverless::StateMachine", "Properties": {"Definition": _s3_tasks(None)}}}}
    path = tmp_path / "template.yaml"
    path.write_text(json.dumps(template))  # JSON is YAML
    with Sandbox.from_template(path) as sb:
        yield sb


def test_a_request_response_task_with_a_timeout_runs_on_its_execution_thread(s3_tasks_sandbox: Sandbox) -> None:
    """An S3 call holds the clock until it answers, so its TimeoutSeconds cannot fire: no thread to time it on."""
    sb = s3_tasks_sandbox
    request = {"bucket": sb.bucket_name("Bucket")}
    untimed = _threads_started_by(lambda: sb.run("Untimed", request))
    timed = _threads_started_by(lambda: sb.run("Timed", request))
    assert timed == untimed
    assert [run.output for run in sb.executions()] == [{"size": 2}, {"size": 2}]


def test_a_request_response_task_a_fault_plan_hangs_still_times_out(s3_tasks_sandbox: Sandbox) -> None:
    """A planned hang waits on the clock: the state keeps its thread and TimeoutSeconds fires on virtual time."""
    sb = s3_tasks_sandbox
    sb.faults.hang("Put", times=1)
    run = sb.run("Timed", {"bucket": sb.bucket_name("Bucket")})
    assert (run.status, run.path) == ("SUCCEEDED", ["Put", "TimedOut"])
    started, timed_out = run.events_of("TaskStarted")[0], run.events_of("TaskTimedOut")[0]
    assert timed_out["timestamp"] - started["timestamp"] == timedelta(seconds=10)


def test_a_failing_task_without_timeout_still_fails_with_its_error() -> None:
    with Sandbox.from_template(FIXTURE) as sb:
        failed = sb.run("edge", {"case": "missing-function"})
    assert (failed.status, failed.error) == ("FAILED", "Lambda.ResourceNotFoundException")


# -- moto's request object ---------------------------------------------------------------------------

_REQUESTS: list[tuple[str, str, dict[str, Any], Any]] = [
    ("POST", "https://dynamodb.us-east-1.amazonaws.com/",
     {"X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": "application/x-amz-json-1.0", "Content-Length": "2"},
     b"{}"),
    ("HEAD", "https://bucket.s3.amazonaws.com/bench/000001.bin", {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}, None),
    ("GET", "https://s3.us-east-1.amazonaws.com/bucket?list-type=2&prefix=a%2Fb", {"x-amz-meta-my_key": "v"}, b""),
    ("PUT", "https://bucket.s3.amazonaws.com/a%20b/%C3%A9t%C3%A9.txt",
     {"Content-Type": "text/plain", "Transfer-Encoding": "chunked"}, b"hello"),
    ("POST", "https://sns.us-east-1.amazonaws.com/", {"Content-Type": "application/x-www-form-urlencoded"},
     "Action=Publish&Message=h%C3%A9"),
    ("POST", "http://localhost:5000", {"Host": "other:1", "X-Bytes": b"value"}, io.BytesIO(b"x")),
]


def _environ_and_body(request: Any) -> tuple[dict[str, Any], bytes]:
    environ = {k: v for k, v in request.environ.items() if k not in ("werkzeug.request", "wsgi.input")}
    return environ, request.environ["wsgi.input"].read()


@pytest.mark.parametrize(("method", "url", "headers", "body"), _REQUESTS)
def test_moto_gets_the_request_werkzeug_would_build(method: str, url: str, headers: dict[str, Any], body: Any) -> None:
    from moto.core.request import Request

    def fresh() -> Any:
        return io.BytesIO(body.getvalue()) if isinstance(body, io.BytesIO) else body

    ours = request_environ.plain_request(method, url, dict(headers), fresh())
    werkzeugs = Request.from_primitives(method, url, dict(headers), fresh())
    read = [(r.url, r.raw_url, r.path, dict(r.headers), r.args, r.form, r.data) for r in (ours, werkzeugs)]
    assert read[0] == read[1]
    ours = request_environ.plain_request(method, url, dict(headers), fresh())
    assert _environ_and_body(ours) == _environ_and_body(Request.from_primitives(method, url, dict(headers), fresh()))


@pytest.mark.parametrize(("url", "headers", "body"), [
    ("https://bucket.s3.amazonaws.com//leading-slash-key", {}, b""),
    ("https://bucket.s3.amazonaws.com/caf\u00e9", {}, b""),
    ("https://bucket.s3.amazonaws.com/k", {"X-Bad": "a\nb"}, b""),
    ("https://bucket.s3.amazonaws.com/k", {"Content-Type": "multipart/form-data; boundary=x"}, b""),
    ("https://bucket.s3.amazonaws.com/k", {}, bytearray(b"x")),
])
def test_an_unusual_request_takes_moto_own_way(url: str, headers: dict[str, Any], body: Any) -> None:
    assert request_environ.plain_request("PUT", url, headers, body) is None


# -- DynamoDB expressions ----------------------------------------------------------------------------


def test_a_kept_dynamodb_expression_still_follows_the_values_and_the_errors_of_each_request() -> None:
    from botocore.exceptions import ClientError

    with mock_aws():
        dynamodb_expressions.install()
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "status": {"S": "RESTORING"}})

        def put_unless(status: str) -> str:
            try:
                ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "status": {"S": status}},
                             ConditionExpression="attribute_not_exists(pk) OR #s <> :s",
                             ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": {"S": status}})
            except ClientError as error:
                return error.response["Error"]["Code"]
            return "written"

        def add(counter: str, amount: str) -> dict[str, Any]:
            return ddb.update_item(TableName="t", Key={"pk": {"S": "a"}}, UpdateExpression="ADD #c :n",
                                   ExpressionAttributeNames={"#c": counter},
                                   ExpressionAttributeValues={":n": {"N": amount}}, ReturnValues="ALL_NEW")

        assert [put_unless("RESTORING"), put_unless("FAILED"), put_unless("FAILED"), put_unless("RESTORING")] == [
            "ConditionalCheckFailedException", "written", "ConditionalCheckFailedException", "written"]
        add("started", "1")
        add("started", "2")
        attributes = add("failed", "5")["Attributes"]
        assert (attributes["started"], attributes["failed"]) == ({"N": "3"}, {"N": "5"})
        for _ in range(2):
            with pytest.raises(ClientError, match="ValidationException"):
                ddb.update_item(TableName="t", Key={"pk": {"S": "a"}}, UpdateExpression="ADD :n",
                                ExpressionAttributeValues={":n": {"N": "1"}})  # a syntax error
    assert "ADD #c :n" in dynamodb_expressions._update_trees


# -- the CLI's exit --------------------------------------------------------------------------------


def test_the_command_flushes_its_output_and_exits_with_mains_code(monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    exits: list[int] = []

    def fake_exit(code: int) -> None:
        exits.append(code)
        raise SystemExit(code)

    monkeypatch.setattr(sys, "argv", ["sandbox", "--template", str(FIXTURE), "run", "nope", "--event", "x.json"])
    monkeypatch.setattr(cli.os, "_exit", fake_exit)
    import gc

    try:
        with pytest.raises(SystemExit):
            cli.entry()
        collecting = gc.isenabled()
    finally:
        gc.enable()  # the real os._exit ends the process that turned the collector off
    assert exits == [cli.EXIT_USAGE]
    assert "sandbox: cannot read event x.json" in capsys.readouterr().err
    assert not collecting  # the command runs with the collector off until a sandbox runs


# -- garbage collection ----------------------------------------------------------------------------


def test_a_running_sandbox_freezes_what_it_provisioned_and_gives_it_back_when_it_stops() -> None:
    import gc

    from sandbox import engine

    before = gc.get_threshold()
    with Sandbox.from_template(FIXTURE):
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == engine.YOUNG_COLLECTION_THRESHOLD
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_the_items_of_maps_still_running_are_counted_done_out_of_total() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.job import Job, JobPool

    map_pool.install()
    pool = JobPool(job_program=None, job_inputs=list(range(5)))  # type: ignore[arg-type]
    before_done, before_total = map_pool.items_in_progress()
    for index in range(2):
        pool.close_job(Job(job_index=index, job_program=None, job_input=index))  # type: ignore[arg-type]
    assert map_pool.items_in_progress() == (before_done + 2, before_total)
    for index in range(2, 5):
        pool.close_job(Job(job_index=index, job_program=None, job_input=index))  # type: ignore[arg-type]
    assert map_pool.items_in_progress() == (before_done, before_total - 5)  # a finished Map is not counted


def test_threads_the_interpreter_started_are_not_kept_once_it_ran() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state
    from moto.stepfunctions.parser.backend import execution_worker

    with Sandbox.from_template(FIXTURE) as sb:
        sb.run("edge", {"case": "slow-task"})  # an execution thread and a timed task's thread
        assert list(execution_worker.TMP_THREADS) == [] and list(execute_state.TMP_THREADS) == []


UPDATES: list[tuple[str, dict[str, str], dict[str, Any]]] = [
    ("ADD #c :one, pending :p", {"#c": "started"}, {":one": {"N": "1"}, ":p": {"N": "2"}}),
    ("SET a = :s, b.c[1] = :n REMOVE d", {}, {":s": {"S": "x"}, ":n": {"N": "7"}}),
    ("SET #l = list_append(#l, :l), n = if_not_exists(#x, :n) + :n", {"#l": "l", "#x": "missing"},
     {":l": {"L": [{"S": "y"}]}, ":n": {"N": "3"}}),
    ("SET #m.#k = :s DELETE ss :ss", {"#m": "b", "#k": "new"}, {":s": {"S": "z"}, ":ss": {"SS": ["a"]}}),
    ("REMOVE b.c[0], b.c[1]", {}, {}),
    ("SET n = n - :s", {}, {":s": {"S": "not a number"}}),  # type mismatch
    ("SET pk = :s", {}, {":s": {"S": "key"}}),  # a key attribute
    ("SET a = :s, a.b = :s", {}, {":s": {"S": "x"}}),  # overlapping paths
    ("ADD ss :n", {}, {":n": {"N": "1"}}),  # adding a number to a string set
    ("SET a = :missing", {}, {":s": {"S": "x"}}),  # an undefined value
    ("SET a = :s SET b = :s", {}, {":s": {"S": "x"}}),  # two SET clauses
    ("ADD n :n ADD m :n", {}, {":n": {"N": "1"}}),  # two ADD clauses
    ("REMOVE a SET b = :s REMOVE c", {}, {":s": {"S": "x"}}),  # two REMOVE clauses around a SET
    ("SET #l = list_append(#l, :l) ADD n :n, m :n REMOVE d", {"#l": "l"}, {":l": {"L": []}, ":n": {"N": "1"}}),
    ("SET #a = :s, #b = :s", {"#a": "x", "#b": "x"}, {":s": {"S": "x"}}),  # one attribute named twice
    ("SET #undefined = :s", {}, {":s": {"S": "x"}}),  # a name not given
    ("ADD #undefined :n", {}, {":n": {"N": "1"}}),  # idem, in an ADD
]


@pytest.mark.parametrize("expression, names, values", UPDATES, ids=[u[0] for u in UPDATES])
def test_the_update_expression_walk_validates_and_applies_as_moto_s_own(
        expression: str, names: dict[str, str], values: dict[str, Any]) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser  # type: ignore[attr-defined]
    from moto.dynamodb.parsing.executors import UpdateExpressionExecutor
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
    from moto.dynamodb.parsing.validators import UpdateExpressionValidator

    dynamodb_expressions.install()

    class Table:
        table_key_attrs = attribute_keys = ["pk"]
        attr: list[Any] = []

    def applied() -> Any:
        item = Item(DynamoType({"S": "a"}), None, attrs={
            "pk": {"S": "a"}, "n": {"N": "5"}, "l": {"L": [{"S": "x"}]}, "ss": {"SS": ["a", "b"]},
            "b": {"M": {"c": {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]}}}, "d": {"S": "gone"}})
        try:
            validated = UpdateExpressionValidator(UpdateExpressionParser.make(expression), names, values, item,
                                                  Table()).validate()
            validated.normalize()
            UpdateExpressionExecutor(validated, item, names).execute()
        except Exception as error:  # the error itself is what is compared
            return type(error).__name__, str(error)
        return item.to_json()

    ours = applied()
    replacement = DepthFirstTraverser.traverse_node_recursively
    DepthFirstTraverser.traverse_node_recursively = dynamodb_expressions.moto_traversal
    validators.deepcopy = copy.deepcopy
    counting = validators.ActionCountValidator.verify_action_counts
    validators.ActionCountValidator.verify_action_counts = dynamodb_expressions.moto_verify_action_counts
    skipping = validators.Validator.validate
    validators.Validator.validate = dynamodb_expressions.moto_validate
    overlapping = validators.OverlappingPathsValidator.check_for_overlapping_paths
    validators.OverlappingPathsValidator.check_for_overlapping_paths = dynamodb_expressions.moto_overlapping_paths_check
    try:
        motos = applied()
    finally:
        DepthFirstTraverser.traverse_node_recursively = replacement
        validators.deepcopy = dynamodb_expressions.tree_copy
        validators.ActionCountValidator.verify_action_counts = counting
        validators.Validator.validate = skipping
        validators.OverlappingPathsValidator.check_for_overlapping_paths = overlapping
    assert ours == motos


@pytest.mark.parametrize(("expression", "walked"), [
    ("ADD #c :one, pending :p", ["ActionCountValidator", "OverlappingPathsValidator", "UpdateHashRangeKeyValidator",
                                 "ExpressionAttributeValueProcessor", "ExpressionAttributeResolvingProcessor"]),
    ("SET #l = list_append(#l, :l), n = if_not_exists(#x, :n) + :n", [
        "ActionCountValidator", "OverlappingPathsValidator", "UpdateHashRangeKeyValidator",
        "ExpressionAttributeValueProcessor", "ExpressionAttributeResolvingProcessor",
        "UpdateExpressionFunctionEvaluator", "NoneExistingPathChecker", "ExecuteOperations", "TypeMismatchValidator",
        "EmptyStringKeyValueValidator"]),
    ("SET a = :s REMOVE l", [
        "ActionCountValidator", "OverlappingPathsValidator", "UpdateHashRangeKeyValidator",
        "ExpressionAttributeValueProcessor", "ExpressionAttributeResolvingProcessor", "ExecuteOperations",
        "TypeMismatchValidator", "EmptyStringKeyValueValidator"]),
], ids=["add", "set with functions", "set and remove"])
def test_only_the_checks_of_classes_the_tree_holds_walk_it(expression: str, walked: list[str]) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
    from moto.dynamodb.parsing.validators import UpdateExpressionValidator

    dynamodb_expressions.install()

    class Table:
        table_key_attrs = attribute_keys = ["pk"]
        attr: list[Any] = []

    item = Item(DynamoType({"S": "a"}), None, attrs={"pk": {"S": "a"}, "n": {"N": "5"}, "l": {"L": []},
                                                     "started": {"N": "1"}, "pending": {"N": "1"}})
    values = {":one": {"N": "1"}, ":p": {"N": "2"}, ":l": {"L": [{"S": "y"}]}, ":n": {"N": "3"}, ":s": {"S": "x"}}
    names = {key: value for key, value in {"#c": "started", "#l": "l", "#x": "missing"}.items() if key in expression}
    validator = UpdateExpressionValidator(UpdateExpressionParser.make(expression), names,
                                          {key: value for key, value in values.items() if key in expression}, item,
                                          Table())
    validator.validate()
    # (a check that was walked was handed the classes the tree may hold)
    assert [type(check).__name__ for check in validator.processors if "_sandbox_present" in check.__dict__] == walked


def _shape(node: Any, parent: Any = None) -> Any:
    """A tree as nested tuples (class, leaves), checking each child's parent on the way."""
    from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]

    if not isinstance(node, Node):
        return node
    assert node.parent is parent
    return type(node).__name__, node.type, [_shape(child, node) for child in node.children or []]


@pytest.mark.parametrize("expression", [u[0] for u in UPDATES[:5]])
def test_an_expression_tree_copy_is_the_deep_copy(expression: str) -> None:
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    tree = UpdateExpressionParser.make(expression)
    copied = dynamodb_expressions.tree_copy(tree)
    assert _shape(copied) == _shape(copy.deepcopy(tree)) == _shape(tree)
    assert copied is not tree and copied.children[0] is not tree.children[0]


def test_paths_are_checked_for_overlaps_only_at_nodes_with_actions_below(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    dynamodb_expressions.install()
    checked: list[list[str]] = []
    find_path_overlaps = validators.find_path_overlaps

    def counting(paths: list[str]) -> Any:
        checked.append(paths)
        return find_path_overlaps(paths)

    monkeypatch.setattr(validators, "find_path_overlaps", counting)

    class Table:
        table_key_attrs = attribute_keys = ["pk"]
        attr: list[Any] = []

    def validate() -> None:
        item = Item(DynamoType({"S": "a"}), None, attrs={"pk": {"S": "a"}, "n": {"N": "1"}})
        validators.UpdateExpressionValidator(UpdateExpressionParser.make("ADD #c :one, n :one"), {"#c": "c"},
                                             {":one": {"N": "1"}}, item, Table()).validate()

    validate()
    ours = list(checked)
    checked.clear()
    monkeypatch.setattr(validators.OverlappingPathsValidator, "check_for_overlapping_paths",
                        dynamodb_expressions.moto_overlapping_paths_check)
    validate()
    assert ours == [["n"]] * 4  # the nodes above both actions
    assert len(checked) > len(ours) and set(map(tuple, checked)) == {("n",), ()}  # moto: every node, most empty


def test_what_is_found_in_a_kept_tree_is_kept_with_it() -> None:
    from moto.dynamodb.parsing.ast_nodes import (  # type: ignore[attr-defined]
        ExpressionAttributeName,
        ExpressionAttributeValue,
    )
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    dynamodb_expressions.install()
    tree = UpdateExpressionParser.make("ADD #c :one SET a = if_not_exists(#x, :n) + :n")
    for kinds in ([ExpressionAttributeName], [ExpressionAttributeValue], [ExpressionAttributeName]):
        found = tree.find_clauses(kinds)
        assert found == dynamodb_expressions.moto_find_clauses(tree, kinds) and found  # the same nodes
        found.clear()  # (each caller gets its own list)
    assert len(dynamodb_expressions._tree_clauses[id(tree)][1]) == 2
    names = [node.get_attribute_name_placeholder() for node in tree.find_clauses([ExpressionAttributeName])]
    assert names == ["#c", "#x"]
    copied = dynamodb_expressions.tree_copy(tree)  # (a validator's copy: found as moto finds, nothing kept)
    assert [node.get_attribute_name_placeholder() for node in copied.find_clauses([ExpressionAttributeName])] == names
    assert id(copied) not in dynamodb_expressions._tree_clauses


def test_a_tree_with_other_fields_is_left_to_deepcopy() -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.parsing.ast_nodes import DDBTypedValue, UpdateExpression  # type: ignore[attr-defined]

    value = DynamoType({"N": "1"})
    plain = UpdateExpression(children=[DDBTypedValue(value)])
    copied = dynamodb_expressions.tree_copy(plain)
    assert copied.children[0].children[0] is not value and copied.children[0].children[0] == value
    plain.children[0].extra = {"kept": [1]}
    copied = dynamodb_expressions.tree_copy(plain)
    assert copied.children[0].extra == {"kept": [1]} and copied.children[0].extra is not plain.children[0].extra


@pytest.mark.parametrize("host", [
    "my-bucket.s3.amazonaws.com", "my-bucket.s3.us-east-1.amazonaws.com", "s3.amazonaws.com",
    "s3.us-east-1.amazonaws.com", "localhost:5000", "127.0.0.1:5000", "my-bucket.s3.localhost.localstack.cloud",
    "minio.example.com",
])
@pytest.mark.parametrize("custom_endpoints", ["", "http://minio.example.com"])
def test_s3_addressing_is_answered_per_host_as_moto_answers_it(monkeypatch: pytest.MonkeyPatch, host: str,
                                                                custom_endpoints: str) -> None:
    from types import SimpleNamespace

    from moto.s3.responses import S3Response

    from sandbox.moto_fixes import dispatch_cache

    dispatch_cache.install()
    monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", custom_endpoints)
    request = SimpleNamespace(headers={"Host": host}, url=f"https://{host}/key")
    for _ in range(2):  # computed, then kept
        assert S3Response.subdomain_based_buckets(request) == dispatch_cache.moto_subdomain_based_buckets(request)
