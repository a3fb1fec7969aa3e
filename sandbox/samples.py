"""The sample events of `events/<slug>/`, the files there that are not events, and how a sample starts.

- `objects.json`: S3 objects seeded into the template's buckets before a run.
- `callback-answer.json`: what `demo` and the docs' cost figures answer callback tasks with.
- `MockConfigFile.json`: Step Functions Local test cases. A sample named like a test case of its
  workflow (e.g. `provisioning-fails.json` and `TestCases.provisioning-fails`) starts as that test
  case, so a failure no real input can cause offline (a stack that rolls back) still has a sample
  that `sandbox run`, `demo`, the docs' figures and the tests run the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.core import Sandbox

SEED_FILE = "objects.json"
ANSWER_FILE = "callback-answer.json"
MOCK_CONFIG_FILE = "MockConfigFile.json"


def sample_events(folder: Path) -> list[Path]:
    """The workflow's sample events, alphabetically."""
    return sorted(p for p in folder.glob("*.json") if p.name not in (SEED_FILE, ANSWER_FILE, MOCK_CONFIG_FILE))


def sample_test_case(event: Path, slug: str) -> str | None:
    """The MockConfigFile test case the sample starts as: the one of its workflow named like the file."""
    config = event.parent / MOCK_CONFIG_FILE
    if not config.is_file():
        return None
    cases = json.loads(config.read_text()).get("StateMachines", {}).get(slug, {}).get("TestCases", {})
    return event.stem if event.stem in cases else None


def start(sb: Sandbox, slug: str, event: Path) -> str:
    """Start one sample (as its test case, when it has one) in the sandbox `sb`; the execution ARN."""
    case = sample_test_case(event, slug)
    if case:
        assert sb.faults is not None  # a started sandbox has its fault plan
        sb.faults.mock_config = event.parent / MOCK_CONFIG_FILE
    return sb.start(slug, json.loads(event.read_text()), test_case=case)


def callback_answer(folder: Path) -> Any:
    """The SendTaskSuccess output for the workflow's callback tasks, or None."""
    path = folder / ANSWER_FILE
    return json.loads(path.read_text()) if path.is_file() else None
