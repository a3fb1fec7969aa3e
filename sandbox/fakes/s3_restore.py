"""S3 RestoreObject that takes as long as S3 does, on the virtual clock.

moto restores an archived object at once. On AWS, RestoreObject answers 202 and the
object shows `x-amz-restore: ongoing-request="true"` for hours (the tier's retrieval
time); GetObject keeps failing with InvalidObjectState; a second request gets 409
RestoreAlreadyInProgress; then the object reads `ongoing-request="false",
expiry-date="..."` and S3 sends "Object Restore Completed" to EventBridge (when the
bucket has EventBridge notifications on). Restore workflows are built on exactly
that, so the fake reproduces it.

Integration with moto: RestoreObject is answered here; HeadObject/GetObject stay
moto's, which derive the header and the InvalidObjectState check from the FakeKey's
`_expiry` and restore `status`. The fake pins that status (moto would flip it to
RESTORED on the next read and emit its own event) and moves it when the tier's delay
has passed: on a clock timer, and lazily before any S3 read, so a caller who has just
advanced the clock sees the completed restore and its event at once.

Delays are the upper ends of the documented typical retrieval times; change
`fake.delays[(storage_class, tier)]`.
"""

from __future__ import annotations

import copy
import functools
import heapq
import itertools
import os
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from moto.s3 import notifications

from sandbox.fakes import FakeContext
from sandbox.fakes._api import AwsError, Call, intercept
from sandbox.fakes._s3 import s3_backend

TIER_DELAYS: dict[tuple[str, str], timedelta] = {
    ("GLACIER", "Expedited"): timedelta(minutes=5),
    ("GLACIER", "Standard"): timedelta(hours=5),
    ("GLACIER", "Bulk"): timedelta(hours=12),
    ("DEEP_ARCHIVE", "Standard"): timedelta(hours=12),
    ("DEEP_ARCHIVE", "Bulk"): timedelta(hours=48),
}
"""S3 Glacier Flexible Retrieval: Expedited 1-5 min, Standard 3-5 h, Bulk 5-12 h;
Deep Archive: Standard within 12 h, Bulk within 48 h; no Expedited for Deep Archive."""

ARCHIVE_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})
_SETTLE_BEFORE = (
    "HeadObject",
    "GetObject",
    "GetObjectAttributes",
    "CopyObject",
    "ListObjectsV2",
    "ListObjects",
)


@functools.lru_cache(maxsize=256)
def restore_expiry(completed: datetime, days: int) -> datetime:
    """Completion time plus Days, rounded up to the next midnight UTC, as S3 computes it.

    Kept per (moment, days): the restores of one request are due at the same moment, with the same days."""
    end = completed.astimezone(UTC) + timedelta(days=days)
    midnight = end.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == end else midnight + timedelta(days=1)


@functools.lru_cache(maxsize=256)
def _iso(moment: datetime) -> str:
    """Kept per moment: a request's restores are initiated, completed and expired at a few moments."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _request_id() -> str:
    """S3's request id: 16 random upper-case hex digits."""
    return os.urandom(8).hex().upper()


@dataclass
class _Restore:
    bucket: str
    key: Any
    """moto's FakeKey."""
    storage_class: str
    days: int
    due: datetime
    requester: str
    expiry: datetime | None = None
    completed: bool = False


class S3RestoreFake:
    """RestoreObject with tiered delays, restore status on Head/GetObject, and the S3 restore events."""

    def __init__(self) -> None:
        self.delays: dict[tuple[str, str], timedelta] = dict(TIER_DELAYS)
        self._restores: dict[tuple[str, str, str | None], _Restore] = {}
        self._agenda: list[tuple[datetime, int, tuple[str, str, str | None]]] = []
        """Moments a restore may change (due, expiry), earliest first: settle() looks at what is due
        only, so a request of ten thousand objects does not re-sort them all on every S3 call."""
        self._seq = itertools.count()
        self._timers: set[datetime] = set()
        """Moments a clock timer is set for."""
        self._lock = threading.RLock()
        """Held while state changes and their events are queued (in order)."""
        self._outbox: deque[Callable[[], None]] = deque()
        """Events queued and not sent yet."""
        self._sending = threading.Lock()
        """Held by the one thread sending queued events."""
        self._ctx: FakeContext | None = None
        self._settling = 0
        """Threads in settle() past its quick check (counted under the state lock)."""

    @property
    def ctx(self) -> FakeContext:
        assert self._ctx is not None, "register() first"
        return self._ctx

    def register(self, events: Any, ctx: FakeContext) -> None:
        self._ctx = ctx
        intercept(events, "s3", "RestoreObject", self._restore_object)
        for operation in _SETTLE_BEFORE:
            events.register(f"before-call.s3.{operation}", self._settle_hook)

    # -- RestoreObject -------------------------------------------------------
    def _restore_object(self, call: Call) -> dict[str, Any] | None:
        params = call.params
        request = params.get("RestoreRequest") or {}
        if request.get("Type") == "SELECT":
            return None  # S3 Select restores: moto's behaviour
        self.settle()
        try:
            key = s3_backend(self.ctx.account_id, self.ctx.region).get_object(
                params["Bucket"], params["Key"], version_id=params.get("VersionId")
            )
        except Exception:
            return None  # NoSuchBucket and friends: moto answers
        if key is None:
            return None  # NoSuchKey: moto answers
        if key.storage_class not in ARCHIVE_CLASSES:
            raise AwsError(
                "InvalidObjectState", "Restore is not allowed for the object's current storage class", 403
            )
        if request.get("Days") is None:
            raise AwsError("MalformedXML", "Days is required to restore an object from " + key.storage_class)
        days = int(request["Days"])
        tier = (request.get("GlacierJobParameters") or {}).get("Tier") or request.get("Tier") or "Standard"
        delay = self.delays.get((key.storage_class, tier))
        if delay is None:
            raise AwsError(
                "InvalidArgument", f"{tier} retrieval is not available for {key.storage_class} objects"
            )
        with self._lock:
            ident = (params["Bucket"], params["Key"], key.version_id)
            existing = self._restores.get(ident)
            if existing and existing.key is key and not existing.completed:
                raise AwsError("RestoreAlreadyInProgress", "Object restore is already in progress", 409)
            if existing and existing.key is key and existing.completed:
                return self._extend(existing, days)
            now = self.ctx.clock.now()
            restore = _Restore(
                params["Bucket"], key, key.storage_class, days, now + delay, self.ctx.account_id
            )
            self._restores[ident] = restore
            self._plan(restore.due, ident)
            key._transitions = []  # pin moto's restore status: we move it
            key._status = "IN_PROGRESS"
            key._expiry = restore_expiry(restore.due, days).replace(tzinfo=None)  # moto: naive UTC
            self._timer_at(restore.due)
            self._notify(restore, "s3:ObjectRestore:Post", now)
        self._send_queued()
        return {"_status": 202}

    def seed_restored(self, bucket: str, key_name: str, days: int) -> None:
        """Mark an archived object as restored a moment ago (a fixture: no event is sent).

        What a restore-completed event's workflow finds on AWS: the object is still
        DEEP_ARCHIVE/GLACIER, readable until the expiry, `ongoing-request="false"`. The expiry
        is applied when S3 is next read after it, not by a clock timer: a fixture must not give
        `Sandbox.settle()` a moment to run the clock to.
        """
        key = s3_backend(self.ctx.account_id, self.ctx.region).get_object(bucket, key_name)
        if key is None or key.storage_class not in ARCHIVE_CLASSES:
            raise ValueError(f"s3://{bucket}/{key_name}: only an archived object can be seeded as restored")
        with self._lock:
            now = self.ctx.clock.now()
            restore = _Restore(bucket, key, key.storage_class, days, now, self.ctx.account_id)
            self._restores[(bucket, key_name, key.version_id)] = restore
            restore.completed = True
            restore.expiry = restore_expiry(now, days)
            key._transitions = []  # pin moto's restore status: we move it
            key._status = "RESTORED"
            key._expiry = restore.expiry.replace(tzinfo=None)
            self._plan(restore.expiry, self._ident_of(restore))

    def _extend(self, restore: _Restore, days: int) -> dict[str, Any]:
        """A restore request on a restored copy only moves its expiry: 200, as S3 answers."""
        restore.days = days
        restore.expiry = restore_expiry(self.ctx.clock.now(), days)
        restore.key._expiry = restore.expiry.replace(tzinfo=None)
        self._plan(restore.expiry, self._ident_of(restore))
        self._timer_at(restore.expiry)
        return {"_status": 200}

    def _ident_of(self, restore: _Restore) -> tuple[str, str, str | None]:
        return (restore.bucket, restore.key.name, restore.key.version_id)

    def _plan(self, moment: datetime, ident: tuple[str, str, str | None]) -> None:
        heapq.heappush(self._agenda, (moment, next(self._seq), ident))

    def _timer_at(self, moment: datetime) -> None:
        """A clock timer at `moment`, one per moment: ten thousand restores requested together are due
        together (and expire at the same midnight), and one settle() completes them all."""
        with self._lock:
            if moment in self._timers:
                return
            self._timers.add(moment)
        self.ctx.clock.call_at(moment, lambda: self._on_timer(moment))

    # -- the clock moves ------------------------------------------------------
    def _settle_hook(self, **_: Any) -> None:
        self.settle()

    def _on_timer(self, moment: datetime) -> None:
        """S3's own timer: the clock holds still while the events go out (they may start executions)."""
        with self.ctx.clock.busy():
            with self._lock:
                self._timers.discard(moment)
            self.settle()

    def settle(self) -> None:
        """Complete restores whose delay has passed and expire restored copies past their date."""
        if not self._due() and not self._settling and (not self._outbox or self.ctx.clock.holds()):
            # Nothing is due or being settled, and nothing queued this thread would wait for (a thread holding
            # the clock leaves queued events to their sender, see `_send_queued`): every S3 read of a
            # ten-thousand-object request comes here, and sixteen Map workers queueing on the state lock for
            # nothing cost more than their calls. (Read in this order: a settler counts itself before it takes
            # what is due.)
            return
        with self._lock:
            self._settling += 1
        try:
            self._settle_due()
        finally:
            try:
                self._send_queued()
            finally:
                with self._lock:
                    self._settling -= 1

    def _due(self) -> bool:
        """Whether the earliest planned moment has come (read without the lock: a heap's first entry is
        its earliest, and a list read is atomic)."""
        try:
            return self._agenda[0][0] <= self.ctx.clock.now()
        except IndexError:
            return False

    def _settle_due(self) -> None:
        with self._lock:
            now = self.ctx.clock.now()
            while self._agenda and self._agenda[0][0] <= now:
                _, _, ident = heapq.heappop(self._agenda)
                restore = self._restores.get(ident)
                if restore is None:
                    continue  # expired already: a stale entry
                # An entry may be stale (an expiry moved by a later request): the restore's own dates decide.
                if not restore.completed and restore.due <= now:
                    self._complete(restore)
                if restore.completed and restore.expiry and restore.expiry <= now:
                    self._expire(ident, restore)

    def _complete(self, restore: _Restore) -> None:
        restore.completed = True
        restore.expiry = restore_expiry(restore.due, restore.days)
        restore.key._expiry = restore.expiry.replace(tzinfo=None)
        restore.key._status = "RESTORED"
        self._plan(restore.expiry, self._ident_of(restore))
        self._timer_at(restore.expiry)
        self._notify(restore, "s3:ObjectRestore:Completed", restore.due)

    def _expire(self, ident: tuple[str, str, str | None], restore: _Restore) -> None:
        """The temporary copy is deleted: the object is archived-only again."""
        assert restore.expiry is not None
        del self._restores[ident]
        restore.key._expiry = None
        restore.key._status = "IN_PROGRESS"
        self._notify(restore, "s3:ObjectRestore:Delete", restore.expiry)

    # -- notifications -------------------------------------------------------
    def _notify(self, restore: _Restore, event_name: str, at: datetime) -> None:
        """Queue a restore event, as it reads now; `_send_queued` sends it (state lock held).

        S3 sends restore events to EventBridge only when the bucket has EventBridgeConfiguration;
        SQS/SNS/Lambda destinations keep going through moto's own notification code."""
        bucket = s3_backend(self.ctx.account_id, self.ctx.region).get_bucket(restore.bucket)
        config = bucket.notification_configuration
        if config is None:
            return
        if config.event_bridge is not None:
            event = self._eventbridge_event(bucket, restore, event_name, at)
            self._outbox.append(lambda: self.ctx.emit(event))
        if not (config.cloud_function or config.queue or config.topic):
            return  # no SQS/SNS/Lambda destination: moto's notification code would send nothing
        classic = copy.copy(config)
        classic.event_bridge = None
        proxy = SimpleNamespace(
            name=bucket.name,
            arn=bucket.arn,
            region_name=bucket.region_name,
            notification_configuration=classic,
        )
        key, name = restore.key, notifications.S3NotificationEvent(event_name)
        self._outbox.append(lambda: notifications.send_event(self.ctx.account_id, name, proxy, key))

    def _send_queued(self) -> None:
        """Send the queued events in order, one sender at a time, outside the state lock.

        Whoever reads S3 from outside (a test, the CLI) waits until every due event is out. A thread
        holding the clock (an execution's own S3 call, a timer) does not wait for another thread's
        sending: the state it reads is up to date already, and ten thousand executions started by
        restore events must not queue behind the sending of all the others' events.
        """
        wait = not self.ctx.clock.holds()
        while self._outbox:
            if not self._sending.acquire(blocking=wait):
                return  # the sender sends what was queued, this thread's events included
            try:
                while True:
                    with self._lock:
                        if not self._outbox:
                            break
                        send = self._outbox.popleft()
                    send()
            finally:
                self._sending.release()

    def _eventbridge_event(
        self, bucket: Any, restore: _Restore, event_name: str, at: datetime
    ) -> dict[str, Any]:
        key = restore.key
        obj: dict[str, Any] = {"key": key.name, "size": key.size, "etag": key.etag.strip('"')}
        if getattr(key, "_is_versioned", False) and key.version_id not in (None, "null"):
            obj["version-id"] = str(key.version_id)
        detail: dict[str, Any] = {"version": "0", "bucket": {"name": bucket.name}, "object": obj}
        if event_name == "s3:ObjectRestore:Post":
            detail_type = "Object Restore Initiated"
            detail.update({"request-id": _request_id(), "requester": restore.requester})
            detail.update({"source-ip-address": "127.0.0.1", "source-storage-class": restore.storage_class})
        elif event_name == "s3:ObjectRestore:Completed":
            assert restore.expiry is not None
            detail_type = "Object Restore Completed"
            detail.update({"request-id": _request_id(), "requester": "s3.amazonaws.com"})
            detail.update(
                {"restore-expiry-time": _iso(restore.expiry), "source-storage-class": restore.storage_class}
            )
        else:
            detail_type = "Object Restore Expired"
            obj.pop("size")
            detail.update({"request-id": _request_id(), "requester": "s3.amazonaws.com"})
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": "aws.s3",
            "account": self.ctx.account_id,
            "time": _iso(at),
            "region": bucket.region_name,
            "resources": [bucket.arn],
            "detail": detail,
        }
