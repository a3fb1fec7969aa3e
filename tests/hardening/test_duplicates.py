"""Every event-driven entry receives the same event twice: the effect happens once.

For each state machine started by an EventBridge rule of the template (S3 Object Created, Object
Restore Completed...) and each of its sample events that its rule matches, the event is delivered on
the default bus, then delivered again (EventBridge is at-least-once): the second delivery adds no
bucket object, table item, bus event or notification.

Already covered elsewhere, not repeated here: the API entries' idempotency
(tests/workflows/test_account_application.py `repeat`, Idempotency-Key;
tests/workflows/test_it_provisioning.py `test_request_api_starts_one_execution_per_request_id`)
and glacier-restore-complete's redelivered restore events (tests/workflows/test_glacier_restore.py
`test_duplicate_and_out_of_order_completion_events_change_nothing`), whose events come from a
glacier-restore run rather than from a sample file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.core import Sandbox
from tests.hardening import entries
from tests.hardening.suite import seeded_sandbox, workflows

CASES = [(w, name, event) for w in workflows() if entries.event_patterns(w)
         for name, event in (zip([p.stem for p in w.samples], entries.samples(w), strict=True) if w.samples
                             else [(f"synthesized-{n}", e) for n, e in enumerate(entries.synthesized(w))])]


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """One sandbox for the module: each case compares the effects of its two deliveries, not of the module."""
    with seeded_sandbox() as sandbox:
        yield sandbox


def _effects(sb: Sandbox, entry: dict[str, Any]) -> dict[str, Any]:
    """What the runs did: the entry event itself, delivered on the default bus, is not an effect."""
    assert sb.router is not None
    published = [d.event for d in sb.router.delivered if d.event.get("detail") != entry.get("detail")]
    return {**entries.snapshot(sb), "bus events": published, "notifications": sb.all_notifications()}


KNOWN_FINDINGS: dict[str, str] = {}


@pytest.mark.parametrize(("workflow", "sample", "event"), CASES, ids=[f"{w.slug}:{name}" for w, name, _ in CASES])
def test_the_same_event_twice_has_the_effect_of_one(sb: Sandbox, workflow: Any, sample: str, event: Any) -> None:
    assert sb.router is not None
    before = len(sb.executions(workflow.slug))
    sb.router.put("default", event)
    sb.settle()
    if len(sb.executions(workflow.slug)) == before:
        pytest.skip(f"{sample} is not matched by {workflow.slug}'s rule (a direct-input sample)")
    once = _effects(sb, event)
    sb.router.put("default", event)
    sb.settle()
    twice = _effects(sb, event)
    if workflow.slug in KNOWN_FINDINGS and entries.changes(once, twice):
        pytest.xfail(KNOWN_FINDINGS[workflow.slug])
    assert entries.changes(once, twice) == {}, f"{workflow.slug}: a redelivered {sample} changed things again"
