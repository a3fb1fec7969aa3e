"""HeadObject and CopyObject answered from moto's S3 backend give what moto's S3 response layer gives
(`sandbox.direct_backend`).

The same objects (metadata, archived, restore in progress, restored, versioned, odd key names) are read in a
sandbox with the direct path and in one without it; the parsed answers and modeled errors must be the same,
apart from what differs on every call (request ids, dates). Each plain read must have taken the backend path.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from benchmarks.glacier_restore import finish_restores
from sandbox import direct_backend, routing
from sandbox.core import Sandbox
from sandbox.moto_fixes import registry
from sandbox.moto_fixes.api import cached_boto_client_for
from sandbox.moto_fixes.distributed_map import child_executions
from tests.conftest import ROOT, TEMPLATE
from tests.sandbox.test_direct_calls import _comparable, _outcome

PLAIN = "direct-backend-plain"
VERSIONED = "direct-backend-versioned"
POLICED = "direct-backend-policed"
DENYING = "direct-backend-denying"
TLS_ONLY = "direct-backend-tls-only"
ODD_KEY = "dir one/ü+%20x?y#z"
BULK = {"Days": 2, "GlacierJobParameters": {"Tier": "Bulk"}}

READS: list[tuple[str, dict[str, Any], bool]] = [
    # (label, HeadObject params, answered by the backend)
    ("metadata", {"Bucket": PLAIN, "Key": "meta.txt"}, True),
    ("archived", {"Bucket": PLAIN, "Key": "archived.bin"}, True),
    ("restoring", {"Bucket": PLAIN, "Key": "restoring.bin"}, True),
    ("restored", {"Bucket": PLAIN, "Key": "restored.bin"}, True),
    ("odd key", {"Bucket": PLAIN, "Key": ODD_KEY}, True),
    ("missing key", {"Bucket": PLAIN, "Key": "missing"}, True),
    ("versioned latest", {"Bucket": VERSIONED, "Key": "v.txt"}, True),
    ("delete marker", {"Bucket": VERSIONED, "Key": "deleted.txt"}, False),
    ("missing in versioned", {"Bucket": VERSIONED, "Key": "never"}, False),
    ("missing bucket", {"Bucket": "direct-backend-nowhere", "Key": "k"}, False),
    ("allowing policy", {"Bucket": POLICED, "Key": "p.txt"}, True),
    ("denying policy", {"Bucket": DENYING, "Key": "p.txt"}, True),
    ("denying policy, missing key", {"Bucket": DENYING, "Key": "missing"}, True),
    ("TLS-only policy", {"Bucket": TLS_ONLY, "Key": "p.txt"}, True),
    ("if-match", {"Bucket": PLAIN, "Key": "meta.txt", "IfMatch": '"nope"'}, False),
    ("checksum mode", {"Bucket": PLAIN, "Key": "meta.txt", "ChecksumMode": "ENABLED"}, False),
    ("part number", {"Bucket": PLAIN, "Key": "meta.txt", "PartNumber": 1}, False),
]


VERSION_KEYS = frozenset({"VersionId", "x-amz-version-id", "CopySourceVersionId", "x-amz-copy-source-version-id"})
"""Random in each sandbox, as on AWS."""


_OBJECT_ADDRESS = re.compile(r"(?<= object at )0x[0-9a-f]+")
"""moto's error for an archived copy source names the source by its Python object."""


def _without_versions(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<version>" if k in VERSION_KEYS else _without_versions(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_without_versions(v) for v in value)
    if isinstance(value, str):
        return _OBJECT_ADDRESS.sub("<address>", value)
    return value


def _set_up(sb: Sandbox) -> None:
    s3 = cached_boto_client_for(sb.region, "s3")
    for bucket in (PLAIN, VERSIONED, POLICED, DENYING, TLS_ONLY):
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="p.txt", Body=b"p")
    s3.put_bucket_notification_configuration(Bucket=PLAIN, NotificationConfiguration={"EventBridgeConfiguration": {}})
    s3.put_bucket_versioning(Bucket=VERSIONED, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_policy(Bucket=POLICED, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{POLICED}/*"}]}))
    s3.put_object(Bucket=PLAIN, Key="meta.txt", Body=b"hello", ContentType="text/plain", Metadata={"Owner": "me"},
                  CacheControl="no-cache", ContentDisposition="inline", ChecksumAlgorithm="SHA256")
    for key in ("archived.bin", "restoring.bin", "restored.bin"):
        s3.put_object(Bucket=PLAIN, Key=key, Body=b"x" * 10, StorageClass="DEEP_ARCHIVE")
    s3.put_object(Bucket=PLAIN, Key=ODD_KEY, Body=b"odd")
    s3.restore_object(Bucket=PLAIN, Key="restoring.bin", RestoreRequest=BULK)
    assert sb.fakes is not None
    sb.fakes.s3_restore.seed_restored(PLAIN, "restored.bin", 3)
    for key in ("v.txt", "deleted.txt"):
        s3.put_object(Bucket=VERSIONED, Key=key, Body=b"one")
        s3.put_object(Bucket=VERSIONED, Key=key, Body=b"two")
    s3.delete_object(Bucket=VERSIONED, Key="deleted.txt")
    s3.put_bucket_policy(Bucket=DENYING, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{DENYING}/*"}]}))
    s3.put_bucket_policy(Bucket=TLS_ONLY, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{TLS_ONLY}/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))


@contextlib.contextmanager
def _answers_of(name: str) -> Iterator[list[Any]]:
    """What each call of `direct_backend.<name>` returned while the block runs (None: left to moto's S3 layer)."""
    answered: list[Any] = []
    original = getattr(direct_backend, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        answered.append(original(*args, **kwargs))
        return answered[-1]

    setattr(direct_backend, name, spy)
    try:
        yield answered
    finally:
        setattr(direct_backend, name, original)


def _read_all(direct: bool, answered: list[Any]) -> list[Any]:
    with Sandbox.from_template(TEMPLATE, direct_calls=direct) as sb:
        _set_up(sb)
        s3 = cached_boto_client_for(sb.region, "s3")
        outcomes = []
        for _, params, _ in READS:
            answered.clear()
            outcomes.append((_outcome(functools.partial(s3.head_object, **params)),
                             [result is not None for result in answered]))
        return outcomes


@pytest.fixture(scope="module")
def outcomes() -> Iterator[dict[bool, list[Any]]]:
    with _answers_of("_head_object") as answered:
        yield {direct: _read_all(direct, answered) for direct in (False, True)}


@pytest.mark.parametrize("index", range(len(READS)), ids=[label for label, _, _ in READS])
def test_head_object_answers_as_moto_s_s3_layer_does(outcomes: dict[bool, list[Any]], index: int) -> None:
    assert _without_versions(outcomes[True][index][0]) == _without_versions(outcomes[False][index][0])


@pytest.mark.parametrize("index", range(len(READS)), ids=[label for label, _, _ in READS])
def test_only_plain_reads_take_the_backend_path(outcomes: dict[bool, list[Any]], index: int) -> None:
    _, _, plain = READS[index]
    assert outcomes[True][index][1] == ([True] if plain else [False] * len(outcomes[True][index][1]))
    assert outcomes[False][index][1] == []  # the switch off: botocore's whole path


def test_the_reads_cover_restore_states_and_errors(outcomes: dict[bool, list[Any]]) -> None:
    """The comparison is worth something: the answers differ in what matters."""
    by_label = {label: outcome for (label, _, _), (outcome, _) in zip(READS, outcomes[True], strict=True)}
    assert by_label["restoring"][1]["Restore"] == 'ongoing-request="true"'
    assert by_label["restored"][1]["Restore"].startswith('ongoing-request="false", expiry-date=')
    assert "Restore" not in by_label["archived"][1] and by_label["archived"][1]["StorageClass"] == "DEEP_ARCHIVE"
    assert by_label["metadata"][1]["Metadata"] == {"owner": "me"}
    assert by_label["versioned latest"][1]["VersionId"]
    assert [by_label[label][:2] for label in ("missing key", "delete marker", "missing bucket")] == [
        ("error", "404"), ("error", "404"), ("error", "NoSuchBucket")]
    assert _comparable(by_label["if-match"])[:2] == ("error", "412")
    assert [by_label[label][:2] for label in ("denying policy", "denying policy, missing key")] == [
        ("error", "403"), ("error", "403")]
    assert by_label["TLS-only policy"][0] == "answer"


# -- CopyObject ------------------------------------------------------------------------------------------------------

COPY = {"StorageClass": "STANDARD", "MetadataDirective": "COPY"}
"""What the post-processing workflow sends with each copy."""

COPIES: list[tuple[str, dict[str, Any], bool]] = [
    # (label, CopyObject params, answered by the backend)
    ("metadata and checksum", {"Bucket": PLAIN, "Key": "out/meta.txt", "CopySource": f"{PLAIN}/meta.txt", **COPY},
     True),
    ("no options", {"Bucket": PLAIN, "Key": "out/bare.txt", "CopySource": f"{PLAIN}/meta.txt"}, True),
    ("source as a dict", {"Bucket": PLAIN, "Key": "out/dict.txt", "CopySource": {"Bucket": PLAIN, "Key": "meta.txt"}},
     True),
    ("restored source", {"Bucket": PLAIN, "Key": "out/restored.bin", "CopySource": f"{PLAIN}/restored.bin", **COPY},
     True),
    ("odd keys", {"Bucket": PLAIN, "Key": f"out/{ODD_KEY}", "CopySource": f"{PLAIN}/{ODD_KEY}", **COPY}, True),
    ("to another bucket", {"Bucket": POLICED, "Key": "out/meta.txt", "CopySource": f"{PLAIN}/meta.txt", **COPY}, True),
    ("archive class", {"Bucket": PLAIN, "Key": "out/deep.txt", "CopySource": f"{PLAIN}/meta.txt",
                       "StorageClass": "DEEP_ARCHIVE"}, True),
    ("versioned source", {"Bucket": PLAIN, "Key": "out/v.txt", "CopySource": f"{VERSIONED}/v.txt", **COPY}, True),
    ("into a versioned bucket", {"Bucket": VERSIONED, "Key": "out/meta.txt", "CopySource": f"{PLAIN}/meta.txt",
                                 **COPY}, True),
    ("TLS-only policy", {"Bucket": TLS_ONLY, "Key": "out/p.txt", "CopySource": f"{TLS_ONLY}/p.txt", **COPY}, True),
    ("archived source", {"Bucket": PLAIN, "Key": "out/archived.bin", "CopySource": f"{PLAIN}/archived.bin", **COPY},
     False),
    ("restoring source", {"Bucket": PLAIN, "Key": "out/restoring.bin", "CopySource": f"{PLAIN}/restoring.bin",
                          **COPY}, False),
    ("missing source", {"Bucket": PLAIN, "Key": "out/missing", "CopySource": f"{PLAIN}/missing", **COPY}, False),
    ("deleted source", {"Bucket": PLAIN, "Key": "out/deleted", "CopySource": f"{VERSIONED}/deleted.txt", **COPY},
     False),
    ("missing source bucket", {"Bucket": PLAIN, "Key": "out/x", "CopySource": "direct-backend-nowhere/k", **COPY},
     False),
    ("missing bucket", {"Bucket": "direct-backend-nowhere", "Key": "k", "CopySource": f"{PLAIN}/meta.txt", **COPY},
     False),
    ("denying policy", {"Bucket": DENYING, "Key": "out/p.txt", "CopySource": f"{PLAIN}/meta.txt", **COPY}, False),
    ("onto itself", {"Bucket": PLAIN, "Key": "meta.txt", "CopySource": f"{PLAIN}/meta.txt"}, False),
    ("unknown storage class", {"Bucket": PLAIN, "Key": "out/odd.txt", "CopySource": f"{PLAIN}/meta.txt",
                               "StorageClass": "COLD"}, False),
    ("metadata replaced", {"Bucket": PLAIN, "Key": "out/replaced.txt", "CopySource": f"{PLAIN}/meta.txt",
                           "MetadataDirective": "REPLACE", "Metadata": {"a": "b"}}, False),
    ("tagging", {"Bucket": PLAIN, "Key": "out/tagged.txt", "CopySource": f"{PLAIN}/meta.txt",
                 "TaggingDirective": "REPLACE", "Tagging": "a=b"}, False),
    ("source version", {"Bucket": PLAIN, "Key": "out/null.txt", "CopySource": f"{PLAIN}/meta.txt?versionId=null"},
     False),
]

_RAW_VOLATILE_TEXT = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z|(?<=<RequestId>)[^<]*"
                                rb"|(?<= object at )0x[0-9a-f]+")
"""Times, request ids, and the address of the Python object moto writes into its error for an archived source."""
_RAW_VOLATILE_HEADERS = frozenset({"date", "last-modified", "x-amzn-requestid", "x-amz-version-id",
                                   "x-amz-copy-source-version-id"})


def _raw(answered: Any) -> Any:
    """moto's (status, headers, body) with what differs between two runs masked."""
    status, headers, body = answered
    return (status, [(k, "<varies>" if k.lower() in _RAW_VOLATILE_HEADERS else v) for k, v in headers.items()],
            _RAW_VOLATILE_TEXT.sub(b"<varies>", body if isinstance(body, bytes) else body.encode()))


def _event(bus: str, event: dict[str, Any]) -> Any:
    detail = {k: v for k, v in event["detail"].items() if k not in ("request-id",)}
    detail["object"] = {k: v for k, v in detail["object"].items() if k not in ("sequencer", "version-id")}
    return bus, event["source"], event["detail-type"], detail, event["resources"]


def _copy_all(direct: bool, answered: list[Any]) -> list[Any]:
    """Each copy's parsed outcome, which calls the backend answered, the raw answer, the events it sent, and the
    copy as HeadObject and GetObjectAcl read it."""
    from moto.s3.responses import S3Response

    # The spy wraps moto's S3 layer as the fixes leave it: saved before they were installed, the restore below
    # would take their wrappers (events sent after the request) away from every later test of this process.
    registry.install_all()
    raw: list[Any] = []
    events: list[Any] = []
    moto_key_response = S3Response.key_response
    router_put = routing.EventRouter.put

    def key_response(self: Any, request: Any, *args: Any) -> Any:
        result = moto_key_response(self, request, *args)
        if "x-amz-copy-source" in request.headers:
            raw.append(_raw(result))
        return result

    def put(self: Any, bus: str, event: dict[str, Any]) -> None:
        events.append(_event(bus, event))
        router_put(self, bus, event)

    S3Response.key_response = key_response  # type: ignore[method-assign]
    routing.EventRouter.put = put  # type: ignore[method-assign]
    try:
        with Sandbox.from_template(TEMPLATE, direct_calls=direct) as sb:
            _set_up(sb)
            s3 = cached_boto_client_for(sb.region, "s3")
            outcomes = []
            for _, params, _ in COPIES:
                answered.clear()
                raw.clear()
                events.clear()
                copied = _outcome(functools.partial(s3.copy_object, **params))
                took = [result is not None for result in answered]
                raws = raw + [_raw(result) for result in answered if result is not None]
                bucket, key = params["Bucket"], params["Key"]
                written = [_outcome(functools.partial(s3.head_object, Bucket=bucket, Key=key)),
                           _outcome(functools.partial(s3.get_object_acl, Bucket=bucket, Key=key))]
                outcomes.append((copied, took, raws, list(events), written))
            return outcomes
    finally:
        S3Response.key_response = moto_key_response  # type: ignore[method-assign]
        routing.EventRouter.put = router_put  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def copies() -> Iterator[dict[bool, list[Any]]]:
    with _answers_of("_copy_object") as answered:
        yield {direct: _copy_all(direct, answered) for direct in (False, True)}


@pytest.mark.parametrize("index", range(len(COPIES)), ids=[label for label, _, _ in COPIES])
def test_copy_object_answers_writes_and_notifies_as_moto_s_s3_layer_does(copies: dict[bool, list[Any]],
                                                                          index: int) -> None:
    on, off = copies[True][index], copies[False][index]
    assert _without_versions(on[0]) == _without_versions(off[0])  # the parsed answer or error
    assert on[2] == off[2]  # moto's status, headers and XML body, byte for byte
    assert on[3] == off[3]  # S3's events, to the router
    assert _without_versions(on[4]) == _without_versions(off[4])  # the copy written


@pytest.mark.parametrize("index", range(len(COPIES)), ids=[label for label, _, _ in COPIES])
def test_only_plain_copies_take_the_backend_path(copies: dict[bool, list[Any]], index: int) -> None:
    _, _, plain = COPIES[index]
    assert copies[True][index][1] == ([True] if plain else [False] * len(copies[True][index][1]))
    assert copies[False][index][1] == []


def test_the_copies_cover_results_events_and_errors(copies: dict[bool, list[Any]]) -> None:
    """The comparison is worth something: the answers differ in what matters."""
    by_label = {label: outcome for (label, _, _), outcome in zip(COPIES, copies[True], strict=True)}
    plain = by_label["metadata and checksum"]
    assert plain[0][0] == "answer" and plain[0][1]["CopyObjectResult"]["ChecksumSHA256"]
    assert len(plain[2]) == 1 and b"<CopyObjectResult" in plain[2][0][2]
    assert [(bus, kind, detail["reason"]) for bus, _, kind, detail, _ in plain[3]] == [
        ("default", "Object Created", "CopyObject")]
    assert plain[4][0][1]["Metadata"] == {"owner": "me"}
    assert by_label["versioned source"][0][1]["CopySourceVersionId"]
    assert by_label["into a versioned bucket"][0][1]["VersionId"]
    assert by_label["restored source"][4][0][1].get("StorageClass", "STANDARD") == "STANDARD"
    assert by_label["archive class"][4][0][1]["StorageClass"] == "DEEP_ARCHIVE"
    assert [by_label[label][0][:2] for label in ("archived source", "restoring source", "missing source",
                                                 "missing bucket", "denying policy", "onto itself")] == [
        ("error", "ObjectNotInActiveTierError"), ("error", "ObjectNotInActiveTierError"), ("error", "NoSuchKey"),
        ("error", "NoSuchBucket"), ("error", "403"), ("error", "InvalidRequest")]
    assert by_label["missing source"][3] == []


# -- a whole restore request, both ways ----------------------------------------------------------------------------

_VOLATILE_TEXT = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"), "<time>"),
    (re.compile(r"[A-Za-z]{3}, \d\d [A-Za-z]{3} \d{4} \d\d:\d\d:\d\d GMT"), "<time>"),
    (re.compile(r"(Request ID|Extended Request ID): [^,)]*"), r"\1: <id>"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r'(\\?"(?:request-id|sequencer)\\?": ?\\?")[0-9A-F]+'), r"\1<id>"),  # S3's event ids
    (re.compile(r'(\\?"LastModified\\?": ?)\d+'), r"\1<time>"),  # a listed object's time, in epoch seconds
]


S3_EVENT_IDS = frozenset({"request-id", "sequencer"})
"""Random in each S3 event, as on AWS."""


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<time>" if k == "timestamp" else "<id>" if k in S3_EVENT_IDS else _masked(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    if isinstance(value, str):
        for pattern, replacement in _VOLATILE_TEXT:
            value = pattern.sub(replacement, value)
    return value


def _restore_requests(direct: bool) -> list[Any]:
    """A key list with a missing key, then a prefix (archived, restored, readable, already requested objects):
    each run's status, output and history, and each child's path, status, output and history."""
    events = ROOT / "events" / "glacier-restore"
    keys = {**json.loads((events / "keys.json").read_text()), "keys": ["archive/2019/report-a.pdf", "missing.bin"]}
    prefix = {**keys, "prefix": "archive/"}
    del prefix["keys"]
    with Sandbox.from_template(TEMPLATE, direct_calls=direct) as sb:
        sb.seed(events / "objects.json")
        assert sb.fakes is not None
        sb.fakes.s3_restore.seed_restored(sb.bucket_name("ArchiveBucket"), "archive/2019/report-b.pdf", 3)
        outcomes = []
        for request in (keys, prefix):
            run = sb.run("glacier-restore", request)
            children = [(child.path, child.status, child.output, child.history)
                        for child in child_executions(run.execution_arn)]
            outcomes.append(_masked((run.status, run.output, run.history, children)))
        return outcomes


def test_a_restore_request_runs_the_same_children_with_the_same_histories_either_way() -> None:
    off, on = _restore_requests(False), _restore_requests(True)
    paths = [name for outcome in on for path, _, _, _ in outcome[3] for name in path]
    for state in ("Keys.ObjectUnavailable", "Prefix.AlreadyRestored", "Prefix.NotArchived", "Prefix.AlreadyRequested",
                  "Prefix.RestoreStarted"):
        assert state in paths  # the comparison covers each kind of object
    assert on == off


def _restored_and_post_processed(direct: bool) -> list[Any]:
    """A key-list restore request run until each restore completed and was post-processed (copied, marked,
    counted, the requester notified): every execution's workflow, status, output and history, in a stable order.
    The archived objects' restores complete at different virtual times (Glacier Flexible Retrieval's Bulk tier
    before Deep Archive's), so which one is the request's last is the same in every run."""
    events = ROOT / "events" / "glacier-restore"
    keys = ["archive/2019/photos/site-001.jpg", "archive/2019/report-a.pdf", "archive/2019/readme.txt"]
    with Sandbox.from_template(TEMPLATE, direct_calls=direct) as sb:
        sb.seed(events / "objects.json")
        sb.run("glacier-restore", {**json.loads((events / "keys.json").read_text()), "keys": keys})
        runs = finish_restores(sb)
        outcomes = [_masked((run.workflow, run.status, run.input, run.output, run.history)) for run in runs]
        return sorted(outcomes, key=json.dumps)


def test_a_restore_and_its_post_processing_run_the_same_executions_either_way() -> None:
    with _answers_of("_copy_object") as answered:
        off = _restored_and_post_processed(False)
        assert answered == []
        on = _restored_and_post_processed(True)
    copied = [result is not None for result in answered]
    done = [outcome for outcome in on if outcome[0] == "glacier-restore-complete" and outcome[1] == "SUCCEEDED"]
    assert done and copied and all(copied)  # each post-processing copy took the backend path
    assert len(copied) == sum(1 for outcome in done if "CopyRestoredObject" in json.dumps(outcome[4]))
    assert on == off
