"""Generated blocks inside hand-written pages (docs/<slug>.md, README.md).

The diagram, the cost table and the deploy section of `docs/<slug>.md`, and the workflow table of
the README, are generated; the rest of each page is prose. Each block sits between a start and an
end marker line, and only what lies between them is ever rewritten, so `make docs` can run at any
time without touching the prose.
"""

from __future__ import annotations

from pathlib import Path


class BlockError(ValueError):
    """A page whose markers are missing, repeated or out of order: it cannot be regenerated."""


def has_block(text: str, start_marker: str, end_marker: str) -> bool:
    return start_marker in text or end_marker in text


def replace_block(text: str, block: str, start_marker: str, end_marker: str, path: Path | str) -> str:
    """`text` with the block between the markers (markers included) replaced by `block`."""
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < start or text.count(start_marker) != 1 or text.count(end_marker) != 1:
        raise BlockError(f"{path}: needs exactly one {start_marker} line followed by one {end_marker} line")
    return text[:start] + block + text[end + len(end_marker):]
