"""Malformed input at every workflow's entry ends in a clear, named rejection and writes nothing.

Property-based (hypothesis), generated from each workflow's sample events (events/<slug>/), for
every state machine of the template, started directly (StartExecution, as an event rule or the
API integration would):

* the whole input of the wrong type (text, number, list, null, unicode);
* an object or array of a sample replaced by a value of another type (unicode and long strings
  included), with or without extra fields;
* an input over Step Functions' 256 KiB limit;
* for workflows started by S3 events (an EventBridge rule on source aws.s3): the object key
  without the expected '<prefix>/'.

Each one is refused by StartExecution, or fails with a named error (one of the workflow's own, never
States.*), or ends with a REJECTED outcome; through the API (the same kinds of bodies, plus bodies
that are not JSON, sent by `sandbox serve` to every POST/PUT route that starts the workflow, read
from the template) it gets a 4xx. No bucket object or bus event appears, and no table item but the
record of that rejection (an audit entry or a stored idempotent result naming it).
One sandbox per module, the state compared before/after each example.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sandbox import workflows as template_workflows
from sandbox.core import Sandbox, SandboxError
from sandbox.serve import serve
from tests.hardening import entries
from tests.hardening.suite import TEMPLATE, seeded_sandbox, workflows

WORKFLOWS = [w for w in workflows() if entries.samples(w)]
EXAMPLES = 6
LIMIT = 262144
COUNTS: dict[str, int] = {}

SETTINGS = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
                    print_blob=False)

scalars = st.one_of(
    st.integers(min_value=-(2**40), max_value=2**40),
    st.booleans(),
    st.none(),
    st.text(max_size=20),
    st.text(alphabet=st.characters(min_codepoint=0x80, max_codepoint=0x2FFFF, exclude_categories=("Cs",)),
            min_size=1, max_size=40),
    st.integers(min_value=1_000, max_value=20_000).map(lambda n: "é" * n),
)
extras = st.dictionaries(st.text(min_size=1, max_size=12), scalars, max_size=3)


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with seeded_sandbox() as sandbox:
        yield sandbox


def _mutations(workflow: Any) -> st.SearchStrategy[tuple[str, Any]]:
    bases = entries.samples(workflow)

    @st.composite
    def container(draw: Any) -> tuple[str, Any]:
        base = draw(st.sampled_from(bases))
        paths = [p for p in entries.containers(base) if p] or [()]
        path = draw(st.sampled_from(paths))
        event = entries.replaced(base, path, draw(scalars))
        extra = draw(extras)
        if isinstance(event, dict) and extra:
            event = {**extra, **event}
        return f"{'/'.join(map(str, path)) or 'input'} wrong type" + (" +extra" if extra else ""), event

    @st.composite
    def oversized(draw: Any) -> tuple[str, Any]:
        base = draw(st.sampled_from([b for b in bases if isinstance(b, dict)] or [{}]))
        return "over 256 KiB", {**base, draw(st.text(min_size=1, max_size=8)): "x" * (LIMIT + 1)}

    options = [st.tuples(st.just("input wrong type"), scalars | st.lists(scalars, max_size=3)), container(),
               oversized()]
    if entries.is_s3_event(workflow):
        s3 = [b for b in bases if isinstance(entries.get(b, ("detail", "object", "key")), str)]

        @st.composite
        def no_prefix(draw: Any) -> tuple[str, Any]:
            base = draw(st.sampled_from(s3))
            key = draw(st.text(alphabet=st.characters(exclude_characters="/", exclude_categories=("Cs",)),
                               min_size=1, max_size=60))
            return "key without prefix", entries.replaced(base, ("detail", "object", "key"), key)

        options.append(no_prefix())
    return st.one_of(options)


def _outcome(sb: Sandbox, slug: str, event: Any) -> str:
    """'refused', 'failed <error>', 'rejected', or what it did instead."""
    try:
        arn = sb.start(slug, json.dumps(event))  # as JSON text: Sandbox.start takes a str as the input text itself
    except ClientError as error:
        return f"refused {error.response['Error']['Code']}"
    try:
        run = sb.wait(arn, wall_timeout=20)
    except SandboxError:
        return "still running (accepted)"
    if run.status == "FAILED":
        return f"failed {run.error}"
    if run.succeeded and isinstance(run.output, dict) and run.output.get("outcome") == "REJECTED":
        return "rejected"
    if run.succeeded and run.path:
        return f"ended {run.path[-1]}"
    return f"{run.status} {json.dumps(run.output)[:200]}"


IGNORED: dict[str, int] = {}


def _named(slug: str, outcome: str, label: str) -> bool:
    if outcome.startswith(("refused ", "rejected")):
        return True
    if outcome.startswith("ended "):
        # Ignored by name: a Succeed state of the workflow's own that writes nothing (checked below), e.g. the
        # replay of an answer stored under the same idempotency key, or an object it was never asked about.
        # A malformed input that was processed would write (an account, a copy, a result event, an audit).
        IGNORED[slug] = IGNORED.get(slug, 0) + 1
        state = outcome.removeprefix("ended ")
        return any(s.name == state and s.type == "Succeed"
                   for w in workflows() if w.slug == slug for s in w.graph.states.values())
    if not outcome.startswith("failed "):
        return False
    error = outcome.removeprefix("failed ")
    fails = {s.error for w in workflows() if w.slug == slug for s in w.graph.states.values() if s.type == "Fail"}
    return error in fails or (not error.startswith("States.") and "." in error)


REJECTION_RECORD = ("INVALID", "REJECTED", "Invalid")
"""Words of an item that records a rejection (audit entry, idempotent result): the one write allowed."""


def _writes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    found = {}
    for name, change in entries.changes(before, after).items():
        if isinstance(change["after"], list) and all(isinstance(i, str) for i in change["after"]):
            new = set(change["after"]) - set(change["before"] or [])
            gone = set(change["before"] or []) - set(change["after"])
            if not gone and all(any(word in item for word in REJECTION_RECORD) for item in new):
                continue
        found[name] = change
    return found


@pytest.mark.slow
@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.slug for w in WORKFLOWS])
def test_malformed_input_ends_named_and_writes_nothing(sb: Sandbox, workflow: Any) -> None:
    started = time.monotonic()

    @SETTINGS
    @given(_mutations(workflow))
    @example(("input wrong type", 0))  # JSON but not an object, every time: once ended in States.Runtime
    @example(("input wrong type", "x"))
    @example(("input wrong type", []))
    @example(("input wrong type", None))
    def check(mutation: tuple[str, Any]) -> None:
        label, event = mutation
        COUNTS[workflow.slug] = COUNTS.get(workflow.slug, 0) + 1
        before = entries.snapshot(sb)
        outcome = _outcome(sb, workflow.slug, event)
        sb.settle(wall_timeout=20)
        after = entries.snapshot(sb)
        assert _named(workflow.slug, outcome, label), f"{workflow.slug}, {label}: {outcome}"
        written = _writes(before, after)
        assert not written, f"{workflow.slug}, {label} ({outcome}) wrote: {written}"

    check()
    print(f"\n{workflow.slug}: {COUNTS.get(workflow.slug)} malformed inputs ({IGNORED.get(workflow.slug, 0)} ignored "
          f"by name) in {time.monotonic() - started:.1f}s")


# -- through the API: every POST/PUT route that starts a workflow ----------------------------------------

def _api_entries() -> list[tuple[Any, str, str]]:
    stack, declared = template_workflows.load(TEMPLATE)
    routes = {w.slug: [(s.method, s.path) for s in template_workflows.starts(stack, w)
                       if s.kind == "api" and s.method in ("POST", "PUT")] for w in declared}
    return [(w, method, path) for w in WORKFLOWS for method, path in routes.get(w.slug, [])]


API_ENTRIES = _api_entries()


@pytest.fixture(scope="module")
def server(sb: Sandbox) -> Iterator[Any]:
    served, thread = serve(sb)
    try:
        yield served
    finally:
        served.shutdown()
        served.server_close()
        thread.join(timeout=5)


def _headers(server: Any, method: str, path: str) -> dict[str, str]:
    """Content-Type, and a value for every header parameter the route's OpenAPI operation requires."""
    headers = {"Content-Type": "application/json"}
    for route in server.integrations:
        if route.method == method and route.resource == path:
            for parameter in route.operation.get("parameters") or []:
                if parameter.get("in") == "header" and parameter.get("required"):
                    headers[parameter["name"]] = "bad-input-0001"
    return headers


def _bodies(workflow: Any) -> st.SearchStrategy[tuple[str, bytes]]:
    bases = [b for sample in entries.samples(workflow) if isinstance(sample, dict)
             for b in (sample, *(v for v in sample.values() if isinstance(v, dict)))]

    @st.composite
    def body(draw: Any) -> tuple[str, bytes]:
        kind = draw(st.sampled_from(["wrong type", "not JSON", "over 256 KiB"]))
        base = draw(st.sampled_from(bases))
        if kind == "not JSON":
            return kind, (json.dumps(base)[:-1] + draw(st.text(max_size=5))).encode()
        if kind == "over 256 KiB":
            return kind, json.dumps({**base, "padding": "x" * (LIMIT + 1)}).encode()
        paths = [p for p in entries.containers(base) if p] or [()]
        path = draw(st.sampled_from(paths))
        event = entries.replaced(base, path, draw(scalars))
        if isinstance(event, dict):
            event = {**draw(extras), **event}
        return f"{'/'.join(map(str, path)) or 'body'} {kind}", json.dumps(event).encode()

    return body()


@pytest.mark.parametrize(("workflow", "method", "path"), API_ENTRIES,
                         ids=[f"{w.slug}:{m} {p}" for w, m, p in API_ENTRIES])
def test_malformed_api_bodies_get_a_4xx_and_write_nothing(sb: Sandbox, server: Any, workflow: Any, method: str,
                                                         path: str) -> None:
    headers = _headers(server, method, path)
    started = time.monotonic()
    key = f"{workflow.slug} {method} {path}"

    @SETTINGS
    @given(_bodies(workflow))
    def check(body: tuple[str, bytes]) -> None:
        label, raw = body
        COUNTS[key] = COUNTS.get(key, 0) + 1
        before = entries.snapshot(sb)
        request = urllib.request.Request(server.url + path, data=raw, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, answer = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, answer = error.code, error.read()
        sb.settle(wall_timeout=20)
        written = _writes(before, entries.snapshot(sb))
        assert 400 <= status < 500, f"{key}, {label}: {status} {answer[:300]!r}"
        assert not written, f"{key}, {label} ({status}) wrote: {written}"

    check()
    print(f"\n{key}: {COUNTS.get(key)} malformed bodies in {time.monotonic() - started:.1f}s")


def test_the_state_snapshot_sees_every_kind_of_write(sb: Sandbox) -> None:
    """What the checks above compare: a write of each kind the workflows make shows up in it."""
    before = entries.snapshot(sb)
    bucket = sb.stack.of_type("AWS::S3::Bucket")[0]
    table = sb.stack.of_type("AWS::DynamoDB::Table")[0]
    key = {part["AttributeName"]: {"S": "written"} for part in table.properties["KeySchema"]}
    sb.put_object(bucket.logical_id, "written/by-the-test.txt", "x")
    boto3.client("dynamodb", region_name=sb.region).put_item(TableName=table.name, Item=key)
    assert sb.router is not None
    sb.router.put("default", sb.router.envelope("test", "Written", {}))
    sb.settle()
    changed = entries.changes(before, entries.snapshot(sb))
    assert {bucket.logical_id, table.logical_id, "bus events"} <= set(changed)
    assert "written/by-the-test.txt" in [name for name, _ in changed[bucket.logical_id]["after"]]
