"""Distributed Map states behave offline as on AWS (sandbox/moto_fixes/distributed_map.py).

Each test states the AWS behaviour it checks; a moto upgrade that changes one shows here.
The definitions are inline: these tests are about the engine, not a workflow of the suite.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sandbox.core import Sandbox
from sandbox.moto_fixes.distributed_map import EXCEEDED_CAUSE, adapt_definition, child_executions

BUCKET = "Bucket"


def distributed_map(reader: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A machine whose Distributed Map runs an EXPRESS child per item: fail when the item says so."""
    state: dict[str, Any] = {
        "Type": "Map",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "Route",
            "States": {
                "Route": {"Type": "Choice", "Choices": [
                    {"Variable": "$.fail", "IsPresent": True, "Next": "Broken"}], "Default": "Echo"},
                "Broken": {"Type": "Fail", "Error": "Item.Broken", "Cause": "asked to fail"},
                "Echo": {"Type": "Pass", "End": True},
            },
        },
        "MaxConcurrency": 50,
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
        "End": True,
        **fields,
    }
    if reader is not None:
        state["ItemReader"] = reader
    else:
        state.setdefault("ItemsPath", "$.items")
    return {"StartAt": "Each", "States": {"Each": state, "Caught": {"Type": "Pass", "End": True}}}


@pytest.fixture
def sandbox_for(tmp_path: Path):
    """Builds a sandbox around one inline definition (a bucket with it)."""
    opened: list[Sandbox] = []

    def build(definition: dict[str, Any]) -> Sandbox:
        template = {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Transform": "AWS::Serverless-2016-10-31",
            "Resources": {
                BUCKET: {"Type": "AWS::S3::Bucket"},
                "Machine": {"Type": "AWS::Serverless::StateMachine",
                            "Properties": {"Type": "STANDARD", "Definition": definition}},
            },
        }
        path = tmp_path / "template.yaml"
        path.write_text(json.dumps(template))  # JSON is YAML
        sb = Sandbox.from_template(path).__enter__()
        opened.append(sb)
        return sb

    yield build
    for sb in opened:
        sb.__exit__(None, None, None)


# -- loading -----------------------------------------------------------------------------------


def test_adapted_definition_loads_what_aws_accepts_and_leaves_the_original_alone():
    """AWS accepts EXPRESS children and an integer percentage; moto's grammar does neither."""
    definition = distributed_map(ToleratedFailurePercentage=5)
    nested = {"StartAt": "Outer", "States": {"Outer": {"Type": "Parallel", "End": True,
                                                        "Branches": [definition]}}}
    adapted = adapt_definition(nested)
    inner = adapted["States"]["Outer"]["Branches"][0]["States"]["Each"]
    assert inner["ItemProcessor"]["ProcessorConfig"]["ExecutionType"] == "STANDARD"
    assert inner["ToleratedFailurePercentage"] == 5.0 and isinstance(inner["ToleratedFailurePercentage"], float)
    assert definition["States"]["Each"]["ToleratedFailurePercentage"] == 5
    assert definition["States"]["Each"]["ItemProcessor"]["ProcessorConfig"]["ExecutionType"] == "EXPRESS"


def test_machine_with_express_children_and_integer_percentage_runs(sandbox_for):
    sb = sandbox_for(distributed_map(ToleratedFailurePercentage=5))
    assert sb.workflow("Machine").definition["States"]["Each"]["ToleratedFailurePercentage"] == 5
    run = sb.run("Machine", {"items": [{"n": 1}, {"n": 2}]})
    assert (run.status, run.output) == ("SUCCEEDED", [{"n": 1}, {"n": 2}])


# -- ItemReader ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_listing_reads_every_page_and_gives_children_the_aws_item_shape(sandbox_for):
    """ListObjectsV2 pages hold 1,000 keys; the ItemReader lists them all (one child each): a full page and one
    key on the next."""
    sb = sandbox_for(distributed_map({"Resource": "arn:aws:states:::s3:listObjectsV2",
                                      "Parameters": {"Bucket.$": "$.bucket", "Prefix": "data/"}}))
    from sandbox import seeding
    from sandbox.session import shared_client

    s3 = shared_client(sb.region, "s3")
    bucket = sb.bucket_name(BUCKET)
    s3.put_object(Bucket=bucket, Key="data/00000.bin", Body=b"xy", StorageClass="DEEP_ARCHIVE")
    # The other keys as that PutObject made the first (as `Sandbox.seed` makes a counted entry's objects).
    others = [f"data/{n:05}.bin" for n in range(1, 1001)]
    seeding.put_like_first(sb.account_id, sb.region, bucket, "data/00000.bin", others)
    s3.put_object(Bucket=bucket, Key="other/skip.bin", Body=b"x")
    run = sb.run("Machine", {"bucket": bucket}, wall_timeout=120)
    assert run.status == "SUCCEEDED"
    # Read from the history: a large output can still be missing from describe_execution just after
    # the status turns SUCCEEDED (moto sets the status before the output).
    output = json.loads(run.events_of("ExecutionSucceeded")[0]["executionSucceededEventDetails"]["output"])
    assert len(output) == 1001
    first = output[0]
    assert set(first) == {"Etag", "Key", "LastModified", "Size", "StorageClass"}
    assert (first["Key"], first["Size"], first["StorageClass"]) == ("data/00000.bin", 2, "DEEP_ARCHIVE")
    assert first["Etag"].startswith('"') and isinstance(first["LastModified"], int)
    assert sorted(item["Key"] for item in output)[-1] == "data/01000.bin"


def test_listing_an_empty_prefix_runs_no_child_and_succeeds(sandbox_for):
    sb = sandbox_for(distributed_map({"Resource": "arn:aws:states:::s3:listObjectsV2",
                                      "Parameters": {"Bucket.$": "$.bucket", "Prefix": "nothing/"}}))
    run = sb.run("Machine", {"bucket": sb.bucket_name(BUCKET)})
    assert (run.status, run.output) == ("SUCCEEDED", [])
    assert child_executions(run.execution_arn) == []


@pytest.mark.parametrize(("body", "config", "expected"), [
    (json.dumps([{"key": "a"}, {"key": "b"}]), {"InputType": "JSON"}, [{"key": "a"}, {"key": "b"}]),
    ("key,size\na,1\nb,2\n", {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
     [{"key": "a", "size": "1"}, {"key": "b", "size": "2"}]),
], ids=["json", "csv"])
def test_manifest_in_s3_gives_one_child_per_entry(sandbox_for, body, config, expected):
    """s3:getObject with ReaderConfig: a JSON array, or CSV rows as objects of strings."""
    sb = sandbox_for(distributed_map({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": config,
                                      "Parameters": {"Bucket.$": "$.bucket", "Key": "manifest"}}))
    sb.put_object(BUCKET, "manifest", body)
    run = sb.run("Machine", {"bucket": sb.bucket_name(BUCKET)})
    assert (run.status, run.output) == ("SUCCEEDED", expected)


# -- tolerated failures --------------------------------------------------------------------------


def items(total: int, failing: int) -> dict[str, Any]:
    return {"items": [{"n": n, **({"fail": True} if n < failing else {})} for n in range(total)]}


@pytest.mark.parametrize(("fields", "failing", "tolerated"), [
    ({}, 1, False),                                   # no threshold: any failed item fails the Map Run
    ({"ToleratedFailurePercentage": 10}, 1, True),    # 10 % of 10 items may fail
    ({"ToleratedFailurePercentage": 10}, 2, False),
    ({"ToleratedFailurePercentage": 0}, 1, False),
    ({"ToleratedFailureCount": 2}, 2, True),
    ({"ToleratedFailureCount": 2}, 3, False),
    ({"ToleratedFailureCount": 5, "ToleratedFailurePercentage": 10}, 2, False),  # either threshold
    ({"ToleratedFailurePercentage": 100}, 10, True),
], ids=["none", "pct-within", "pct-over", "pct-zero", "count-within", "count-over", "either", "all"])
def test_failed_items_over_the_threshold_fail_the_map_with_a_catchable_error(sandbox_for, fields, failing,
                                                                             tolerated):
    sb = sandbox_for(distributed_map(**fields))
    run = sb.run("Machine", items(10, failing))
    assert run.status == "SUCCEEDED"
    if tolerated:
        assert run.path[0] == "Each" and "Caught" not in run.path
        assert len(run.output) == 10
    else:
        assert run.path[-1] == "Caught"
        assert run.output["error"] == {"Error": "States.ExceedToleratedFailureThreshold", "Cause": EXCEEDED_CAUSE}
        (failed,) = run.events_of("MapRunFailed")
        assert failed["mapRunFailedEventDetails"]["error"] == "States.ExceedToleratedFailureThreshold"


# -- child executions ----------------------------------------------------------------------------


def test_each_child_has_a_history_of_its_own(sandbox_for):
    """Children are executions of their own on AWS: the parent history shows the Map Run only."""
    sb = sandbox_for(distributed_map(ToleratedFailureCount=1))
    run = sb.run("Machine", items(3, 1))
    assert run.status == "SUCCEEDED" and run.path == ["Each"]
    assert [e["type"] for e in run.history if e["type"].startswith("MapRun")] == ["MapRunStarted", "MapRunSucceeded"]
    children = child_executions(run.execution_arn, "Each")
    assert [(c.index, c.status, c.path) for c in children] == [
        (0, "FAILED", ["Route", "Broken"]), (1, "SUCCEEDED", ["Route", "Echo"]), (2, "SUCCEEDED", ["Route", "Echo"])]
    assert (children[0].error, children[0].cause) == ("Item.Broken", "asked to fail")
    assert children[0].history[0]["type"] == "ExecutionStarted"
    assert json.loads(children[0].history[0]["executionStartedEventDetails"]["input"]) == {"n": 0, "fail": True}
    assert children[0].history[-1]["type"] == "ExecutionFailed"
    assert children[1].history[-1]["type"] == "ExecutionSucceeded"
    assert [e["id"] for e in children[1].history] == list(range(1, len(children[1].history) + 1))


def test_children_are_forgotten_when_their_sandbox_stops(sandbox_for):
    """A stopped sandbox's children do not pile up in the process: the next sandbox starts from none."""
    sb = sandbox_for(distributed_map(ToleratedFailureCount=1))
    run = sb.run("Machine", items(3, 1))
    assert len(child_executions(run.execution_arn)) == 3
    sb.__exit__(None, None, None)
    assert child_executions(run.execution_arn) == []


# -- the virtual clock inside children -------------------------------------------------------------


def test_waits_and_retry_back_offs_inside_children_run_out_on_the_virtual_clock(sandbox_for):
    """A child's Wait state and Retry back-off need the clock to move: the Map state must not hold it."""
    definition = distributed_map()
    definition["States"]["Each"]["ItemProcessor"]["StartAt"] = "Pause"
    definition["States"]["Each"]["ItemProcessor"]["States"].update({
        "Pause": {"Type": "Wait", "Seconds": 3600, "Next": "Head"},
        "Head": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headBucket",
                 "Parameters": {"Bucket.$": "$.bucket"}, "ResultPath": None,
                 "Retry": [{"ErrorEquals": ["S3.SlowDownException"], "IntervalSeconds": 60, "MaxAttempts": 2}],
                 "Next": "Route"},
    })
    sb = sandbox_for(definition)
    sb.faults.fail("Head", "S3.SlowDownException", times=1)
    bucket = sb.bucket_name(BUCKET)
    run = sb.run("Machine", {"items": [{"bucket": bucket, "n": 1}, {"bucket": bucket, "n": 2}]}, wall_timeout=20)
    assert (run.status, [item["n"] for item in run.output]) == ("SUCCEEDED", [1, 2])
    failed_attempts = [event for child in child_executions(run.execution_arn) for event in child.history
                       if event["type"] == "TaskFailed"]
    assert failed_attempts, "the fault should have made at least one child retry"
    assert run.history[-1]["timestamp"] - run.history[0]["timestamp"] >= timedelta(hours=1, minutes=1)


# -- workers -----------------------------------------------------------------------------------------------------


def _waiting_children(pause: dict[str, Any]) -> dict[str, Any]:
    definition = distributed_map()
    processor = definition["States"]["Each"]["ItemProcessor"]
    processor["StartAt"] = "Pause"
    processor["States"]["Pause"] = {**pause, "Next": "Route"}
    return definition


@pytest.fixture
def workers_started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the Map Run worker threads started while the test runs."""
    from sandbox.moto_fixes import distributed_map as module

    started: list[str] = []

    class CountedThread(module.HoldingThread):
        def start(self) -> None:
            started.append(self.name)
            super().start()

    monkeypatch.setattr(module, "HoldingThread", CountedThread)
    return started


def test_children_that_only_compute_share_one_worker(sandbox_for, workers_started):
    """Children that never wait take turns on one thread: more threads would only hand the GIL around."""
    run = sandbox_for(distributed_map()).run("Machine", {"items": [{"n": n} for n in range(40)]})
    assert (run.status, [item["n"] for item in run.output]) == ("SUCCEEDED", list(range(40)))
    assert workers_started == ["sandbox-map-run-worker"]


@pytest.mark.parametrize("pause", [
    {"Type": "Wait", "Seconds": 3600},
    {"Type": "Parallel", "ResultPath": None,
     "Branches": [{"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 3600, "End": True}}}]},
], ids=["wait", "wait-in-a-parallel-branch"])
def test_children_that_wait_wait_at_the_same_time(sandbox_for, workers_started, pause):
    """On AWS up to MaxConcurrency children run at once, so eight children that each wait an hour take an hour, not
    eight: a worker about to give the clock back starts another while items are left."""
    run = sandbox_for(_waiting_children(pause)).run("Machine", {"items": [{"n": n} for n in range(8)]},
                                                    wall_timeout=20)
    assert (run.status, [item["n"] for item in run.output]) == ("SUCCEEDED", list(range(8)))
    assert len(workers_started) == 8
    took = run.history[-1]["timestamp"] - run.history[0]["timestamp"]
    assert timedelta(hours=1) <= took < timedelta(hours=2)


def test_workers_stay_within_max_concurrency(sandbox_for, workers_started):
    """MaxConcurrency 3: three children wait at a time, so nine one-hour waits take three hours."""
    definition = _waiting_children({"Type": "Wait", "Seconds": 3600})
    definition["States"]["Each"]["MaxConcurrency"] = 3
    run = sandbox_for(definition).run("Machine", {"items": [{"n": n} for n in range(9)]}, wall_timeout=20)
    assert run.status == "SUCCEEDED" and len(workers_started) == 3
    took = run.history[-1]["timestamp"] - run.history[0]["timestamp"]
    assert timedelta(hours=3) <= took < timedelta(hours=4)
