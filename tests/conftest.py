"""Fixtures shared by the suite's tests, and what the suite needs to run under pytest-xdist (`make test`)."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from _pytest.unraisableexception import gc_collect_iterations_key

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


GC_THRESHOLD = (50_000, 20, 100)
"""A sandbox run allocates millions of short-lived objects (parse trees, events, botocore dicts) and
keeps large long-lived ones (moto's models, the service models): at Python's default gen-0 threshold
(700) the collector runs thousands of times per test and its full collections walk every long-lived
object again. The suite's tests free what they make at teardown, so fewer, later collections suffice."""


def pytest_collection_finish(session: pytest.Session) -> None:
    """What is alive once the tests are collected (modules, moto, botocore) lives to the end: out of the GC's walks."""
    if os.environ.get("SUITE_DEFAULT_GC") != "1":
        gc.collect()
        gc.freeze()


@pytest.hookimpl(trylast=True)  # after the session's fixtures are torn down (a sandbox's stop gives the collector back)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """The process ends soon: nothing it holds needs freeing. The tests leave their garbage to the collector's full
    collections, which never come while they run (what a sandbox holds is frozen while it runs): the first full
    collection after the tests walked and freed all of it, 1-7 s per worker that the controller waits for. So
    none comes: what is alive (garbage included) is frozen, and the collector stays off to the end."""
    if os.environ.get("SUITE_DEFAULT_GC") != "1":
        gc.freeze()
        gc.disable()


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """pytest's last collection (made to report exceptions raised by finalizers of garbage still uncollected) is
    skipped: it would walk what the session froze. What the tests' own teardowns raised was reported at each test."""
    if os.environ.get("SUITE_DEFAULT_GC") != "1":
        config.stash[gc_collect_iterations_key] = 0
        gc.freeze()


def _one_service_model_loader() -> None:
    """Every `mock_aws` start throws boto3's default session away, and each new session read and parsed the
    service models' JSON again (~25 ms per client a test or a handler makes): the suite makes thousands. The
    models are the same files for the whole run, so every session without its own AWS_DATA_PATH shares the
    sandbox's one loader (which keeps what it parsed)."""
    import botocore.loaders
    import botocore.session

    from sandbox import session

    def create_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
        return session.data_loader() if not search_path_string else botocore.loaders.create_loader(search_path_string)

    botocore.session.create_loader = create_loader  # type: ignore[assignment]


def pytest_configure(config: pytest.Config) -> None:
    _one_service_model_loader()
    if os.environ.get("SUITE_DEFAULT_GC") != "1":  # SUITE_DEFAULT_GC=1: Python's defaults, to compare
        gc.set_threshold(*GC_THRESHOLD)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        # `sandbox run/demo/cost` replace the runs kept for `sandbox view` in <template dir>/.sandbox/runs:
        # two workers running the CLI on template.yaml at once would delete each other's files (and a
        # `run` then `view` test would list the other worker's runs). One folder per worker.
        from sandbox import cli

        cli.RUNS_DIR = cli.RUNS_DIR.with_name(f"runs-{worker}")
