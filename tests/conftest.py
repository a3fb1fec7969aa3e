"""Fixtures shared by the suite's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.core import Sandbox

pytest_plugins = ["sandbox.pytest_plugin", "tests.hardening.log_privacy"]
"""ASL coverage of every workflow (`make test` passes --asl-coverage-gate); no personal data in any log."""

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
EVENTS = ROOT / "events"


@pytest.fixture
def suite() -> Iterator[Sandbox]:
    """The repository's template running offline, with the document-processing objects seeded.

    Function-scoped: every test starts from fresh buckets, buses, fault plan and clock.
    """
    with Sandbox.from_template(TEMPLATE) as sandbox:
        sandbox.seed(EVENTS / "document-processing" / "objects.json")
        yield sandbox
