"""Glacier restore offline: a request of N archived objects, and the 48-hour story end to end.

    python -m benchmarks --glacier 10000

`bench(n)` seeds N DEEP_ARCHIVE objects under one prefix, runs the restore request (Distributed
Map over the listing: HeadObject, TrackObject, RestoreObject, CountOutcome per object) and
reports its wall time; `story()` runs the sample key-list request through the 48 virtual hours
of the Bulk tier, both completions and the final message, and reports virtual / wall time.
`finish_restores()` (shared with tests/workflows/test_glacier_restore.py) moves the virtual clock
one S3 timer at a time until every restore has completed and been processed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from sandbox.core import Run, Sandbox
from sandbox.session import shared_client

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events" / "glacier-restore"
COMPLETE = "glacier-restore-complete"


def finish_restores(sb: Sandbox, wall_timeout: float = 120) -> list[Run]:
    """Advance virtual time one S3 timer at a time until every restore started so far has completed
    and every post-processing execution has ended; returns every execution."""
    deadline = time.monotonic() + wall_timeout
    while time.monotonic() < deadline:
        # A timer fired by the last move holds the clock until its work is done (it emits the events): the
        # counts are final only then. Moving on before would jump past a restored copy's expiry.
        if sb.clock.is_busy:
            time.sleep(0.005)
            continue
        initiated = len(sb.published(None, "Object Restore Initiated"))
        completed = len(sb.published(None, "Object Restore Completed"))
        runs = sb.executions()
        started = sum(1 for r in runs if r.workflow == COMPLETE)
        if started < completed or any(r.status == "RUNNING" for r in runs):
            time.sleep(0.005)
            continue
        if completed >= initiated:
            return runs
        sb.clock.advance_to_next(include_external=False)
    raise AssertionError("restores did not finish")


def bench(n: int = 10000, *, post_processing: bool = False, direct_calls: bool | None = None) -> dict[str, Any]:
    """Wall time of one restore request over `n` objects (a prefix), offline.

    `post_processing`: then the 48 virtual hours of the Bulk tier, each object's restore completing
    and its post-processing execution (glacier-restore-complete) running to its end.
    """
    with Sandbox.from_template(ROOT / "template.yaml", direct_calls=direct_calls) as sb:
        s3 = shared_client(sb.region, "s3")
        bucket = sb.bucket_name("ArchiveBucket")
        started = time.perf_counter()
        with sb.router.muted():
            for i in range(n):
                s3.put_object(Bucket=bucket, Key=f"bench/{i:06}.bin", Body=b"x", StorageClass="DEEP_ARCHIVE")
        seeded = time.perf_counter()
        request = {**json.loads((EVENTS / "keys.json").read_text()), "prefix": "bench/"}
        del request["keys"]
        run = sb.run("glacier-restore", request, wall_timeout=600)
        done = time.perf_counter()
        post: dict[str, Any] = {}
        if post_processing:
            runs = sb.settle(wall_timeout=3600, histories=False)
            post = {"post_processing_wall_s": round(time.perf_counter() - done, 2),
                    "post_processed": sum(1 for r in runs if r.workflow == "glacier-restore-complete" and r.succeeded)}
    counts = {k: (run.output or {}).get(k) for k in ("started", "skipped", "failed")}
    return {"objects": n, "status": run.status, **counts,
            "seed_s": round(seeded - started, 1), "request_wall_s": round(done - seeded, 2),
            "ms_per_object": round((done - seeded) * 1000 / max(n, 1), 2), **post}


def story() -> dict[str, Any]:
    """The sample key list (Deep Archive, Bulk): request, 48 virtual hours, completions, results."""
    with Sandbox.from_template(ROOT / "template.yaml") as sb:
        sb.seed(EVENTS / "objects.json")
        virtual_start, started = sb.clock.now(), time.perf_counter()
        sb.run("glacier-restore", json.loads((EVENTS / "keys.json").read_text()))
        finish_restores(sb, wall_timeout=600)
        wall = time.perf_counter() - started
        virtual = (sb.clock.now() - virtual_start).total_seconds()
        messages = len(sb.notifications("RestoreNotificationTopic"))
    return {"virtual_hours": round(virtual / 3600, 1), "wall_s": round(wall, 2),
            "virtual_per_wall": round(virtual / wall), "messages": messages}
