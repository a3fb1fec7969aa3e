"""DynamoDB item writes are atomic, as on AWS.

moto's DynamoDB backend reads, changes and stores an item without a lock, so two
threads running `UpdateItem ... ADD counter :one` at once can both read the old
value and one increment is lost (seen with Distributed Map children counting
their outcomes: 997 of 1,000). DynamoDB applies each write atomically and checks
its condition against the current item; here every write takes one lock.
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

    for name in _WRITES:
        if hasattr(DynamoDBBackend, name):
            setattr(DynamoDBBackend, name, _atomic(getattr(DynamoDBBackend, name)))
    _installed = True
