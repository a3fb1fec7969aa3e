"""DynamoDB item writes are atomic, as on AWS.

moto's DynamoDB backend reads, changes and stores an item without a lock, so two
threads running `UpdateItem ... ADD counter :one` at once can both read the old
value and one increment is lost (seen with Distributed Map children counting
their outcomes: 997 of 1,000). DynamoDB applies each write atomically and checks
its condition against the current item; here every write takes one lock.

moto's response class also reads the item before the write (for UPDATED_OLD) and builds the
answer's attributes from the stored item after it: outside the backend's lock, two concurrent
`ADD pending :minus_one` with `ReturnValues` both returned the last value (two post-processing
executions each closed the same request). So each write request, from its first read to its
answer, holds the same (re-entrant) lock.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_installed = False
_WRITE_LOCK = threading.RLock()
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")


def _atomic(method: Any) -> Any:
    @functools.wraps(method)
    def write(*args: Any, **kwargs: Any) -> Any:
        with _WRITE_LOCK:
            return method(*args, **kwargs)

    return write


def install() -> None:
    """Serialise moto's DynamoDB item writes (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    for owner in (DynamoDBBackend, DynamoHandler):
        for name in _WRITES:
            if hasattr(owner, name):
                setattr(owner, name, _atomic(getattr(owner, name)))
    _installed = True
