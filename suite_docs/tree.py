"""The repository's files as `python -m suite_docs --write` would leave them.

Every generator reads and writes through one `Tree`: a page's diagram, cost and deploy blocks are
regenerated one after the other on the same text, and nothing touches the disk until `write()`.
`--check` compares the tree with the disk, so it fails exactly when `--write` would change a file.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

DIFF_LINES = 20
"""Unified diff lines shown per stale file by `--check` (the summary line counts them all)."""


@dataclass(frozen=True)
class Drift:
    """A file whose generated text differs from the one on disk."""

    path: Path
    current: str | None
    """None: the file does not exist yet."""
    expected: str

    def diff(self, root: Path) -> list[str]:
        rel = self.path.relative_to(root) if self.path.is_relative_to(root) else self.path
        return list(difflib.unified_diff((self.current or "").splitlines(), self.expected.splitlines(),
                                         f"{rel} (on disk)", f"{rel} (generated)", lineterm="", n=1))

    def summary(self, root: Path) -> str:
        rel = self.path.relative_to(root) if self.path.is_relative_to(root) else self.path
        if self.current is None:
            return f"{rel}: missing ({len(self.expected.splitlines())} lines to create)"
        lines = self.diff(root)[2:]
        added = sum(1 for line in lines if line.startswith("+"))
        removed = sum(1 for line in lines if line.startswith("-"))
        return f"{rel}: out of date (+{added} -{removed} lines)"


class Tree:
    """Files read from disk, overlaid with what the generators produced."""

    def __init__(self) -> None:
        self._texts: dict[Path, str] = {}

    def read(self, path: Path) -> str | None:
        """The text as generated so far (the disk's when no generator wrote it), None when missing."""
        if path in self._texts:
            return self._texts[path]
        return path.read_text() if path.is_file() else None

    def put(self, path: Path, text: str) -> None:
        self._texts[path] = text

    def drift(self) -> list[Drift]:
        """Every generated file that differs from the disk, in the order the generators wrote them."""
        found = []
        for path, text in self._texts.items():
            current = path.read_text() if path.is_file() else None
            if current != text:
                found.append(Drift(path, current, text))
        return found

    def write(self) -> list[Path]:
        """Write the files that differ from the disk; the paths written."""
        changed = []
        for stale in self.drift():
            stale.path.parent.mkdir(parents=True, exist_ok=True)
            stale.path.write_text(stale.expected)
            changed.append(stale.path)
        return changed
