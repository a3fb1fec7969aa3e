"""How `make test` spreads the suite over pytest-xdist workers (`-n logical --dist loadgroup`).

Tests go one by one to whichever worker is free, except groups that run whole on one worker:

* the tests of one module that use a module- or session-scoped fixture of the project: such a
  fixture is built once per process that needs it, so spread over two workers it would be built
  twice (tests/hardening/test_faults.py's fault exploration takes minutes);
* the workflow test modules (`WHOLE_MODULES`): their coverage test replays every case that no other
  test of the module ran in its process, so split over two workers it runs about half of them again;
* tests marked `@pytest.mark.xdist_group("name")`, as pytest-xdist documents.

Units go out largest first (the groups), then tests marked `@pytest.mark.slow` (seconds each: a subprocess, a
browser, every sample event run), then the rest: a long test handed out last would leave the other worker idle
while it runs.

pytest-xdist 3.8.0 groups by appending `@name` to each node ID on the workers, which pytest 9.2
ignores (its node IDs are structured now: pytest-dev/pytest-xdist#1386): `--dist loadgroup`
silently runs every test on its own. So the workers write each test's group to a file that the
controller names for them, and the controller schedules by it (a `LoadScopeScheduling` whose scope
of a test is its group, else the test itself). Without the file, each module is one unit
(`--dist loadscope`): never a fixture built twice.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

WIDE_SCOPES = ("module", "package", "session")
WHOLE_MODULES = ("tests/workflows/test_*.py",)
"""Modules whose tests reuse what the module's other tests ran in the same process (the RUNS of its cases)."""
SLOW = "slow"
_INPUT_KEY = "suite_xdist_groups"
_DIR = pytest.StashKey[Path]()


def group_of(item: pytest.Item) -> str | None:
    """The group a test runs in, or None for a test that can run anywhere."""
    names = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                    for mark in item.iter_markers("xdist_group")})
    if names:
        return "_".join(names)
    module = item.nodeid.split("::")[0]
    if any(fnmatch.fnmatchcase(module, pattern) for pattern in WHOLE_MODULES):
        return module
    info = getattr(item, "_fixtureinfo", None)
    for name in getattr(info, "names_closure", ()):
        for fixturedef in info.name2fixturedefs.get(name, ()):
            if fixturedef.scope in WIDE_SCOPES and _of_the_project(fixturedef.func, item.config.rootpath):
                return module
    return None


def slow_first(items: list[pytest.Item]) -> None:
    """Tests marked slow first, each kind in its collection order. The controller keeps this order among units of
    the same size (pytest-xdist's LoadScopeScheduling sorts them by size only, and stably)."""
    items.sort(key=lambda item: item.get_closest_marker(SLOW) is None)


def _of_the_project(function: Any, root: Path) -> bool:
    """A fixture written in this repository (not pytest's tmp_path_factory or a plugin's)."""
    code = getattr(function, "__code__", None)
    path = Path(code.co_filename) if code is not None else None
    return bool(path and path.is_relative_to(root) and "site-packages" not in path.parts)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{SLOW}: takes seconds; scheduled before the quick tests under pytest-xdist")


# -- controller ------------------------------------------------------------------------------


def _distributed(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput") and config.getoption("dist", default="no") == "loadgroup"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Tell each worker where to write the groups of the tests it collected."""
    config = node.config
    if not _distributed(config):
        return
    if _DIR not in config.stash:
        config.stash[_DIR] = Path(tempfile.mkdtemp(prefix="xdist-groups-"))
    node.workerinput[_INPUT_KEY] = str(config.stash[_DIR])


def pytest_unconfigure(config: pytest.Config) -> None:
    directory = config.stash.get(_DIR, None)
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if not _distributed(config):
        return None
    from xdist.scheduler import LoadScopeScheduling

    directory = config.stash.get(_DIR, None)

    class GroupScheduling(LoadScopeScheduling):
        """Work units: each group whole, every other test alone (largest units first)."""

        groups: dict[str, str] | None = None

        def schedule(self) -> None:
            if self.groups is None and directory is not None:  # every worker has collected: their files are there
                found: dict[str, str] = {}
                for path in sorted(directory.glob("*.json")):
                    found.update(json.loads(path.read_text()))
                self.groups = found if any(directory.glob("*.json")) else None
            super().schedule()

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:
                return nodeid.split("::")[0]  # no file: one unit per module, as --dist loadscope
            return self.groups.get(nodeid, nodeid)

    return GroupScheduling(config, log)


# -- worker ----------------------------------------------------------------------------------


@pytest.hookimpl(trylast=True)  # after deselection: the items the worker reports to the controller
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    directory = getattr(config, "workerinput", {}).get(_INPUT_KEY)
    if not directory:
        return
    slow_first(items)  # every worker the same way: the controller reads the first worker's order
    groups = {item.nodeid: f"@{group}" for item in items if (group := group_of(item)) is not None}
    path = Path(directory) / f"{os.environ.get('PYTEST_XDIST_WORKER', 'worker')}.json"
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(groups))
    partial.replace(path)  # the controller never reads half a file
