"""UpdateItem copies the item it changes only for the table's stream, the one reader of that copy (speed only).

moto's backend deep-copies the item an UpdateItem is about to change (`orig_item`) and hands the
copy to the table's stream as the record's old image; nothing else reads it (the response class
takes its own copy for ReturnValues). For a table without a stream the copy is made for nothing.
Here, while the backend updates an item of such a table, the `copy.deepcopy` its module calls hands
the item back uncopied (on that thread only); a table with a stream gets its old image as before.
"""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any

_installed = False
_uncopied = threading.local()
"""`on` while this thread runs an UpdateItem on a table without a stream."""


class _CopyModule:
    """The `copy` module as moto's DynamoDB backend module sees it: its deepcopy skipped inside such an update."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if getattr(_uncopied, "on", False):
            return value
        return copy.deepcopy(value, memo)


def install() -> None:
    """Skip the old-image copy of UpdateItem on tables without a stream (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.dynamodb import models

    update = models.DynamoDBBackend.update_item

    @functools.wraps(update)
    def update_item(self: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        if self.get_table(table_name).stream_shard is not None:
            return update(self, table_name, *args, **kwargs)
        before = getattr(_uncopied, "on", False)
        _uncopied.on = True
        try:
            return update(self, table_name, *args, **kwargs)
        finally:
            _uncopied.on = before

    models.copy = _CopyModule()  # type: ignore[assignment]
    models.DynamoDBBackend.update_item = update_item
    _installed = True
