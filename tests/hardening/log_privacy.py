"""Pytest plugin: no personal data of the fixtures in any log written during the test session.

Collected for the whole session, whatever tests run and in whatever order:

* every Lambda handler's log (what the sandbox captures per function, its CloudWatch log stream),
  read as each sandbox stops (`sandbox.core.RECORDERS`);
* every Python logging record (a handler on the root logger; botocore/moto wire dumps excluded:
  they carry requests, i.e. execution inputs, not logs the suite writes);
* the stdout, stderr and log sections pytest captured for each test.

The personal data is what `suite.personal_data()` finds in events/** (e-mail addresses, licence
numbers, dates of birth). Execution inputs/outputs and API responses may hold it: they are not
logs and are never scanned. Any hit fails the session at its end (exit status 1, listed in the
summary), so the check does not depend on test order.

Under pytest-xdist each worker scans its function logs and logging records and sends its hits to the
controller as it finishes; the controller scans the captured sections of every worker's reports
(they all reach it), then fails and lists as above.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pytest

from sandbox import core
from tests.hardening.suite import personal_data

WIRE_LOGGERS = ("botocore", "boto3", "urllib3", "moto", "s3transfer", "hypothesis")


@dataclass
class Scan:
    needles: tuple[str, ...]
    leaks: list[tuple[str, str, str]] = field(default_factory=list)
    """(where, personal datum, excerpt of the line)."""
    texts: int = 0

    def check(self, where: str, text: str) -> None:
        if not text:
            return
        self.texts += 1
        folded = text.casefold()
        for needle in self.needles:
            at = folded.find(needle)
            if at >= 0:
                start = max(0, at - 60)
                self.leaks.append((where, needle, text[start:at + len(needle) + 60].replace("\n", " ")))


SCAN = Scan(tuple(sorted({value.casefold() for value in personal_data()})))


class _RootHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(WIRE_LOGGERS):
            return
        try:
            text = self.format(record)
        except Exception:  # a bad record must not break the test that logged it
            text = str(record.msg)
        SCAN.check(f"logger {record.name}", text)


_HANDLER = _RootHandler(level=logging.NOTSET)


def _function_logs(sandbox: Any, _runs: Any) -> None:
    lambdas = getattr(sandbox, "lambdas", None)
    for function in getattr(lambdas, "functions", {}).values():
        SCAN.check(f"function {function.logical_id}", "".join(function.log))


_WORKER_OUTPUT = "log_privacy"
_ON_XDIST_WORKER = False
"""True in a pytest-xdist worker: its reports go to the controller, which scans their captured sections."""


def pytest_configure(config: pytest.Config) -> None:
    global _ON_XDIST_WORKER
    _ON_XDIST_WORKER = hasattr(config, "workerinput")
    logging.getLogger().addHandler(_HANDLER)
    if _function_logs not in core.RECORDERS:
        core.RECORDERS.append(_function_logs)


def pytest_unconfigure(config: pytest.Config) -> None:
    logging.getLogger().removeHandler(_HANDLER)
    if _function_logs in core.RECORDERS:
        core.RECORDERS.remove(_function_logs)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _ON_XDIST_WORKER:  # the controller scans this report (once)
        return
    for title, content in report.sections:  # a phase's report repeats the earlier phases' sections
        if title.startswith("Captured ") and title.endswith(report.when):
            SCAN.check(f"{report.nodeid} {title}", content)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist controller: add a worker's hits (function logs, logging records)."""
    shared = getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT)
    if shared:
        SCAN.leaks.extend(tuple(leak) for leak in shared["leaks"])
        SCAN.texts += shared["texts"]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _ON_XDIST_WORKER:
        session.config.workeroutput[_WORKER_OUTPUT] = {  # type: ignore[attr-defined]
            "leaks": [list(leak) for leak in SCAN.leaks], "texts": SCAN.texts}
        return
    if SCAN.leaks and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not SCAN.leaks:
        return
    terminalreporter.section("personal data in logs", red=True)
    for where, needle, excerpt in SCAN.leaks[:50]:
        terminalreporter.line(f"{where}: {needle!r} in ...{excerpt}...")
    terminalreporter.line(f"{len(SCAN.leaks)} leak(s) in {SCAN.texts} logs scanned; fix the handler's log call "
                          "(log IDs and codes, never the request's personal data)")
