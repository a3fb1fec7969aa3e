"""Fixtures shared by the suite's tests, and what the suite needs to run under pytest-xdist (`make test`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.core import Sandbox

pytest_plugins = ["sandbox.pytest_plugin", "tests.hardening.log_privacy", "tests.xdist_groups"]
"""ASL coverage of every workflow (`make test` passes --asl-coverage-gate; the package's pytest11 entry point
registers the same plugin under the same name, so it is never registered twice); no personal data in any log
(both work under pytest-xdist: each worker sends what it saw to the controller, which reports and
gates); which tests share a worker under `--dist loadgroup`."""

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


def pytest_configure(config: pytest.Config) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        # `sandbox run/demo/cost` replace the runs kept for `sandbox view` in <template dir>/.sandbox/runs:
        # two workers running the CLI on template.yaml at once would delete each other's files (and a
        # `run` then `view` test would list the other worker's runs). One folder per worker.
        from sandbox import cli

        cli.RUNS_DIR = cli.RUNS_DIR.with_name(f"runs-{worker}")
