"""Glacier restore, end to end in the sandbox: the request workflow, 48 virtual hours of S3, and
the post-processing workflow started by every "Object Restore Completed" event.

Inputs come from events/glacier-restore/ (objects.json seeds the archive bucket, storage classes
included); error names and causes come from the ASL files. The Distributed Map's children are
separate executions (as on AWS): `child_executions()` gives their histories, and the item
processor's coverage is measured on them, per Map state.

Time moves with `finish_restores()`, one S3 timer at a time, rather than `Sandbox.settle()`:
settle() can jump the virtual clock past a restored copy's expiry while the completion event it
just emitted is still starting its execution, and the object would never be reported restored.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.glacier_restore import finish_restores
from sandbox.asl_graph import parse
from sandbox.core import Run, Sandbox
from sandbox.coverage import coverage
from sandbox.moto_fixes.distributed_map import ChildExecution, child_executions
from sandbox.session import shared_client

ROOT = Path(__file__).resolve().parents[2]
SLUG, COMPLETE = "glacier-restore", "glacier-restore-complete"
EVENTS = ROOT / "events" / SLUG
BUCKET, TABLE, TOPIC = "ArchiveBucket", "RestoreTrackingTable", "RestoreNotificationTopic"
MAPS = {"keys": "RestoreKeys", "prefix": "RestorePrefix", "manifest": "RestoreManifest"}
PREFIXES = {"keys": "Keys", "prefix": "Prefix", "manifest": "Manifest"}
"""Item processor states are named `<prefix>.<state>`: state names are unique per state machine."""


def short(path: list[str]) -> list[str]:
    """A child's path without the Map's name prefix."""
    return [name.split(".", 1)[-1] for name in path]


@pytest.fixture(scope="session")
def template_path() -> Path:
    return ROOT / "template.yaml"


@pytest.fixture
def sb(template_path) -> Any:
    with Sandbox.from_template(template_path) as sandbox:
        sandbox.seed(EVENTS / "objects.json")
        yield sandbox


def event(name: str, **changes: Any) -> dict[str, Any]:
    return {**json.loads((EVENTS / f"{name}.json").read_text()), **changes}


def machine_name(sb: Sandbox, slug: str) -> str:
    return sb.workflow(slug).arn.split(":")[-1]


def notifications(sb: Sandbox) -> list[dict[str, Any]]:
    return sb.notifications(TOPIC)


def tracked(sb: Sandbox, key: str) -> dict[str, Any]:
    item = shared_client(sb.region, "dynamodb").get_item(
        TableName=sb.stack.resources[TABLE].name, Key={"pk": {"S": f"OBJECT#{key}"}, "sk": {"S": "OBJECT"}})
    return item.get("Item", {})


def request_item(sb: Sandbox, request_id: str) -> dict[str, Any]:
    item = shared_client(sb.region, "dynamodb").get_item(
        TableName=sb.stack.resources[TABLE].name, Key={"pk": {"S": f"REQUEST#{request_id}"}, "sk": {"S": "REQUEST"}})
    return {k: (int(v["N"]) if "N" in v else v.get("S")) for k, v in item["Item"].items()}


def put_archived(sb: Sandbox, key: str, storage_class: str = "DEEP_ARCHIVE") -> None:
    sb.put_object(BUCKET, key, b"archived bytes", storage_class=storage_class)


def start_restore(sb: Sandbox, key: str, tier: str = "Bulk", days: int = 1) -> None:
    """A restore someone started outside the workflow (console, CLI)."""
    shared_client(sb.region, "s3").restore_object(
        Bucket=sb.bucket_name(BUCKET), Key=key, RestoreRequest={"Days": days, "GlacierJobParameters": {"Tier": tier}})


def track_for_other_request(sb: Sandbox, key: str) -> None:
    shared_client(sb.region, "dynamodb").put_item(TableName=sb.stack.resources[TABLE].name, Item={
        "pk": {"S": f"OBJECT#{key}"}, "sk": {"S": "OBJECT"}, "requestId": {"S": "another-request"},
        "status": {"S": "RESTORING"}})


def request_for(sb: Sandbox, source: str, keys: list[str], **changes: Any) -> dict[str, Any]:
    """A request naming `keys` through `source` (prefix: the keys' common folder; manifest: a CSV)."""
    base = event("keys", **changes)
    del base["keys"]
    if source == "keys":
        return {**base, "keys": keys}
    if source == "prefix":
        return {**base, "prefix": keys[0].rsplit("/", 1)[0] + "/"}
    manifest = f"manifests/{abs(hash(tuple(keys)))}.csv"
    sb.put_object(BUCKET, manifest, "key\n" + "".join(f"{k}\n" for k in keys))
    return {**base, "manifest": manifest}


# -- cases: every case returns the runs it made (restore first) ---------------------------------

RUNS: dict[str, list[Run]] = {}
CHILDREN: dict[str, list[ChildExecution]] = {}
"""The Distributed Map children of each restore run in RUNS, kept as it ends: a sandbox forgets them when it stops."""


def everything(source: str) -> Callable[[Sandbox], list[Run]]:
    """One request whose objects take every real path of the item processor."""

    def case(sb: Sandbox) -> list[Run]:
        folder = f"cov/{source}"
        objects = {name: f"{folder}/{name}.bin" for name in (
            "deep", "glacier", "standard", "infrequent", "restored", "in-progress", "other-request")}
        for name in ("deep", "restored", "in-progress", "other-request"):
            put_archived(sb, objects[name])
        put_archived(sb, objects["glacier"], "GLACIER")
        sb.put_object(BUCKET, objects["standard"], b"x")
        put_archived(sb, objects["infrequent"], "STANDARD_IA")
        start_restore(sb, objects["restored"], tier="Standard", days=30)
        sb.clock.advance(hours=13)  # Deep Archive Standard: done within 12 hours
        start_restore(sb, objects["in-progress"])
        track_for_other_request(sb, objects["other-request"])
        keys = list(objects.values())
        if source == "prefix":  # a listing never names a missing key: S3 answers 404 to the HEAD
            sb.faults.fail("Prefix.HeadObject", "S3.NoSuchKeyException", "Not Found (Service: S3, Status Code: 404)",
                           times=1)
            sb.put_object(BUCKET, f"{folder}/vanished.bin", b"x")
        else:
            keys.append(f"{folder}/missing.bin")
        run = sb.run(SLUG, request_for(sb, source, keys))
        return [run, *finish_restores(sb)]

    return case


def faulted(source: str, plan: Callable[[Any], Any], storage_class: str = "DEEP_ARCHIVE") -> Callable:
    def case(sb: Sandbox) -> list[Run]:
        key = f"fault/{source}/{len(RUNS)}-{time.monotonic_ns()}/object.bin"
        put_archived(sb, key, storage_class)
        plan(sb)
        run = sb.run(SLUG, request_for(sb, source, [key]))
        return [run, *finish_restores(sb)]

    return case


def sample(name: str) -> Callable[[Sandbox], list[Run]]:
    return lambda sb: [sb.run(SLUG, event(name))]


def restore_fault(state: str, error: str, times: int = 1, machine: str = SLUG) -> Callable[[Sandbox], Any]:
    return lambda sb: sb.faults.fail(state, error, "injected", times=times, state_machine=machine_name(sb, machine))


def inner_fault(state: str, error: str, times: int = 1) -> Callable[[Sandbox], Any]:
    """The same fault on the item processor state of every Map (only the one the request uses runs)."""
    return lambda sb: [restore_fault(f"{prefix}.{state}", error, times)(sb) for prefix in PREFIXES.values()]


SUMMARY_ALL_DONE = {"0": {"Return": {"Attributes": {
    name: {"N": value} for name, value in (("started", "1"), ("skipped", "0"), ("failed", "0"), ("pending", "0"),
                                           ("restored", "1"), ("copyFailed", "0"), ("days", "7"))}}}}

CASES: dict[str, Callable[[Sandbox], list[Run]]] = {
    **{f"everything-{source}": everything(source) for source in MAPS},
    **{f"restore-refused-{source}": faulted(source, inner_fault("RestoreObject", "S3.AccessDeniedException"))
       for source in MAPS},
    **{f"mark-failed-fails-{source}": faulted(source, lambda sb: (
        inner_fault("RestoreObject", "S3.AccessDeniedException")(sb),
        inner_fault("MarkObjectFailed", "DynamoDB.AmazonDynamoDBException")(sb))) for source in MAPS},
    **{f"track-fails-{source}": faulted(source, inner_fault("TrackObject", "DynamoDB.AmazonDynamoDBException"))
       for source in MAPS},
    **{f"counting-fails-{source}": faulted(source, inner_fault(
        "CountOutcome", "DynamoDB.AmazonDynamoDBException", times=9)) for source in MAPS},
    "standard-tier": sample("prefix"),
    "bad-tier": sample("bad-tier"),
    "bad-bucket": sample("bad-bucket"),
    "bad-days": sample("bad-days"),
    "bad-two-sources": sample("bad-two-sources"),
    "bad-missing-requester": sample("bad-missing-requester"),
    "days-is-text": lambda sb: [sb.run(SLUG, event("keys", days="7"))],
    "bad-requester": lambda sb: [sb.run(SLUG, event("keys", requester="not-an-address"))],
    "create-request-fails": faulted("keys", restore_fault("CreateRequest", "DynamoDB.AmazonDynamoDBException")),
    "summarize-fails": faulted("keys", restore_fault("Summarize", "DynamoDB.AmazonDynamoDBException")),
    "failure-notice-fails": faulted("keys", lambda sb: (
        restore_fault("Summarize", "DynamoDB.AmazonDynamoDBException")(sb),
        restore_fault("NotifyRequestFailed", "SNS.AuthorizationErrorException")(sb))),
    "summary-notice-fails": faulted("keys", restore_fault("NotifyRequestSummary", "SNS.AuthorizationErrorException")),
    "all-restored-before-summary": faulted("keys", lambda sb: sb.faults.mock(
        "Summarize", SUMMARY_ALL_DONE, state_machine=machine_name(sb, SLUG))),
    "results-notice-fails-early": faulted("keys", lambda sb: (
        sb.faults.mock("Summarize", SUMMARY_ALL_DONE, state_machine=machine_name(sb, SLUG)),
        restore_fault("NotifyResults", "SNS.AuthorizationErrorException")(sb))),
    # post-processing
    "copy-fails": faulted("keys", restore_fault("CopyRestoredObject", "S3.AccessDeniedException", machine=COMPLETE)),
    "find-fails": faulted("keys", restore_fault("FindObject", "DynamoDB.AmazonDynamoDBException", machine=COMPLETE)),
    "mark-done-loses-the-race": faulted("keys", restore_fault(
        "MarkObjectDone", "DynamoDB.ConditionalCheckFailedException", machine=COMPLETE)),
    "mark-done-fails": faulted("keys", restore_fault("MarkObjectDone", "DynamoDB.AmazonDynamoDBException",
                                                     machine=COMPLETE)),
    "count-completion-fails": faulted("keys", restore_fault("CountCompletion", "DynamoDB.AmazonDynamoDBException",
                                                            machine=COMPLETE)),
    "results-notice-fails": faulted("keys", restore_fault("NotifyResults", "SNS.AuthorizationErrorException",
                                                          machine=COMPLETE)),
    "duplicate-and-untracked-events": lambda sb: duplicate_events(sb),
    "invalid-event": lambda sb: [sb.run(COMPLETE, event) for event in NOT_S3_EVENTS],
}
NOT_S3_EVENTS = [
    {"detail": {"bucket": {"name": "x"}}},  # no object key
    {"resources": None, "detail": {"bucket": {"name": "x"}, "object": {"key": "a.txt"}}},  # no resource ARN
    {"resources": ["arn:aws:s3:::x"], "detail": {"bucket": {"name": "x"}, "object": {"key": 7}}},  # not a string
]


def run_case(sb: Sandbox, name: str) -> list[Run]:
    sb.faults.clear()
    runs = CASES[name](sb)
    RUNS[name] = runs
    CHILDREN.update({run.execution_arn: child_executions(run.execution_arn) for run in runs if run.workflow == SLUG})
    return runs


def restore_run(runs: list[Run]) -> Run:
    return next(r for r in runs if r.workflow == SLUG)


def completions(runs: list[Run]) -> list[Run]:
    return [r for r in runs if r.workflow == COMPLETE]


def test_what_is_not_an_s3_event_fails_named_before_any_service_call(sb):
    """Missing fields (checked first: comparing a missing path is a runtime error), then wrong types."""
    runs = run_case(sb, "invalid-event")
    assert [(r.path, r.error) for r in runs] == [
        (["ValidateEvent", "InvalidEvent"], "GlacierRestoreComplete.InvalidEvent")] * len(NOT_S3_EVENTS)
    assert [r.events_of("TaskScheduled") for r in runs] == [[]] * len(NOT_S3_EVENTS)


# -- the whole story ------------------------------------------------------------------------------


def test_key_list_is_restored_post_processed_and_notified_twice_in_all(sb):
    runs = run_case(sb, "everything-keys")
    request = restore_run(runs)
    assert request.status == "SUCCEEDED"
    assert request.path == ["ValidateRequest", "BulkTier", "CreateRequest", "ChooseSource", "RestoreKeys",
                            "Summarize", "NotifyRequestSummary", "CheckAllRestored", "RestoresRequested"]
    # deep + glacier started, in-progress joined (not an error); standard, infrequent, restored and the
    # other request's object skipped; the missing key failed.
    assert {k: request.output[k] for k in ("started", "skipped", "failed")} == {"started": 3, "skipped": 4,
                                                                                "failed": 1}
    children = {c.input: c for c in child_executions(request.execution_arn, "RestoreKeys")}
    assert short(children["cov/keys/missing.bin"].path) == ["HeadObject", "ObjectUnavailable", "CountOutcome"]
    assert children["cov/keys/missing.bin"].output == "failed"
    assert short(children["cov/keys/standard.bin"].path)[-2] == "NotArchived"
    assert short(children["cov/keys/infrequent.bin"].path)[-2] == "NotArchived"
    assert short(children["cov/keys/restored.bin"].path)[-2] == "AlreadyRestored"
    assert short(children["cov/keys/other-request.bin"].path)[-2] == "AlreadyRequested"
    assert short(children["cov/keys/in-progress.bin"].path)[-3:] == ["CheckRestoreError", "RestoreAlreadyInProgress",
                                                              "CountOutcome"]
    assert short(children["cov/keys/deep.bin"].path) == ["HeadObject", "ClassifyObject", "TrackObject", "RestoreObject",
                                                  "RestoreStarted", "CountOutcome"]
    # three completions (deep, glacier, in-progress) plus the earlier outside restore: 4 executions
    done = completions(runs)
    assert sorted(r.path[-1] for r in done) == ["NotRequested", "ObjectProcessed", "ObjectProcessed",
                                                "RequestComplete"]
    summary, results = notifications(sb)
    assert summary["subject"] == f"Glacier restore {request.output['requestId']}: 3 restores started"
    assert "3 restores started, 4 skipped" in summary["message"] and "1 failed" in summary["message"]
    assert "within 48 hours" in summary["message"]
    assert summary["attributes"]["requester"]["Value"] == event("keys")["requester"]
    assert results["subject"] == f"Glacier restore {request.output['requestId']}: complete"
    assert "3 objects restored and copied" in results["message"]
    assert request_item(sb, request.output["requestId"])["pending"] == 0
    copied = shared_client(sb.region, "s3").head_object(
        Bucket=sb.bucket_name(BUCKET), Key=f"restored/{request.output['requestId']}/cov/keys/deep.bin")
    assert copied.get("StorageClass", "STANDARD") == "STANDARD"
    assert tracked(sb, "cov/keys/deep.bin")["status"]["S"] == "DONE"


@pytest.mark.parametrize("source", ["prefix", "manifest"])
def test_prefix_and_manifest_requests_take_the_same_paths(sb, source):
    runs = run_case(sb, f"everything-{source}")
    request = restore_run(runs)
    assert request.status == "SUCCEEDED" and MAPS[source] in request.path
    counts = [request.output[k] for k in ("started", "skipped", "failed")]
    assert sum(counts) == 8 and counts[2] == 1  # the prefix case fails whichever HeadObject comes first
    if source == "manifest":
        assert counts == [3, 4, 1]
    assert [r.path[-1] for r in completions(runs)].count("RequestComplete") == 1
    assert len(notifications(sb)) == 2


def test_sample_prefix_restores_the_archived_objects_of_the_folder_with_the_standard_tier(sb):
    (request,) = run_case(sb, "standard-tier")
    assert "StandardTier" in request.path
    # report-a, report-b (DEEP_ARCHIVE), photos/site-001.jpg (GLACIER); readme, index.csv, thumbnails skipped
    assert {k: request.output[k] for k in ("started", "skipped", "failed")} == {"started": 3, "skipped": 3,
                                                                                "failed": 0}
    runs = finish_restores(sb)
    assert sum(r.path[-1] == "RequestComplete" for r in completions(runs)) == 1
    assert len(notifications(sb)) == 2


def test_duplicate_and_out_of_order_completion_events_change_nothing(sb):
    runs = run_case(sb, "duplicate-and-untracked-events")
    assert [r.path[-1] for r in runs if r.workflow == COMPLETE][-3:] == ["AlreadyProcessed", "AlreadyProcessed",
                                                                         "NotRequested"]
    assert len(notifications(sb)) == 2  # the summary and one results message, no more


def duplicate_events(sb: Sandbox) -> list[Run]:
    """Two objects; their events arrive late, out of order, then again."""
    request = sb.run(SLUG, event("keys"))
    runs = finish_restores(sb)
    first, second = sb.published(None, "Object Restore Completed")
    for duplicate in (second, first):  # redelivered, in the other order
        sb.router.put("default", duplicate)
        runs = finish_restores(sb)
    stranger = json.loads(json.dumps(first))
    stranger["detail"]["object"]["key"] = "archive/2019/report-b.pdf"  # never requested by this workflow
    sb.router.put("default", stranger)
    runs = finish_restores(sb)
    item = request_item(sb, request.output["requestId"])
    assert (item["pending"], item["restored"], item["copyFailed"]) == (0, 2, 0)
    return [request, *[r for r in runs if r.workflow == COMPLETE]]


# -- rejected requests ----------------------------------------------------------------------------

REJECTED = {
    "bad-tier": "InvalidTier", "bad-bucket": "BucketNotAllowed", "bad-days": "InvalidDays",
    "bad-two-sources": "InvalidSource", "bad-missing-requester": "InvalidRequest", "days-is-text": "InvalidRequest",
    "bad-requester": "InvalidRequest",
}


@pytest.mark.parametrize("case", list(REJECTED))
def test_bad_request_fails_with_its_named_error_before_anything_is_restored(sb, case):
    (run,) = run_case(sb, case)
    fail = sb.workflow(SLUG).definition["States"][REJECTED[case]]
    assert (run.status, run.path) == ("FAILED", ["ValidateRequest", REJECTED[case]])
    assert (run.error, run.cause) == (fail["Error"], fail["Cause"])
    assert run.events_of("TaskScheduled") == []
    assert sb.published(None, "Object Restore Initiated") == [] and notifications(sb) == []


# -- failures ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", list(MAPS))
def test_a_refused_restore_is_counted_failed_and_nothing_waits_for_it(sb, source):
    runs = run_case(sb, f"restore-refused-{source}")
    request = restore_run(runs)
    assert (request.output["started"], request.output["failed"]) == (0, 1)
    (child,) = child_executions(request.execution_arn, MAPS[source])
    assert short(child.path)[-4:] == ["CheckRestoreError", "MarkObjectFailed", "RestoreNotStarted", "CountOutcome"]
    assert completions(runs) == [] and len(notifications(sb)) == 1


@pytest.mark.parametrize("source", list(MAPS))
def test_children_over_the_tolerated_failures_fail_the_request_and_tell_the_requester(sb, source):
    runs = run_case(sb, f"counting-fails-{source}")
    request = restore_run(runs)
    assert request.status == "FAILED"
    assert request.path[-2:] == ["NotifyRequestFailed", "RequestFailed"]
    assert request.error == "GlacierRestore.RequestFailed"
    assert request.cause.startswith("States.ExceedToleratedFailureThreshold")
    (child,) = child_executions(request.execution_arn, MAPS[source])
    assert (child.status, child.error) == ("FAILED", "GlacierRestore.CountingFailed")
    # The restore had started: S3 completes it anyway, and its post-processing reports it.
    failure, results = notifications(sb)
    assert failure["subject"].endswith(": failed") and results["subject"].endswith(": complete")


def test_failed_copy_is_reported_in_the_results(sb):
    runs = run_case(sb, "copy-fails")
    (done,) = completions(runs)
    assert "CopyFailed" in done.path and done.path[-1] == "RequestComplete"
    assert "0 objects restored and copied" in notifications(sb)[-1]["message"]
    assert "1 could not be copied" in notifications(sb)[-1]["message"]


# -- coverage ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def _fresh() -> Iterator[Sandbox]:
    """A sandbox as the `sb` fixture makes it."""
    with Sandbox.from_template(ROOT / "template.yaml") as sandbox:
        sandbox.seed(EVENTS / "objects.json")
        yield sandbox


def _replay_missing() -> list[Run]:
    """The cases no other test ran, each in a fresh sandbox as its own test has it: the result depends
    neither on test order nor on which pytest-xdist worker ran the other tests (in one shared sandbox
    the cases see each other's objects and events)."""
    for name in CASES:
        if name not in RUNS:
            with _fresh() as sandbox:
                run_case(sandbox, name)
    return [run for name in CASES for run in RUNS[name]]


def test_the_cases_cover_every_state_and_transition_of_both_workflows():
    with _fresh() as sandbox:
        definitions = {slug: sandbox.workflow(slug).definition for slug in (SLUG, COMPLETE)}
    runs = _replay_missing()
    restore = parse(definitions[SLUG])
    report = coverage(restore, [r for r in runs if r.workflow == SLUG])
    inner = {state_id for state_id in restore.states if "/" in state_id}
    assert set(report.uncovered_states) == inner, report.summary()  # children: measured below
    assert [e for e in report.uncovered_edges if e.source not in inner] == [], report.summary()
    assert report.undeclared == [], report.summary()
    for map_state in MAPS.values():
        processor = definitions[SLUG]["States"][map_state]["ItemProcessor"]
        children = [c for r in runs if r.workflow == SLUG
                    for c in CHILDREN[r.execution_arn] if c.map_state == map_state]
        inner_report = coverage(parse(processor), children)
        assert inner_report.uncovered_states == [], (map_state, inner_report.summary())
        assert inner_report.uncovered_edges == [], (map_state, inner_report.summary())
    complete = coverage(parse(definitions[COMPLETE]), [r for r in runs if r.workflow == COMPLETE])
    assert complete.uncovered_states == [] and complete.uncovered_edges == [], complete.summary()
    assert complete.undeclared == [], complete.summary()


def test_the_three_maps_run_the_same_item_processor(sb):
    states = sb.workflow(SLUG).definition["States"]
    processors = [json.dumps(states[name]["ItemProcessor"], sort_keys=True).replace(f'"{PREFIXES[source]}.', '"')
                  for source, name in MAPS.items()]
    assert len(set(processors)) == 1
    assert all(states[name]["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}
               for name in MAPS.values())


def test_docs_pages_are_in_sync_with_both_definitions(template_path):
    from suite_docs import generate

    assert generate.check(generate.Project(template_path, ROOT / "docs"), jobs=("diagrams",)) == []
