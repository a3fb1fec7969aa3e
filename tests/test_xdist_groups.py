"""`make test`'s pytest-xdist scheduling (tests/xdist_groups.py): a module-scoped fixture is built once,
marked groups stay on one worker, every other test goes wherever is free."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

TESTS = textwrap.dedent("""\
    import os
    from pathlib import Path

    import pytest

    HERE = Path(__file__).parent


    def record(name):
        with open(HERE / "ran", "a") as out:
            out.write(f"{name} {os.environ['PYTEST_XDIST_WORKER']}\\n")


    @pytest.fixture(scope="module")
    def built():
        record("fixture-built")


    @pytest.mark.parametrize("n", range(4))
    def test_with_the_module_fixture(built, n):
        record(f"fixture-user-{n}")


    @pytest.mark.xdist_group("marked")
    @pytest.mark.parametrize("n", range(3))
    def test_marked(n):
        record(f"marked-{n}")


    @pytest.mark.parametrize("n", range(4))
    def test_alone(n, tmp_path):  # tmp_path_factory is session-scoped, but pytest's: no group
        record(f"alone-{n}")
    """)


@pytest.mark.slow
def test_module_fixture_users_and_marked_tests_stay_together_the_rest_spreads(tmp_path):
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.xdist_groups"]\n')
    (tmp_path / "test_groups.py").write_text(TESTS)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_XDIST_WORKER", None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
               str(tmp_path), "-n", "2", "--dist", "loadgroup"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "11 passed" in result.stdout
    workers: dict[str, set[str]] = defaultdict(set)
    for line in (tmp_path / "ran").read_text().splitlines():
        name, worker = line.split()
        workers[name.rsplit("-", 1)[0] if name[-1].isdigit() else name].add(worker)
    lines = (tmp_path / "ran").read_text()
    # Under xdist 3.8's own loadgroup (pytest 9.2 ignores its node-ID suffixes) the fixture is built
    # on both workers; under --dist loadscope all eleven tests run on one worker.
    assert lines.count("fixture-built") == 1, lines  # built once, not once per worker
    assert workers["fixture-user"] == workers["fixture-built"] and len(workers["fixture-user"]) == 1, lines
    assert len(workers["marked"]) == 1, lines
    # Both groups go out first (largest units first), one to each worker.
    assert workers["fixture-user"] | workers["marked"] == {"gw0", "gw1"}, lines


def test_slow_tests_are_listed_first_and_each_kind_keeps_its_order():
    """The workers' order is the controller's among units of one size: the slow ones go out before the quick ones."""
    from types import SimpleNamespace

    from tests.xdist_groups import SLOW, slow_first

    def item(name: str, slow: bool) -> SimpleNamespace:
        return SimpleNamespace(name=name, get_closest_marker=lambda mark: object() if slow and mark == SLOW else None)

    items = [item("a", False), item("b", True), item("c", False), item("d", True)]
    slow_first(items)  # type: ignore[arg-type]
    assert [i.name for i in items] == ["b", "d", "a", "c"]
