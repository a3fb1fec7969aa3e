"""The sample events of `events/<slug>/`, and the two files there that are not events.

- `objects.json`: S3 objects seeded into the template's buckets before a run.
- `callback-answer.json`: what `demo` and the docs' cost figures answer callback tasks with.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SEED_FILE = "objects.json"
ANSWER_FILE = "callback-answer.json"


def sample_events(folder: Path) -> list[Path]:
    """The workflow's sample events, alphabetically."""
    return sorted(p for p in folder.glob("*.json") if p.name not in (SEED_FILE, ANSWER_FILE))


def callback_answer(folder: Path) -> Any:
    """The SendTaskSuccess output for the workflow's callback tasks, or None."""
    path = folder / ANSWER_FILE
    return json.loads(path.read_text()) if path.is_file() else None
